"""A record's stay in a state: timers written on entering, cancelled on leaving, and the
deadline; a return from a paused state moves the earlier plan on by the time paused."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, insert, select, update

from ..storage import Schema
from ..timers.deadlines import Deadlines, TimerPlan
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
               round_: int, now: dt.datetime, *, passed_deadline: bool = False) -> None:
    """Insert a plan's timers that are still to come; of a repeating step only the next
    firing (the sweep writes each following one as it fires, for as long as the stay lasts).
    With ``passed_deadline``, a deadline already passed too: the next sweep marks the
    record overdue."""
    coming = [timer for timer in plan.timers
              if timer.at > now or (passed_deadline and timer.kind == "deadline")]
    firsts = {(timer.kind, timer.step): timer for timer in reversed(coming)}
    rows = [{"register": record.register, "record": record.id, "kind": timer.kind,
             "state": plan.state, "round": round_, "step": timer.step, "due_at": timer.at}
            for timer in coming if firsts[timer.kind, timer.step] is timer]
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
    from), its pending timers replaced by the new plan's still to come; return the
    deadline. Timers that fired stay fired."""
    state = record.state
    assert state is not None
    history = schema.system("history")
    entered = conn.execute(select(history.c.at, history.c.from_state).where(
        history.c.register == record.register, history.c.record == record.id,
        history.c.to_state == state, history.c.from_state.is_distinct_from(state),
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
    marked = conn.execute(select(timers.c.id).where(
        timers.c.register == record.register, timers.c.record == record.id,
        timers.c.state == state, timers.c.round == record.round, timers.c.kind == "deadline",
        timers.c.fired_at.is_not(None)).limit(1)).first() is not None
    write_plan(conn, schema, record, plan, record.round, now, passed_deadline=not marked)
    return plan.deadline


def _resumed(conn: Connection, schema: Schema, deadlines: Deadlines, workflow: str,
             record: Record, from_state: str | None, now: dt.datetime) -> TimerPlan | None:
    """The moved-on plan when the record comes back from a pause to the state it paused."""
    states = deadlines.deployment.workflows[workflow].states
    if from_state is None or not states[from_state].paused:
        return None
    history = schema.system("history")
    mine = (history.c.register == record.register, history.c.record == record.id)
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
