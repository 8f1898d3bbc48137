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
               round_: int, now: dt.datetime) -> None:
    """Insert a plan's timers that are still to come; of a repeating step only the next
    firing (the sweep writes each following one as it fires, for as long as the stay lasts)."""
    coming = [timer for timer in plan.timers if timer.at > now]
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
