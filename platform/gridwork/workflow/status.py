"""What the engine says about a record that every view shows the same way: whether it is
open, whether it is overdue, and whether a user may supervise it — as Python for one
record, and as SQL for lists that filter on it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, Table, and_, false

from ..config import Deployment
from ..hierarchy import Grant
from ..storage import Schema
from .actors import Actor, holds_node, with_verb
from .records import Record


def open_states(deployment: Deployment, register: str) -> tuple[str, ...]:
    """The states of the register's workflow that are not final (none without one)."""
    name = deployment.registers[register].workflow
    if name is None:
        return ()
    return tuple(key for key, state in deployment.workflows[name].states.items()
                 if not state.final)


def is_open(deployment: Deployment, record: Record) -> bool:
    """Whether the record is in a state of its workflow that is not final."""
    return record.state in open_states(deployment, record.register)


def is_overdue(deployment: Deployment, record: Record, now: dt.datetime) -> bool:
    """Whether the record is open and its deadline has passed."""
    return (record.deadline is not None and record.deadline < now
            and is_open(deployment, record))


def open_clause(deployment: Deployment, register: str, table: Table) -> ColumnElement[bool]:
    """SQL: the register's records that are open (`is_open`)."""
    states = open_states(deployment, register)
    return table.c.state.in_(states) if states and "state" in table.c else false()


def overdue_clause(deployment: Deployment, register: str, table: Table,
                   now: dt.datetime) -> ColumnElement[bool]:
    """SQL: the register's records that are overdue (`is_overdue`)."""
    if "deadline" not in table.c:
        return false()
    return and_(open_clause(deployment, register, table), table.c.deadline < now)


def may_supervise(deployment: Deployment, schema: Schema, user: Actor,
                  record: Record) -> bool:
    """Whether ``user`` may open a supervision of the record: it is open, and one of their
    grants whose role may `supervise` the register covers it (as `scope_filter` would)."""
    if not is_open(deployment, record):
        return False
    by_department = "department" in schema.table(record.register).c
    return any(_covers(grant, record, by_department) for grant in
               with_verb(deployment, user, "supervise", record.register).grants)


def _covers(grant: Grant, record: Record, by_department: bool) -> bool:
    if grant.department is not None and by_department:
        return record.department_id == grant.department
    return grant.node_path is not None and holds_node(grant, record.node_id, record.node_path)
