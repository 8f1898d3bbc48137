"""A record's stay in a state: timers written on entering, cancelled on leaving, and the
deadline; a return from a paused state moves the earlier plan on by the time paused."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Insert,
    Table,
    Update,
    bindparam,
    insert,
    select,
    update,
)

from ..storage import Schema
from . import guesses
from .switches import switches_at
from ..time.deadlines import Deadlines, Timer, TimerPlan
from .records import Record


def cancel(conn: Connection, schema: Schema, record: Record, state: str,
           now: dt.datetime) -> None:
    """Cancel the record's pending timers of ``state``."""
    conn.execute(_cancelling(schema.system("timers")), {
        "_register": record.register, "_record": record.id, "_state": state,
        "cancelled_at": now})


@functools.lru_cache(maxsize=64)
def _cancelling(timers: Table) -> Update:
    """The UPDATE cancelling one stay's pending timers, built once."""
    return update(timers).where(
        timers.c.register == bindparam("_register"), timers.c.record == bindparam("_record"),
        timers.c.state == bindparam("_state"), timers.c.fired_at.is_(None),
        timers.c.cancelled_at.is_(None))


def write_plan(conn: Connection, schema: Schema, record: Record, plan: TimerPlan,
               round_: int, now: dt.datetime) -> None:
    """Insert a plan's timers that are still to come; of a repeating step only the next
    firing (the sweep writes each following one as it fires, for as long as the stay lasts)."""
    coming = [timer for timer in plan.timers if timer.at > now]
    firsts = {(timer.kind, timer.step): timer for timer in reversed(coming)}
    _insert(conn, schema, record, plan, round_,
            [timer for timer in coming if firsts[timer.kind, timer.step] is timer], now)


def _insert(conn: Connection, schema: Schema, record: Record, plan: TimerPlan, round_: int,
            chosen: list[Timer], now: dt.datetime) -> None:
    """Write the chosen timers; a plan counted in years without holiday data says so."""
    guesses.mark(conn, schema, record.register, record.id, round_, plan.unknown_years, now)
    rows = [{"register": record.register, "record": record.id, "kind": timer.kind,
             "state": plan.state, "round": round_, "step": timer.step, "due_at": timer.at}
            for timer in chosen]
    if rows:
        conn.execute(_inserting(schema.system("timers")), rows)


@functools.lru_cache(maxsize=64)
def _inserting(timers: Table) -> Insert:
    """The INSERT of timer rows, built once."""
    return insert(timers)


def enter(conn: Connection, schema: Schema, deadlines: Deadlines, workflow: str,
          record: Record, from_state: str | None, now: dt.datetime, *,
          renewed: bool = False) -> dt.datetime | None:
    """Cancel the old state's timers, plan the new state's; return the record's deadline.
    Back from a pause, the stay goes on where it stopped, unless the record is
    ``renewed`` (entering a new round): then, as from anywhere else, it starts now.

    A state no limit names has no timers to cancel. (Should the config have changed since
    they were written, the sweep finds them stale: a timer acts only while the record is
    still in its state and round.)"""
    state = record.state
    assert state is not None
    if from_state is not None and deadlines.limited(workflow, from_state):
        cancel(conn, schema, record, from_state, now)
    states = deadlines.deployment.workflows[workflow].states
    plan = (_stay_plan(conn, schema, deadlines, workflow, record, now)
            if from_state is not None and states[from_state].paused and not renewed
            else None)
    if plan is None:
        plan = plan_entry(conn, schema, deadlines, workflow, state, now,
                          node_path=record.node_path, category=record.category,
                          severity=record.severity, values=record.values)
    if plan is None:
        return None
    write_plan(conn, schema, record, plan, record.round, now)
    return plan.deadline


def plan_entry(conn: Connection, schema: Schema, deadlines: Deadlines, workflow: str,
               state: str, now: dt.datetime, *, node_path: str, category: str | None,
               severity: str | None, values: Mapping[str, Any]) -> TimerPlan | None:
    """The plan of a stay in ``state`` beginning ``now``, for a record with these values
    at the node with ``node_path`` (whose switches it follows); None when unlimited."""
    return deadlines.plan(workflow, state, now, category, severity, values,
                          switches_at(conn, schema, workflow, node_path))


def replan(conn: Connection, schema: Schema, deadlines: Deadlines, workflow: str,
           record: Record, now: dt.datetime) -> dt.datetime | None:
    """Plan the current stay again after its category, severity or a field its limit reads
    changed: from when the record entered the state (moved on by a pause it came back
    from), its pending timers replaced by the new plan's; return the deadline.

    Each deadline, reminder and ladder step fires once a stay: one that fired stays fired
    (a repeating step goes on with its next firing); a deadline or step the new plan has
    already passed is written due, so the next sweep marks the record overdue and climbs
    the ladder as it would have; a passed reminder is dropped."""
    state = record.state
    assert state is not None
    cancel(conn, schema, record, state, now)
    plan = _stay_plan(conn, schema, deadlines, workflow, record, now)
    if plan is None:
        return None
    timers = schema.system("timers")
    fired = {(kind, step) for kind, step in conn.execute(select(timers.c.kind, timers.c.step)
             .where(timers.c.register == record.register, timers.c.record == record.id,
                    timers.c.state == state, timers.c.round == record.round,
                    timers.c.fired_at.is_not(None)))}
    groups: dict[tuple[str, int], list[Timer]] = {}
    for timer in plan.timers:
        groups.setdefault((timer.kind, timer.step), []).append(timer)
    chosen = []
    for key, firings in groups.items():
        if key in fired and len(firings) == 1:
            continue
        if key in fired or key[0] == "reminder":
            firings = [timer for timer in firings if timer.at > now]
        if firings:
            chosen.append(firings[0])
    _insert(conn, schema, record, plan, record.round, chosen, now)
    return plan.deadline


def _stay_plan(conn: Connection, schema: Schema, deadlines: Deadlines, workflow: str,
               record: Record, now: dt.datetime) -> TimerPlan | None:
    """The plan of the record's current stay in its state: from when it entered the state
    (as created, from a state that is not a pause, or in a new round from anywhere), moved
    on by every pause since — a pause it is coming back from now included; None when no
    such entry is found."""
    state = record.state
    paused = {name for name, spec in deadlines.deployment.workflows[workflow].states.items()
              if spec.paused}
    history = schema.system("history")
    rows = conn.execute(select(history.c.at, history.c.from_state, history.c.to_state,
                               history.c.round).where(
        *_moves(history, record), history.c.to_state.is_not(None)).order_by(history.c.id))
    start: dt.datetime | None = None
    pauses: list[tuple[dt.datetime, dt.datetime]] = []
    paused_at: dt.datetime | None = None
    last_round = 1
    for at, before, after, round_ in rows:
        # Imported and seeded records' first rows have no round: they are in the first.
        renewed, last_round = (round_ or 1) != last_round, round_ or 1
        if after == state and (renewed or (before != state and before not in paused)):
            start, pauses, paused_at = at, [], None
        elif before == state and after in paused:
            paused_at = at
        elif before in paused and after == state and paused_at is not None:
            pauses.append((paused_at, at))
            paused_at = None
        elif before == state and after != state:
            start = None
    if start is None:
        return None
    if paused_at is not None:
        pauses.append((paused_at, now))
    plan = deadlines.plan(workflow, state, start, record.category, record.severity,
                          record.values, switches_at(conn, schema, workflow, record.node_path))
    if plan is None:
        return None
    for pause, resume in pauses:
        plan = deadlines.resume(plan, pause, resume)
    return plan


def _moves(history: Table, record: Record) -> tuple[ColumnElement[bool], ...]:
    """The record's history rows that may move it: edits never do (rows written before
    edits carried their from_state have only a to_state, so they are told by action)."""
    return (history.c.register == record.register, history.c.record == record.id,
            history.c.action != "edit")
