"""A world to drive the workflow engine in: a migrated shipped deployment, users on the demo
branch and off it, a movable clock, and short calls to act as a role."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select

from support import runtime_of

from gridwork.plugins import Manager
from gridwork.runtime import Runtime
from gridwork.config import Deployment, load_deployment
from gridwork.hierarchy import locate
from gridwork.storage import Schema, build_schema
from gridwork.demo.seed import demo_branch
from gridwork.workflow import (
    Record,
    User,
    available_actions,
    create_record,
    load_user,
    take_action,
    timeline,
)

START = dt.datetime(2026, 6, 1, 1, 0, tzinfo=dt.UTC)
"""A Monday morning in Shanghai."""
SWITCHES = ("auto_dispatch", "revisit", "auto_archive")


class Clock:
    """A clock tests move by hand."""

    def __init__(self, now: dt.datetime = START) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def tick(self, **delta: float) -> None:
        """Move the clock on."""
        self.now += dt.timedelta(**delta)


def variant(source: Path, target: Path, switches: dict[str, bool]) -> Deployment:
    """Load a copy of ``source`` with its event workflow's switches set as given."""
    shutil.copytree(source, target)
    for name, on in switches.items():
        pattern = re.compile(rf"^(\s+{name}:\s*)(true|false)\b", re.MULTILINE)
        hits = 0
        for path in target.glob("*.yaml"):
            text, n = pattern.subn(rf"\g<1>{str(on).lower()}", path.read_text(encoding="utf-8"))
            if n:
                path.write_text(text, encoding="utf-8")
                hits += n
        assert hits == 1, f"switch {name} found {hits} times in {source}"
    return load_deployment(target)


def add_user(engine: Engine, schema: Schema, username: str, role: str, *,
             node: str | None = None, department: str | None = None) -> None:
    """Create a user holding ``role`` at ``node`` or for ``department``."""
    users, grants = schema.system("users"), schema.system("grants")
    nodes, departments = schema.system("nodes"), schema.system("departments")
    scope = schema.deployment.roles[role].scope
    with engine.begin() as conn:
        node_id = conn.execute(select(nodes.c.id).where(nodes.c.code == node)).scalar()
        dept_id = conn.execute(select(departments.c.id)
                               .where(departments.c.code == department)).scalar()
        user_id = conn.execute(insert(users).values(
            username=username, display_name=username, active=True, created_at=START,
            department=dept_id).returning(users.c.id)).scalar_one()
        conn.execute(insert(grants).values(user=user_id, role=role, node=node_id,
                                           department=dept_id, scope=scope))


def point_in(deployment: Deployment, code: str) -> tuple[float, float]:
    """A (lat, lon) inside the boundary of node ``code``."""
    geometry = deployment.boundaries[code]
    ring = (geometry["coordinates"] if geometry["type"] == "Polygon"
            else geometry["coordinates"][0])[0]
    cx = sum(p[0] for p in ring) / len(ring)
    cy = sum(p[1] for p in ring) / len(ring)
    for share in (0.0, 0.5, 0.8, 0.95):
        for lon, lat in ring:
            guess = (cy + (lat - cy) * share, cx + (lon - cx) * share)
            if locate(deployment, *guess) == code:
                return guess
    raise AssertionError(f"no point found inside {code}")


@dataclass
class World:
    """One migrated deployment with users; ``users`` by name, ``at`` node codes by level."""

    engine: Engine
    deployment: Deployment
    schema: Schema
    at: dict[str, str]
    far: dict[str, str]
    usernames: tuple[str, ...] = ()
    clock: Clock = field(default_factory=Clock)
    users: dict[str, User] = field(default_factory=dict)
    plugins: Manager | None = None
    """A plugin manager with plugins registered for one test (default: the deployment's)."""

    @property
    def runtime(self) -> Runtime:
        """The deployment's runtime (with `plugins` when given)."""
        if self.plugins is not None:
            return Runtime.build(self.deployment, manager=self.plugins, schema=self.schema)
        return runtime_of(self.deployment)

    def with_deployment(self, deployment: Deployment) -> World:
        """The same database driven by a variant of the deployment (same tables)."""
        return replace(self, deployment=deployment, schema=build_schema(deployment),
                       clock=Clock(self.clock.now))

    def user(self, name: str) -> User:
        """A user by name (with their grants)."""
        if name not in self.users:
            with self.engine.connect() as conn:
                self.users[name] = load_user(conn, self.schema, name)
        return self.users[name]

    def create(self, who: str, register: str, values: dict[str, Any],
               node: str | None = None) -> Record:
        """Create a record as ``who`` at the branch node of the register's level."""
        level = (self.deployment.registers[register].attach_to
                 or self.deployment.hierarchy.levels[-1].key)
        return create_record(self.engine, self.runtime, self.user(who),
                             register, node or self.at[level], values, clock=self.clock)

    def act(self, who: str, record: Record, action: str, values: dict[str, Any] | None = None,
            comment: str | None = None) -> Record:
        """Take ``action`` as ``who`` at the record's current version."""
        self.clock.tick(minutes=30)
        return take_action(self.engine, self.runtime, self.user(who),
                           record.register, record.id, action, version=record.version,
                           values=values, comment=comment, clock=self.clock)

    def actions(self, who: str, record: Record) -> list[str]:
        """Names of the actions ``who`` may take on the record now."""
        with self.engine.connect() as conn:
            return [a.name for a in available_actions(
                conn, self.runtime, self.user(who), record.register,
                record.id, clock=self.clock)]

    def history(self, record: Record) -> list[Any]:
        """The record's timeline."""
        with self.engine.connect() as conn:
            return timeline(conn, self.schema, record.register, record.id)

    def rows(self, table: str, record: Record) -> list[Any]:
        """A system table's rows about the record."""
        t = self.schema.system(table)
        with self.engine.connect() as conn:
            return list(conn.execute(select(t).where(t.c.register == record.register,
                                                     t.c.record == record.id)
                                     .order_by(t.c.id)).mappings())


def populate(engine: Engine, deployment: Deployment,
             ) -> tuple[dict[str, str], dict[str, str], tuple[str, ...]]:
    """Users for every role: on the demo branch (named as the role), off it (``ROLE_far``,
    territorial roles) and one per department for departmental roles (``ROLE@DEPT``)."""
    schema = build_schema(deployment)
    level_of = {n.code: n.level for n in deployment.nodes}
    branch = demo_branch(deployment)
    at = {level_of[code]: code for code in branch}
    far: dict[str, str] = {}
    names: list[str] = []
    for level in at:
        others = [n.code for n in deployment.nodes if n.level == level and n.code not in branch]
        if others:
            far[level] = others[0]
    for role_name, role in deployment.roles.items():
        if role.at:
            add_user(engine, schema, role_name, role_name, node=at[role.at[0]])
            names.append(role_name)
            if role.at[0] in far:
                add_user(engine, schema, f"{role_name}_far", role_name, node=far[role.at[0]])
                names.append(f"{role_name}_far")
        else:
            codes = ([d.code for d in deployment.departments] if role.department == "*"
                     else [role.department])
            for code in codes:
                add_user(engine, schema, f"{role_name}@{code}", role_name, department=code)
                names.append(f"{role_name}@{code}")
    return at, far, tuple(names)
