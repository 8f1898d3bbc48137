"""Workflow switches set at runtime for a subtree (an emergency mode for the regions
concerned): who may set them, what a record sees where it sits, and the history of changes.

A switch set at a node holds for its whole subtree: the rows below it are removed, so the
latest change covering a node is the one it follows. A node no row covers follows the
config. Limits, ladder steps and automatic steps read the switches where the record sits
when its stay is planned or the step is taken, so a change applies from its moment on;
stays planned before it keep their deadlines.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select

from ..forms.messages import REQUIRED, message
from ..hierarchy import ancestor_codes, in_subtree
from ..clock import Clock
from ..runtime import Runtime
from ..storage import Schema
from ..storage.system import SWITCH_SUBJECT
from . import history
from .actors import Actor, holds_node
from .errors import Forbidden, Invalid, NotFound
from .history import Change, Kind
from .transaction import transaction

VERB = "switch"
"""The `can:` verb that lets a role set switches in its scope."""


@dataclass(frozen=True)
class Setting:
    """A switch as set for one subtree."""

    workflow: str
    name: str
    node: str
    node_name: str
    level: str
    on: bool
    at: dt.datetime
    by: str | None
    reason: str


@dataclass(frozen=True)
class Switched:
    """One change of a switch, as its history row keeps it."""

    at: dt.datetime
    by: str | None
    workflow: str
    name: str
    node: str
    on: bool
    was: bool
    reason: str


def switches_at(conn: Connection, schema: Schema, workflow: str,
                node_path: str) -> dict[str, bool]:
    """The workflow's switches at the node with ``node_path``: the config's values, each
    replaced by the setting of the deepest node on the path that has one."""
    configured = dict(schema.deployment.workflows[workflow].switches)
    if not configured:
        return configured
    table, nodes = schema.system("switches"), schema.system("nodes")
    rows = conn.execute(select(table.c.name, table.c.on)
                        .join(nodes, nodes.c.id == table.c.node)
                        .where(table.c.workflow == workflow,
                               nodes.c.code.in_(ancestor_codes(node_path)))
                        .order_by(nodes.c.depth))
    for name, on in rows:
        if name in configured:
            configured[name] = bool(on)
    return configured


def may_switch(runtime: Runtime, user: Actor) -> bool:
    """Whether any of the user's roles may set switches somewhere."""
    roles = runtime.deployment.roles
    return any(g.role in roles and VERB in roles[g.role].can for g in user.grants)


def set_switch(conn_or_engine: Connection | Engine, runtime: Runtime, user: Actor,
               workflow: str, name: str, node_code: str, on: bool, reason: str, *,
               clock: Clock) -> Switched:
    """Turn a workflow switch on or off for the subtree at ``node_code``, with a reason,
    and write its history row; NotFound (no such switch or node), Forbidden (not in the
    user's `switch` scope) or Invalid (no reason)."""
    spec = runtime.deployment.workflows.get(workflow)
    if spec is None or name not in spec.switches:
        raise NotFound(f"no switch '{name}' in workflow '{workflow}'")
    reason = (reason or "").strip()
    if not reason:
        raise Invalid({"reason": [message(REQUIRED)]})
    schema = runtime.schema
    table, nodes = schema.system("switches"), schema.system("nodes")
    with transaction(conn_or_engine) as conn:
        now = clock()
        node = conn.execute(select(nodes.c.id, nodes.c.path).where(
            nodes.c.code == node_code)).first()
        if node is None:
            raise NotFound(f"no node '{node_code}'")
        roles = runtime.deployment.roles
        if not any(g.role in roles and VERB in roles[g.role].can
                   and holds_node(g, node.id, node.path) for g in user.grants):
            raise Forbidden(f"may not set switches at '{node_code}'")
        # Lock the path from the root down (always in that order, so two changes never wait
        # for each other): a change here and one above or below it then take turns, and
        # each reads what the other left.
        conn.execute(select(nodes.c.id).where(nodes.c.code.in_(ancestor_codes(node.path)))
                     .order_by(nodes.c.depth).with_for_update())
        was = switches_at(conn, schema, workflow, node.path)[name]
        conn.execute(delete(table).where(
            table.c.workflow == workflow, table.c.name == name,
            table.c.node.in_(select(nodes.c.id).where(in_subtree(nodes.c.path, node.path)))))
        conn.execute(insert(table).values(workflow=workflow, name=name, node=node.id, on=on,
                                          at=now, by=user.id, reason=reason))
        history.write(conn, schema, Change(
            Kind.SWITCHED, SWITCH_SUBJECT, node.id, now, actor=user.id, comment=reason,
            before={"on": was}, after={"workflow": workflow, "switch": name,
                                       "node": node_code, "on": on}))
    username = getattr(user, "username", None)
    return Switched(now, username, workflow, name, node_code, on, was, reason)


def settings(conn: Connection, schema: Schema) -> list[Setting]:
    """Every switch set for a subtree, by workflow, switch and place in the tree."""
    table, nodes, users = (schema.system(n) for n in ("switches", "nodes", "users"))
    query = (select(table, nodes.c.code, nodes.c.name.label("node_name"), nodes.c.level,
                    users.c.username)
             .join(nodes, nodes.c.id == table.c.node)
             .outerjoin(users, users.c.id == table.c.by)
             .order_by(table.c.workflow, table.c.name, nodes.c.path))
    return [Setting(row.workflow, row.name, row.code, row.node_name, row.level, bool(row.on),
                    row.at, row.username, row.reason) for row in conn.execute(query)]


def changes(conn: Connection, schema: Schema, limit: int = 50) -> list[Switched]:
    """The latest switch changes, newest first."""
    table, users = schema.system("history"), schema.system("users")
    query = (select(table.c.at, users.c.username, table.c.comment, table.c.before,
                    table.c.after)
             .outerjoin(users, users.c.id == table.c.actor)
             .where(table.c.register == SWITCH_SUBJECT, table.c.kind == Kind.SWITCHED.value)
             .order_by(table.c.id.desc()).limit(limit))
    return [_switched(row) for row in conn.execute(query)]


def _switched(row: Any) -> Switched:
    after: Mapping[str, Any] = row.after or {}
    before: Mapping[str, Any] = row.before or {}
    return Switched(row.at, row.username, str(after.get("workflow")), str(after.get("switch")),
                    str(after.get("node")), bool(after.get("on")), bool(before.get("on")),
                    row.comment or "")
