"""Who takes part in a simulation and what they report: one user per role on the record's
branch (and per department), the reporting role, and values any validator accepts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, insert, select

from ..config import Deployment
from ..forms.steps import create_fields
from ..hierarchy import in_subtree, locate
from ..storage import Schema
from ..storage.columns import choice_codes
from ..demo.demo_values import DemoValues
from ..workflow import Record
from ..workflow.actors import may
from .simulate_timeline import Recipient


def seed_people(conn: Connection, schema: Schema, node: str) -> dict[int, Recipient]:
    """One user per role on the record's branch (named as the role) and one per department
    for departmental roles (``ROLE@DEPT``); return who each user is.

    Not `seed --demo`'s users: those sit on the first branch only, and a record reported
    elsewhere would then reach nobody up its own branch."""
    d = schema.deployment
    nodes, users, grants = (schema.system(n) for n in ("nodes", "users", "grants"))
    departments = dict(conn.execute(select(schema.system("departments").c.code,
                                           schema.system("departments").c.id)).all())
    path = conn.execute(select(nodes.c.path).where(nodes.c.code == node)).scalar_one()
    branch = path.strip("/").split("/")
    rows = conn.execute(select(nodes.c.code, nodes.c.id, nodes.c.level, nodes.c.path)
                        .where(nodes.c.code.in_(branch))).all()
    at_level = {row.level: (row.code, row.id, row.path) for row in rows}
    people: dict[int, Recipient] = {}
    now = dt.datetime.now(dt.UTC)
    for key, role in d.roles.items():
        if role.at:
            # A role held at several levels acts from the nearest of them on the branch.
            on_branch = [at_level[at] for at in role.at if at in at_level]
            place = (max(on_branch, key=lambda p: len(p[2])) if on_branch
                     else _below(conn, nodes, path, role.at[0]))
            if place is None:
                continue
            wanted = [(key, place[1], None, Recipient(key, place[0], None))]
        else:
            codes = [dep.code for dep in d.departments] if role.department == "*" else [
                role.department or ""]
            wanted = [(f"{key}@{code}", None, departments[code], Recipient(key, None, code))
                      for code in codes if code in departments]
        for username, node_id, department, who in wanted:
            user_id = conn.execute(insert(users).values(
                username=username, display_name=username, active=True, created_at=now,
                department=department).returning(users.c.id)).scalar_one()
            conn.execute(insert(grants).values(user=user_id, role=key, node=node_id,
                                               department=department, scope=role.scope))
            people[user_id] = who
    return people


def _below(conn: Connection, nodes: Any, path: str, level: str) -> tuple[str, int, str] | None:
    """The first node at ``level`` under ``path`` (a role that sits below the record)."""
    row = conn.execute(select(nodes.c.code, nodes.c.id, nodes.c.path).where(
        in_subtree(nodes.c.path, path), nodes.c.level == level)
        .order_by(nodes.c.path).limit(1)).first()
    return None if row is None else (row.code, row.id, row.path)


def reporter_role(deployment: Deployment, register: str, node: str) -> str | None:
    """The role that reports: the deepest one holding ``create`` above or at the node."""
    levels = [level.key for level in deployment.hierarchy.levels]
    level = next(n.level for n in deployment.nodes if n.code == node)
    found: tuple[int, str] | None = None
    for key, role in deployment.roles.items():
        if not role.at or not may(deployment, key, "create", register):
            continue
        here = levels.index(level)
        depth = max((levels.index(at) for at in role.at if levels.index(at) <= here),
                    default=None)
        if depth is not None and (found is None or depth > found[0]):
            found = depth, key
    return found[1] if found else None


def acting_user(people: dict[int, Recipient], by: str, record: Record) -> str | None:
    """The user who acts for ``by``: the role's user here, of the record's department for
    a departmental role, or ``by`` itself when it names a user (``ROLE@DEPT``)."""
    names = {who.username: who for who in people.values()}
    if by in names:
        return by
    if f"{by}@{record.department}" in names:
        return f"{by}@{record.department}"
    return next((name for name, who in names.items() if who.role == by), None)


def plausible_values(deployment: Deployment, register: str, category: str, node: str,
                     reported_at: dt.datetime) -> dict[str, Any]:
    """Values for the register's required fields that any validator accepts."""
    demo = DemoValues(deployment, seed=0)
    label = next(c for c, _ in deployment.all_categories() if c.code == category).label
    text = label.text(deployment.about.locale)
    local = reported_at.replace(tzinfo=None)
    values: dict[str, Any] = {}
    asked = create_fields(deployment, register)
    for spec in deployment.registers[register].fields:
        if not spec.required or spec.computed is not None or spec.name not in asked:
            continue
        kind = demo.types[spec.type]
        if spec.default is not None:
            values[spec.name] = spec.default
        elif "max_length" in kind.options:
            filled = f"{text}（模拟）".ljust(spec.min_length or 0, "。")
            values[spec.name] = filled[: spec.max_length or len(filled)]
        elif kind.python_type is dt.datetime:
            values[spec.name] = local
        elif kind.python_type is dt.date:
            values[spec.name] = local.date()
        elif kind.files:
            values[spec.name] = ["simulated.jpg"] if spec.multiple else "simulated.jpg"
        elif "choices" in kind.options and not kind.many(spec):
            codes = choice_codes(spec, deployment.choices)
            values[spec.name] = codes[0] if codes else None
        elif kind.located:
            values[spec.name] = _inside(deployment, node) or demo.value(spec, node)
        else:
            values[spec.name] = demo.value(spec, node)
    return values


def _inside(deployment: Deployment, node: str) -> tuple[float, float] | None:
    """A (lat, lon) the map places in ``node`` (routing finds the node's people from it):
    the boundary's centre, else points between it and the corners; None without one."""
    geometry = deployment.boundaries.get(node)
    if geometry is None:
        return None
    ring = (geometry["coordinates"] if geometry["type"] == "Polygon"
            else geometry["coordinates"][0])[0]
    cx, cy = sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring)
    for share in (0.0, 0.5, 0.8, 0.95):
        for lon, lat in ring:
            guess = (cy + (lat - cy) * share, cx + (lon - cx) * share)
            if locate(deployment, *guess) == node:
                return guess
    return None
