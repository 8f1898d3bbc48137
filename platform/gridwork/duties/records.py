"""Records created with their duties (`mode: create`): one record of the `creates` register
per duty, its `fill` computed from the entry in SQL, in the workflow's first state, with a
`created` history row — three set-based statements per schedule and period.

A duty whose record exists already (a rerun, a second generator that waited for the first)
gets none: the INSERT selects only duties without a record and without a record naming them.
The records get no deadline of their own: the duty's due time is what they are held to.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, Connection, exists, func, insert, literal, select, update

from ..config.models import Schedule
from ..runtime import Runtime
from ..storage.history_kinds import ACTIONS, Kind
from ..storage.system import DUTY_LINK, DutyState
from ..storage.types import UTCDateTime
from ..config.sql import NotInSQL, value
from ..workflow import history


def precreate(conn: Connection, runtime: Runtime, schedule: Schedule, period: str,
              now: dt.datetime) -> int:
    """Create the records of the open duties of ``schedule`` in ``period`` that have none
    and link them; return how many."""
    schema = runtime.schema
    duties, nodes = schema.system("duties"), schema.system("nodes")
    table = schema.table(schedule.creates)
    waiting = (
        duties.c.schedule == schedule.name, duties.c.period == period,
        duties.c.record.is_(None), duties.c.state == DutyState.OPEN)
    columns: dict[str, ColumnElement[Any]] = {
        "node": duties.c.node, "created_at": literal(now, UTCDateTime),
        "updated_at": literal(now, UTCDateTime), "version": literal(1), DUTY_LINK: duties.c.id}
    workflow = schema.deployment.registers[schedule.creates].workflow
    if workflow is not None:
        columns["state"] = literal(schema.deployment.workflows[workflow].initial_state)
        columns["round"] = literal(1)
    source = select().select_from(duties.join(nodes, nodes.c.id == duties.c.node))
    names: dict[str, ColumnElement[Any]] = {"id": duties.c.entry, "node": nodes.c.code}
    entries = nodes
    if schedule.register_name is not None:
        entries = schema.table(schedule.register_name)
        source = source.join(entries, entries.c.id == duties.c.entry)
    for field, expression in schedule.fill.items():
        if field not in table.c:
            raise NotInSQL(f"fill: field '{field}' of {schedule.creates} takes several "
                           "columns; fill it on the form")
        columns[field] = value(expression, entries, names)
    unlinked = ~exists().where(table.c[DUTY_LINK] == duties.c.id)
    if conn.dialect.name == "postgresql":
        # A second generator waits here until the first commits, then finds the records
        # made (its INSERT reads anew); SQLite's writers already take turns.
        conn.execute(select(duties.c.id).where(*waiting).with_for_update())
    made = conn.execute(insert(table).from_select(
        list(columns), source.add_columns(*columns.values()).where(*waiting, unlinked)),
        execution_options={"preserve_rowcount": True}).rowcount
    if made <= 0:
        return 0
    as_json = func.json_build_object if conn.dialect.name == "postgresql" else func.json_object
    history.write_selected(conn, schema, select(
        literal(schedule.creates), table.c.id, literal(now, UTCDateTime),
        literal(Kind.CREATED.value), literal(ACTIONS[Kind.CREATED]),
        table.c.round if "round" in table.c else literal(None),
        as_json("duty", table.c[DUTY_LINK])).join(
        duties, duties.c.id == table.c[DUTY_LINK]).where(*waiting))
    conn.execute(update(duties).where(*waiting).values(record=select(table.c.id).where(
        table.c[DUTY_LINK] == duties.c.id).scalar_subquery()))
    return made
