"""A small deployment whose ladder uses every escalation action, migrated with one user per
role, and short calls to create records and read what the sweep left behind.

Timeline of a category ``a`` record created at START in ``reported`` (limit 4h, calendar
time): reminder to the leader at +3h; deadline and escalation step 1 (leader) at +4h; step 2
at +5h (move up to the community, tell the head, supervise); step 3 at +6h (move up one
more level, tell the officer, supervise, priority urgent) and again every hour after.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, Integer, func, insert, literal, select
from support import runtime_of, sqlite_from_template

from gridwork.config import Deployment, load_deployment
from gridwork.runtime import Runtime
from gridwork.storage import Schema, build_schema, make_engine, migrate
from gridwork.storage.types import UTCDateTime
from gridwork.workflow import Record, create_record, load_user, take_action

START = dt.datetime(2026, 6, 1, 1, 0, tzinfo=dt.UTC)
"""Monday 2026-06-01, 09:00 in Shanghai."""
HOUR = dt.timedelta(hours=1)

DEPLOYMENT = """\
deployment: {name: sweeptest, title: 计时, timezone: Asia/Shanghai, locale: zh,
             timers: {interval: INTERVAL}}
calendar: {working_days: mon-fri, hours: ["08:30-12:00", "13:30-17:30"], holidays: cn}
hierarchy:
  levels:
    - {key: street, label: 街道}
    - {key: community, label: 社区}
    - {key: grid, label: 网格}
  nodes:
    - {code: S1, name: 街道, level: street}
    - {code: S1C1, name: 社区, level: community, parent: S1}
    - {code: S1C1G1, name: 网格, level: grid, parent: S1C1}
roles:
  worker: {label: 网格员, at: grid, can: [view, "create:event", "create:complaint"]}
  leader: {label: 网格长, at: grid, can: [view]}
  head: {label: 社区书记, at: community, can: [view, supervise]}
  officer: {label: 街道干部, at: street, can: [view, supervise]}
choices:
  priority: {normal: 普通, high: 优先, urgent: 特急}
registers:
  event:
    label: 事件
    workflow: flow
    categorized: true
    fields: [{name: title, type: text}]
  complaint:
    label: 投诉
    workflow: flow
    fields: [{name: title, type: text}]
  place:
    label: 场所
    fields: [{name: name, type: text}]
categories:
  - {code: a, label: A}
  - {code: q, label: Q, escalation: quick}
workflows:
  flow:
    label: 流程
    states:
      reported: {label: 已上报, initial: true}
      handling: {label: 处理中}
      waiting: {label: 挂起, paused: true}
      closed: {label: 已办结, final: true}
    transitions:
      - {name: accept, from: reported, to: handling, by: worker}
      - {name: close, from: handling, to: closed, by: worker}
      - {name: redo, from: handling, to: handling, by: worker, new_round: true}
      - {name: hold, from: handling, to: waiting, by: worker}
      - {name: restart, from: waiting, to: handling, by: worker, new_round: true}
limits:
  - {state: reported, within: 4h}
  - {state: handling, within: 1d}
reminders:
  - {before: 1h, notify: leader}
escalation:
  default:
    - {after: 0, notify: [leader]}
    - {after: 1h, move_up: community, notify: [head], supervise: true}
    - {after: 2h, move_up: 1, notify: [officer], supervise: true, priority: urgent, repeat: 1h}
  quick:
    - {after: 0, notify: [{role: head, level: community}], priority: high}
notifications:
  channels:
    inbox: {type: inbox, label: 站内消息}
    email: {type: email, label: 电子邮件}
  roles: {leader: [inbox, email], head: [inbox, email], officer: [email]}
"""

USERS = (("worker", "S1C1G1"), ("leader", "S1C1G1"), ("head", "S1C1"), ("officer", "S1"))
"""Each user is named as the role it holds, at that node, reachable at NAME@example.org."""


def write_deployment(folder: Path, interval: str = "30s") -> Deployment:
    """Write the deployment (sweeping every ``interval``) into ``folder`` and load it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "deployment.yaml").write_text(DEPLOYMENT.replace("INTERVAL", interval),
                                            encoding="utf-8")
    return load_deployment(folder)


@dataclass
class SweepWorld:
    """The migrated deployment, its users by name, and the records made so far."""

    url: str
    engine: Engine
    deployment: Deployment
    schema: Schema
    users: dict[str, int] = field(default_factory=dict)

    @property
    def runtime(self) -> Runtime:
        """The deployment's runtime."""
        return runtime_of(self.deployment)

    def create(self, category: str = "a", at: dt.datetime = START,
               title: str = "楼道堆物") -> Record:
        """Create a record at the grid as the worker, at instant ``at``."""
        with self.engine.connect() as conn:
            worker = load_user(conn, self.schema, "worker")
        return create_record(self.engine, self.runtime, worker, "event",
                             "S1C1G1", {"title": title, "category": category},
                             clock=lambda: at)

    def act(self, record: Record, action: str, at: dt.datetime) -> Record:
        """Take ``action`` on the record as the worker, at instant ``at``."""
        with self.engine.connect() as conn:
            worker = load_user(conn, self.schema, "worker")
        return take_action(self.engine, self.runtime, worker, "event",
                           record.id, action, version=record.version, clock=lambda: at)

    def record(self, record_id: int) -> dict[str, Any]:
        """The record's row with its node code."""
        table, nodes = self.schema.table("event"), self.schema.system("nodes")
        with self.engine.connect() as conn:
            row = conn.execute(select(table, nodes.c.code.label("node_code"))
                               .join(nodes, nodes.c.id == table.c.node)
                               .where(table.c.id == record_id)).mappings().one()
        return dict(row)

    def rows(self, name: str, record_id: int | None = None) -> list[dict[str, Any]]:
        """A system table's rows (about one record when given), oldest first."""
        table = self.schema.system(name)
        query = select(table).order_by(table.c.id)
        if record_id is not None:
            query = query.where(table.c.record == record_id)
        with self.engine.connect() as conn:
            return [dict(row) for row in conn.execute(query).mappings()]

    def bulk(self, count: int) -> range:
        """Insert ``count`` records in ``reported`` at the grid with one set-based insert
        (no timers: add them with ``due``); return their ids."""
        table, nodes = self.schema.table("event"), self.schema.system("nodes")
        numbers = select(literal(1, Integer).label("i")).cte("numbers", recursive=True)
        numbers = numbers.union_all(select(numbers.c.i + 1).where(numbers.c.i < count))
        at = literal(START, UTCDateTime)
        with self.engine.begin() as conn:
            first = (conn.execute(select(func.max(table.c.id))).scalar() or 0) + 1
            node = conn.execute(select(nodes.c.id).where(nodes.c.code == "S1C1G1")).scalar()
            conn.execute(insert(table).from_select(
                ["id", "node", "created_at", "updated_at", "version", "state", "round",
                 "category", "title"],
                select(numbers.c.i + first - 1, literal(node), at, at, literal(1),
                       literal("reported"), literal(1), literal("a"), literal("批量"))))
        return range(first, first + count)

    def due(self, records: range, kind: str, step: int, at: dt.datetime) -> None:
        """Give each of ``records`` one pending timer of ``kind`` and ``step``, due ``at``."""
        table, timers = self.schema.table("event"), self.schema.system("timers")
        with self.engine.begin() as conn:
            conn.execute(insert(timers).from_select(
                ["register", "record", "kind", "state", "round", "step", "due_at"],
                select(literal("event"), table.c.id, literal(kind), literal("reported"),
                       literal(1), literal(step), literal(at, UTCDateTime))
                .where(table.c.id.between(records.start, records.stop - 1))))

    def actions(self, record_id: int) -> list[str]:
        """The record's history actions written by the system (no actor), oldest first."""
        return [row["action"] for row in self.rows("history", record_id)
                if row["actor"] is None]


def world_on(backend: str, request: pytest.FixtureRequest, tmp_path: Path,
             interval: str = "30s") -> SweepWorld:
    """The world on a fresh ``sqlite`` file or ``postgresql`` schema (skipped without one)."""
    url = (f"sqlite:///{tmp_path / 'sweep.sqlite3'}" if backend == "sqlite"
           else request.getfixturevalue("pg_schema")())
    return make_world(url, tmp_path / "deployment", interval)


def make_world(url: str, folder: Path, interval: str = "30s") -> SweepWorld:
    """Migrate the deployment onto ``url`` and add one user per role (on SQLite, by copying
    a file made so once per process)."""
    deployment = write_deployment(folder, interval)
    users = (sqlite_from_template(("sweep", interval), url, partial(_populate, deployment))
             if url.startswith("sqlite:") else _populate(deployment, url))
    return SweepWorld(url, make_engine(url), deployment, build_schema(deployment), dict(users))


def _populate(deployment: Deployment, url: str) -> dict[str, int]:
    """Migrate ``deployment`` onto ``url`` and add the users; return their ids by name."""
    migrate(url, deployment, echo=lambda _line: None)
    engine = make_engine(url)
    schema = build_schema(deployment)
    made: dict[str, int] = {}
    users, grants, nodes = (schema.system(n) for n in ("users", "grants", "nodes"))
    with engine.begin() as conn:
        for name, node in USERS:
            node_id = conn.execute(select(nodes.c.id).where(nodes.c.code == node)).scalar_one()
            user = conn.execute(insert(users).values(
                username=name, display_name=name.title(), email=f"{name}@example.org",
                active=True, created_at=START).returning(users.c.id)).scalar_one()
            conn.execute(insert(grants).values(user=user, role=name, node=node_id,
                                               scope="subtree"))
            made[name] = int(user)
    engine.dispose()
    return made
