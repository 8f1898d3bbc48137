"""A small deployment that loads the `workshop` test plugin, migrated with a few users."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select
from support import FIXTURES, quick_hash, runtime_of, sqlite_from_template

from gridwork.config import Deployment, load_deployment
from gridwork.runtime import Runtime
from gridwork.storage import Schema, build_schema, make_engine, migrate
from gridwork.workflow import Record, create_record, load_user, take_action, timeline

WORLD = FIXTURES / "plugin_world"
NOW = dt.datetime(2026, 6, 1, 1, 0, tzinfo=dt.UTC)
PASSWORD = "workshop-pass"
_HASH = quick_hash(PASSWORD)


@dataclass
class World:
    """The migrated world: its engine, deployment and schema."""

    engine: Engine
    deployment: Deployment
    schema: Schema

    @property
    def runtime(self) -> Runtime:
        """The deployment's runtime."""
        return runtime_of(self.deployment)

    def create(self, who: str, title: str, node: str = "S1C1G1") -> Record:
        with self.engine.connect() as conn:
            user = load_user(conn, self.schema, who)
        return create_record(self.engine, self.runtime, user, "event", node,
                             {"title": title, "category": "litter", "severity": "general"},
                             clock=lambda: NOW)

    def act(self, who: str, record: Record, action: str, **values: Any) -> Record:
        with self.engine.connect() as conn:
            user = load_user(conn, self.schema, who)
        return take_action(self.engine, self.runtime, user, "event",
                           record.id, action, version=record.version, values=values,
                           clock=lambda: NOW + dt.timedelta(hours=1))

    def history(self, record: Record) -> list[str]:
        with self.engine.connect() as conn:
            return [e.action for e in timeline(conn, self.schema, "event", record.id)]

    def row(self, record: Record) -> dict[str, Any]:
        table = self.schema.table("event")
        with self.engine.connect() as conn:
            return dict(conn.execute(select(table).where(table.c.id == record.id)).mappings().one())


def make_world(url: str, root: Path = WORLD) -> World:
    """Migrate the plugin world (or a variant of it at ``root``) at ``url`` and add its
    users (password PASSWORD); the world itself on SQLite by copying a file made so once per
    process."""
    deployment = load_deployment(root)
    if root == WORLD and url.startswith("sqlite:"):
        sqlite_from_template("plugin world", url, partial(_populate, deployment))
    else:
        _populate(deployment, url)
    return World(make_engine(url), deployment, build_schema(deployment))


def _populate(deployment: Deployment, url: str) -> None:
    """Migrate ``deployment`` onto ``url`` and add the users."""
    migrate(url, deployment, echo=lambda _: None)
    engine = make_engine(url)
    schema = build_schema(deployment)
    _user(engine, schema, "worker1", "grid_worker", node="S1C1G1")
    _user(engine, schema, "worker2", "grid_worker", node="S1C1G2")
    _user(engine, schema, "leader", "grid_leader", node="S1C1")
    engine.dispose()


def _user(engine: Engine, schema: Schema, name: str, role: str, *, node: str | None = None,
          department: str | None = None) -> None:
    users, grants = schema.system("users"), schema.system("grants")
    nodes, departments = schema.system("nodes"), schema.system("departments")
    with engine.begin() as conn:
        node_id = conn.execute(select(nodes.c.id).where(nodes.c.code == node)).scalar()
        dept_id = conn.execute(select(departments.c.id)
                               .where(departments.c.code == department)).scalar()
        user_id = conn.execute(insert(users).values(
            username=name, display_name=name, password_hash=_HASH, active=True,
            created_at=NOW, department=dept_id).returning(users.c.id)).scalar_one()
        conn.execute(insert(grants).values(user=user_id, role=role, node=node_id,
                                           department=dept_id,
                                           scope=schema.deployment.roles[role].scope))
