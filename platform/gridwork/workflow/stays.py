"""A record's stay in a state: timers written on entering, cancelled on leaving, and the
deadline; a return from a paused state moves the earlier plan on by the time paused."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, Connection, Table, insert, select, update

from ..storage import Schema
from ..timers.deadlines import Deadlines, Timer, TimerPlan
from .records import Record


def cancel(conn: Connection, schema: Schema, record: Record, state: str,
           now: dt.datetime) -> None:
    """Cancel the record's pending timers of ``state``."""
    timers = schema.system("timers")
    conn.execute(update(timers).where(
        timers.c.register == record.register, timers.c.record == record.id,
        timers.c.state == state, timers.c.fired_at.is_(None),
        timers.c.cancelled_at.is_(None)).values(cancelled_at=now))


def write_plan(conn: Connection, schema: Schema, record: Record, plan: TimerPlan,
               round_: int, now: dt.datetime) -> None:
    """Insert a plan's timers that are still to come; of a repeating step only the next
    firing (the sweep writes each following one as it fires, for as long as the stay lasts)."""
    coming = [timer for timer in plan.timers if timer.at > now]
    firsts = {(timer.kind, timer.step): timer for timer in reversed(coming)}
    _insert(conn, schema, record, plan, round_,
            [timer for timer in coming if firsts[timer.kind, timer.step] is timer])


def _insert(conn: Connection, schema: Schema, record: Record, plan: TimerPlan, round_: int,
            chosen: list[Timer]) -> None:
    rows = [{"register": record.register, "record": record.id, "kind": timer.kind,
             "state": plan.state, "round": round_, "step": timer.step, "due_at": timer.at}
            for timer in chosen]
    if rows:
        conn.execute(insert(schema.system("timers")), rows)


def enter(conn: Connection, schema: Schema, deadlines: Deadlines, workflow: str,
          record: Record, from_state: str | None, now: dt.datetime) -> dt.datetime | None:
    """Cancel the old state's timers, plan the new state's; return the record's deadline."""
    state = record.state
    assert state is not None
    if from_state is not None:
        cancel(conn, schema, record, from_state, now)
    plan = _resumed(conn, schema, deadlines, workflow, record, from_state, now)
    if plan is None:
        plan = deadlines.plan(workflow, state, now, record.category, record.severity,
                              record.values)
    if plan is None:
        return None
    write_plan(conn, schema, record, plan, record.round, now)
    return plan.deadline


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
    history = schema.system("history")
    entered = conn.execute(select(history.c.at, history.c.from_state).where(
        *_moves(history, record), history.c.to_state == state,
        history.c.from_state.is_distinct_from(state),
    ).order_by(history.c.id.desc())).first()
    cancel(conn, schema, record, state, now)
    if entered is None:
        return None
    plan = _resumed(conn, schema, deadlines, workflow, record, entered.from_state, entered.at)
    if plan is None:
        plan = deadlines.plan(workflow, state, entered.at, record.category, record.severity,
                              record.values)
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
    _insert(conn, schema, record, plan, record.round, chosen)
    return plan.deadline


def _resumed(conn: Connection, schema: Schema, deadlines: Deadlines, workflow: str,
             record: Record, from_state: str | None, now: dt.datetime) -> TimerPlan | None:
    """The moved-on plan when the record comes back from a pause to the state it paused."""
    states = deadlines.deployment.workflows[workflow].states
    if from_state is None or not states[from_state].paused:
        return None
    history = schema.system("history")
    mine = _moves(history, record)
    paused = conn.execute(select(history.c.at, history.c.from_state).where(
        *mine, history.c.to_state == from_state).order_by(history.c.id.desc())).first()
    if paused is None or record.state is None or paused.from_state != record.state:
        return None
    entered = conn.execute(select(history.c.at).where(
        *mine, history.c.to_state == record.state, history.c.at <= paused.at,
        history.c.from_state.is_distinct_from(record.state)).order_by(history.c.id.desc())).scalar()
    if entered is None:
        return None
    plan = deadlines.plan(workflow, record.state, entered, record.category, record.severity,
                          record.values)
    return None if plan is None else deadlines.resume(plan, paused.at, now)


def _moves(history: Table, record: Record) -> tuple[ColumnElement[bool], ...]:
    """The record's history rows that may move it: edits never do (rows written before
    edits carried their from_state have only a to_state, so they are told by action)."""
    return (history.c.register == record.register, history.c.record == record.id,
            history.c.action != "edit")
