"""A sweep batch's first statement: claim due timers, and on PostgreSQL fire deadlines too.

The claim marks up to a batch of due pending timers fired, earliest first, and returns two
small integers per timer: its id and a code (`code`). The rest of a timer is read only
where needed: returning every column cost a fifth of the claim when 100,000 deadlines were
due, and integers cost the driver no object per timer where strings would.

On PostgreSQL the statement also fires the deadlines it may: a data-modifying WITH writes
the `overdue` history row of each claimed deadline whose record is still in the timer's
state and round, unless it must wait for a reminder or escalation step of the batch (one
of the same record, which fires in due order around it; or the batch's too many such
timers, past which the sweep hands the rest back). Those come back as `WRITTEN`, so
their ids travel to the server once. SQLite has no data-modifying WITH; there the
sweep writes every deadline itself.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Executable,
    Update,
    any_,
    case,
    false,
    func,
    or_,
    select,
    update,
)

from ..storage import Schema
from ..workflow import history
from .effects import still_in

Claimed = tuple[int, int]
"""A claimed timer: its id and `code`."""
NOT_DEADLINE, GONE, WRITTEN = -1, -2, -3


def claim(conn: Connection, schema: Schema, now: dt.datetime, batch: int,
          passed: set[int], effects: int) -> list[Claimed]:
    """Mark up to ``batch`` due pending timers fired (earliest first, none of ``passed``);
    return each one's id and code. On PostgreSQL, deadlines come back `WRITTEN` when
    firing them needs no order against the batch's reminders and escalation steps, of
    which the sweep fires ``effects`` at most."""
    timers = schema.system("timers")
    pending = (timers.c.fired_at.is_(None), timers.c.cancelled_at.is_(None))
    pick = select(timers.c.id).where(*pending, timers.c.due_at <= now)
    if passed:
        pick = pick.where(timers.c.id.not_in(passed))
    pick = (pick.order_by(timers.c.due_at, timers.c.id).limit(batch)
            .with_for_update(skip_locked=True))
    statement: Executable
    if conn.dialect.name == "postgresql":
        # `= ANY(array(…))`: with `IN (…)` the planner would scan every pending timer to
        # join it with the few picked.
        picked = timers.c.id == any_(func.array(pick.scalar_subquery()))
        statement = _firing_deadlines(schema, update(timers).where(picked, *pending)
                                      .values(fired_at=now), now, effects)
    else:  # one statement, so the claim takes SQLite's write lock before it reads
        statement = (update(timers).where(timers.c.id.in_(pick), *pending)
                     .values(fired_at=now).returning(timers.c.id, code(schema, timers.c)))
    result = conn.execute(statement)
    rows: list[Claimed] = result.cursor.fetchall()  # the driver's own tuples: no Row each
    result.close()
    return rows


def code(schema: Schema, timer: Any) -> ColumnElement[int]:
    """A claimed timer's kind and register as one small integer (``timer``: columns of the
    timers table or of a query over it): a deadline's is the index of its register in
    `workflow_registers` (`GONE` when the config has it no longer), a reminder's or
    step's `NOT_DEADLINE`."""
    registers = {name: n for n, name in enumerate(workflow_registers(schema))}
    return case((timer.kind == "deadline",
                 case(registers, value=timer.register, else_=GONE) if registers else GONE),
                else_=NOT_DEADLINE)


def workflow_registers(schema: Schema) -> tuple[str, ...]:
    """The registers whose records have timers, in config order."""
    return tuple(name for name, spec in schema.deployment.registers.items() if spec.workflow)


def _firing_deadlines(schema: Schema, claiming: Update, now: dt.datetime,
                      effects: int) -> Executable:
    """The PostgreSQL claim: ``claiming`` (the UPDATE marking the picked timers fired),
    then one history row for each deadline that fires now, then every claimed timer's id
    and code, `WRITTEN` for those deadlines."""
    timers = schema.system("timers")
    claimed = claiming.returning(timers.c.id, timers.c.kind, timers.c.register,
                                 timers.c.record, timers.c.state, timers.c.round,
                                 timers.c.due_at).cte("claimed")
    single = claimed.c.kind != "deadline"
    joined: Any = claimed
    found = []
    for name in workflow_registers(schema):
        table = schema.table(name)
        joined = joined.outerjoin(table, (claimed.c.register == name)
                                  & still_in(table, claimed.c))
        found.append(table.c.id.is_not(None))
    ranked = select(
        claimed.c.id, claimed.c.kind, claimed.c.register, claimed.c.record, claimed.c.state,
        claimed.c.round,
        (~single & or_(*found) if found else false()).label("current"),
        func.bool_or(single).over(partition_by=(claimed.c.register, claimed.c.record))
        .label("crowded"),
        func.count().filter(single).over(order_by=(claimed.c.due_at, claimed.c.id))
        .label("singles_before"),
    ).select_from(joined).cte("ranked")
    fires = ranked.c.current & ~ranked.c.crowded & (ranked.c.singles_before <= effects)
    wrote = history.insert_selected(
        schema, history.overdue_rows("postgresql", ranked.c, now).where(fires)).cte("wrote")
    return select(ranked.c.id, case((fires, WRITTEN), else_=code(schema, ranked.c))
                  ).add_cte(wrote)
