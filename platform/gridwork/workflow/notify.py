"""Who a message goes to (roles up the record's branch, its assignee, reporter or
department), handed to the notification outbox in the caller's transaction."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Select, Table, bindparam, or_, select

from ..config.models import Target
from ..hierarchy import ancestor_codes
from ..notify.outbox import enqueue
from ..storage import Schema

if TYPE_CHECKING:
    from ..runtime import Runtime

TEMPLATE = "notice"
"""The message template of workflow notices (a deployment may define its own)."""


@dataclass(frozen=True)
class About:
    """The record a message is about, as the recipients' lookup needs it."""

    register: str
    record: int
    node_path: str
    department: int | None
    assignee: int | None
    reporter: int | None


def as_targets(argument: Any) -> list[Target]:
    """An action's ``notify:`` argument (one or many roles or {role, level}) as targets."""
    items = argument if isinstance(argument, list | tuple) else [argument]
    return [Target.model_validate({"role": item} if isinstance(item, str) else item)
            for item in items]


def recipients(conn: Connection, schema: Schema, about: About,
               targets: Iterable[Target]) -> list[int]:
    """User ids the targets name for this record, each once, in the order found."""
    found: list[int] = []
    for target in targets:
        for user in _users(conn, schema, about, target):
            if user not in found:
                found.append(user)
    return found


def _users(conn: Connection, schema: Schema, about: About, target: Target) -> list[int]:
    if target.role == "assignee":
        return [about.assignee] if about.assignee is not None else []
    if target.role == "reporter":
        return [about.reporter] if about.reporter is not None else []
    grants, users, nodes = (schema.system(n) for n in ("grants", "users", "nodes"))
    if target.role == "department":
        if about.department is None:
            return []
        return list(conn.execute(_department_staff(users, grants),
                                 {"_department": about.department}).scalars())
    role = schema.deployment.roles.get(target.role)
    if role is None:
        return []
    if not role.at and target.level is None:
        query = select(grants.c.user).where(grants.c.role == target.role)
        if about.department is not None:
            query = query.where(grants.c.department == about.department)
        return list(conn.execute(query.distinct().order_by(grants.c.user)).scalars())
    # The role's holders on the record's branch at the level asked for, else at the
    # nearest node of the role's own levels that has holders (a role held at several
    # levels reaches the one closest to the record, wherever that is).
    levels = (target.level,) if target.level else role.at
    rows = conn.execute(_on_branch(grants, nodes), {
        "_role": target.role, "_codes": ancestor_codes(about.node_path), "_levels": list(levels),
    }).all()
    return list(dict.fromkeys(row.user for row in rows if row.node == rows[0].node)) if rows \
        else []


@functools.lru_cache(maxsize=64)
def _department_staff(users: Table, grants: Table) -> Select[Any]:
    """The users of ``:_department`` (by their own or a grant's department), built once."""
    department = bindparam("_department")
    return (select(users.c.id).outerjoin(grants, grants.c.user == users.c.id)
            .where(or_(grants.c.department == department, users.c.department == department))
            .distinct().order_by(users.c.id))


@functools.lru_cache(maxsize=64)
def _on_branch(grants: Table, nodes: Table) -> Select[Any]:
    """Holders of ``:_role`` and their nodes, at nodes of ``:_levels`` among ``:_codes``,
    nearest first."""
    return (select(grants.c.user, grants.c.node).join(nodes, nodes.c.id == grants.c.node)
            .where(grants.c.role == bindparam("_role"),
                   nodes.c.code.in_(bindparam("_codes", expanding=True)),
                   nodes.c.level.in_(bindparam("_levels", expanding=True)))
            .order_by(nodes.c.depth.desc(), grants.c.user))


def send(conn: Connection, runtime: Runtime, about: About, users: Iterable[int], *,
         cause: str, occasion: str, context: dict[str, Any], now: dt.datetime) -> int:
    """Put a notice to each user in the outbox, on their roles' channels; ``occasion``
    (with the cause) keeps one notice per user however many actions name them."""
    return enqueue(conn, runtime, recipients=users, template=TEMPLATE,
                   context=context, cause=cause, clock=lambda: now, register=about.register,
                   record=about.record, occasion=occasion)
