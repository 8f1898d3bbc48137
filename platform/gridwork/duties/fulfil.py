"""Fulfilment: a duty is done when the record linked to it reaches a final state of its
workflow (or, in a register without a workflow, once a person saved it: created it from the
duty, or edited the one created with the duty); a duty of a `mode: expect` schedule also by a
record reported at its entry within its time. `done_at` is when
the record got there (its last change), so a duty settled by a later sweep is not counted
late for the sweep's delay."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, Row, Table, exists, func, or_, select, update

from ..config.models import Schedule
from ..runtime import Runtime
from ..storage import Schema
from ..storage.system import DUTY_LINK, DutyState
from ..workflow.records import link_duty

OPEN_STATES = (DutyState.OPEN, DutyState.OVERDUE)
"""The states of a duty still waiting for its record."""


class NotYours(LookupError):
    """No open duty of that id is this user's to fulfil."""


@dataclass(frozen=True)
class Start:
    """What a worker starts a duty's record with: the register, the node and the values
    the schedule's `fill` computes from the entry."""

    duty: int
    register: str
    node: str
    values: dict[str, object]


def start(conn: Connection, runtime: Runtime, duty_id: int, user: int) -> Start:
    """The form a duty's record starts from; NotYours when the duty is not open or is
    assigned to someone else."""
    schema = runtime.schema
    row = _duty(conn, schema, duty_id)
    if row is None or row.state not in OPEN_STATES or row.record is not None or (
            row.assignee is not None and row.assignee != user):
        raise NotYours(f"duty #{duty_id} is not open for you")
    schedule = next((s for s in runtime.deployment.schedules if s.name == row.schedule), None)
    values: dict[str, object] = {}
    if schedule is not None and schedule.fill:
        scope = _entry_scope(conn, schema, schedule.register_name, row.entry, row.node_code)
        functions = runtime.functions
        for name, expression in schedule.fill.items():
            values[name] = expression.evaluate(scope, functions)
    return Start(duty_id, row.register, row.node_code, values)


def link(conn: Connection, runtime: Runtime, duty_id: int, register: str, record: int,
         now: dt.datetime) -> bool:
    """Link a new record to an open duty of its register (in the caller's transaction, the
    one that created the record) and settle it; False when the duty is taken or closed."""
    schema = runtime.schema
    duties = schema.system("duties")
    taken = conn.execute(update(duties).where(
        duties.c.id == duty_id, duties.c.register == register, duties.c.record.is_(None),
        duties.c.state.in_(OPEN_STATES)).values(record=record)).rowcount
    if not taken:
        return False
    link_duty(conn, schema, register, record, duty_id)
    settle(conn, runtime, now, register=register, records=[record])
    return True


def settle(conn: Connection, runtime: Runtime, now: dt.datetime, *,
           register: str | None = None, records: list[int] | None = None) -> int:
    """Mark done every open or overdue duty whose record has reached a final state, one
    UPDATE per register, and every open duty of a `mode: expect` schedule met by a record
    reported at its entry within its time; return how many."""
    schema, deployment = runtime.schema, runtime.deployment
    duties = schema.system("duties")
    registers = {s.creates for s in deployment.schedules}
    if register is not None:
        registers &= {register}
    done = 0
    for name in sorted(registers):
        if name not in deployment.registers:
            continue
        table = schema.table(name)
        finished = select(table.c.id).where(_finished(runtime, name, table))
        if records is not None:
            finished = finished.where(table.c.id.in_(records))
        when = select(table.c.updated_at).where(table.c.id == duties.c.record).scalar_subquery()
        done += conn.execute(update(duties).where(
            duties.c.register == name, duties.c.state.in_(OPEN_STATES),
            duties.c.record.in_(finished)).values(state=DutyState.DONE, done_at=when),
            execution_options={"preserve_rowcount": True}).rowcount
    for schedule in deployment.schedules:
        if schedule.mode == "expect" and schedule.creates in registers:
            done += _met(conn, runtime, schedule, records)
    return done


def _finished(runtime: Runtime, register: str, table: Table) -> ColumnElement[bool]:
    """SQL: a record of ``register`` counts as done — in a final state of its workflow;
    without one, saved by a person (created by one, or edited after the generator made
    it)."""
    spec = runtime.deployment.registers[register]
    if spec.workflow is None:
        return or_(table.c.reporter.is_not(None), table.c.version > 1)
    workflow = runtime.deployment.workflows[spec.workflow]
    return table.c.state.in_([key for key, state in workflow.states.items() if state.final])


def _met(conn: Connection, runtime: Runtime, schedule: Schedule,
         records: list[int] | None) -> int:
    """Settle the open duties of an expecting schedule that a done record reported at the
    entry (its node; for a register's entries, naming the entry in a reference field)
    between the duty's start and due time meets; with ``records``, only those records
    count. A record made for another duty (linked to it) meets no other. Overdue duties
    stay missed."""
    schema = runtime.schema
    duties = schema.system("duties")
    refs = [f.name for f in runtime.deployment.registers[schedule.creates].fields
            if schedule.register_name is not None and f.register_name == schedule.register_name]
    if schedule.register_name is not None and not refs:
        return 0  # only records started from the duty's link meet it

    def match(table: Table) -> list[ColumnElement[bool]]:
        found = [table.c.node == duties.c.node, table.c.created_at >= duties.c.starts_at,
                 table.c.created_at < duties.c.due_at, table.c[DUTY_LINK].is_(None),
                 _finished(runtime, schedule.creates, table)]
        if records is not None:
            found.append(table.c.id.in_(records))
        return found + [table.c[refs[0]] == duties.c.entry] if refs else found

    table, inner = schema.table(schedule.creates), schema.table(schedule.creates).alias("met")
    first = select(func.min(inner.c.id)).where(*match(inner)).correlate(duties).scalar_subquery()
    when = select(table.c.updated_at).where(table.c.id == first).scalar_subquery()
    return conn.execute(update(duties).where(
        duties.c.schedule == schedule.name, duties.c.state == DutyState.OPEN,
        duties.c.record.is_(None), exists().where(*match(table)))
        .values(state=DutyState.DONE, record=first, done_at=when),
        execution_options={"preserve_rowcount": True}).rowcount


def _duty(conn: Connection, schema: Schema, duty_id: int) -> Row[tuple[object, ...]] | None:
    duties, nodes = schema.system("duties"), schema.system("nodes")
    return conn.execute(select(duties, nodes.c.code.label("node_code"))
                        .join(nodes, nodes.c.id == duties.c.node)
                        .where(duties.c.id == duty_id)).first()


def _entry_scope(conn: Connection, schema: Schema, register: str | None, entry: int,
                 node: str) -> dict[str, object]:
    """The names a schedule's `fill` reads: the entry's fields and id (or the node's)."""
    if register is None:
        return {"node": node, "id": entry}
    table = schema.table(register)
    row = conn.execute(select(table).where(table.c.id == entry)).mappings().first()
    if row is None:
        return {"node": node, "id": entry}
    return {**dict(row), **schema.values(register, row), "node": node, "id": entry}


def drop_unscheduled(conn: Connection, runtime: Runtime) -> int:
    """Drop the open and overdue duties of schedules the config no longer has (a removed
    or renamed schedule asks nothing more); return how many."""
    duties = runtime.schema.system("duties")
    names = [s.name for s in runtime.deployment.schedules]
    return conn.execute(update(duties).where(
        duties.c.state.in_(OPEN_STATES), duties.c.schedule.not_in(names))
        .values(state=DutyState.DROPPED),
        execution_options={"preserve_rowcount": True}).rowcount
