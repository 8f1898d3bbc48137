"""Work queues (待分发, 待接受…) as SQL: state, assignment and the user's scope, counted for
the navigation and listed oldest deadline first."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Table,
    and_,
    false,
    func,
    literal,
    select,
    union_all,
)

from ..clock import Clock
from ..config import Deployment
from ..config.models import Queue, Workflow
from ..hierarchy import Grant, scope_filter
from ..storage import Schema
from .actors import Actor
from .records import Record, load_record


@dataclass(frozen=True)
class QueueCount:
    """A queue the user sees, and how many records wait in it."""

    name: str
    label: str
    workflow: str
    count: int


@dataclass(frozen=True)
class _Grants:
    grants: tuple[Grant, ...]


def _admin_roles(deployment: Deployment, user: Actor) -> set[str]:
    """The user's roles that administer the deployment: they see every queue in scope."""
    return {g.role for g in user.grants if g.role in deployment.roles
            and "admin" in deployment.roles[g.role].can}


def _queues(deployment: Deployment, user: Actor) -> list[tuple[str, Workflow, str, Queue]]:
    """(workflow name, workflow, queue name, queue) for every queue one of the user's roles
    sees (an administrator sees them all), in config order."""
    roles = {g.role for g in user.grants}
    admin = bool(_admin_roles(deployment, user))
    return [(wname, workflow, qname, queue)
            for wname, workflow in deployment.workflows.items()
            for qname, queue in workflow.queues.items() if admin or roles & set(queue.roles)]


def _condition(table: Table, workflow: Workflow, queue: Queue, user: Actor,
               now: dt.datetime, admin: set[str]) -> ColumnElement[bool]:
    """SQL: the table's rows that belong in the queue for this user; an administrator's
    are every row of the queue's states within their scope."""
    states = list(queue.states) or [n for n, s in workflow.states.items() if not s.final]
    grants = tuple(g for g in user.grants if g.role in queue.roles)
    if not grants and admin:
        whom: ColumnElement[bool] = scope_filter(
            _Grants(tuple(g for g in user.grants if g.role in admin)), table)
    elif queue.assigned == "me":
        whom = table.c.assignee == user.id
    elif queue.assigned == "my_department":
        departments = [g.department for g in grants if g.department is not None]
        whom = table.c.department.in_(departments) if departments else false()
    else:
        whom = scope_filter(_Grants(grants), table)
    condition = and_(table.c.state.in_(states), whom)
    if queue.overdue:
        condition = and_(condition, table.c.deadline < now)
    return condition


def _union(deployment: Deployment, schema: Schema, workflow_name: str, workflow: Workflow,
           queue: Queue, user: Actor, now: dt.datetime) -> Any:
    """One SELECT (register, id, deadline, created_at) over every register of the workflow."""
    parts = []
    for register, spec in deployment.registers.items():
        if spec.workflow != workflow_name:
            continue
        table = schema.table(register)
        parts.append(select(literal(register).label("register"), table.c.id.label("id"),
                            table.c.deadline.label("deadline"),
                            table.c.created_at.label("created_at"))
                     .where(_condition(table, workflow, queue, user, now,
                                       _admin_roles(deployment, user))))
    return union_all(*parts).subquery() if parts else None


def queue_counts(conn: Connection, deployment: Deployment, schema: Schema, user: Actor, *,
                 clock: Clock) -> list[QueueCount]:
    """Every queue the user's roles see, with its count."""
    now, locale = clock(), deployment.about.locale
    counts = []
    for wname, workflow, qname, queue in _queues(deployment, user):
        rows = _union(deployment, schema, wname, workflow, queue, user, now)
        count = 0 if rows is None else conn.execute(
            select(func.count()).select_from(rows)).scalar_one()
        counts.append(QueueCount(qname, queue.label.text(locale), wname, int(count)))
    return counts


def queue_records(conn: Connection, deployment: Deployment, schema: Schema, user: Actor,
                  queue: str, *, clock: Clock, limit: int = 50,
                  offset: int = 0) -> list[Record]:
    """The records of one of the user's queues, oldest deadline first (none last), then
    oldest record; KeyError when no queue of that name is the user's."""
    found = next(((w, wf, q) for w, wf, name, q in _queues(deployment, user) if name == queue),
                 None)
    if found is None:
        raise KeyError(queue)
    rows = _union(deployment, schema, *found[:2], found[2], user, clock())
    if rows is None:
        return []
    query = (select(rows.c.register, rows.c.id)
             .order_by(rows.c.deadline.is_(None), rows.c.deadline, rows.c.created_at, rows.c.id)
             .limit(limit).offset(offset))
    return [load_record(conn, schema, register, record_id)
            for register, record_id in conn.execute(query)]


