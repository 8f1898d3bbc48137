"""A small deployment with one schedule of each kind — per node daily, per entry monthly
twice, weekly on weekdays, quarterly sampled by class, a natural-calendar one — migrated
with workers, a leader, and households inserted set-based."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, Integer, func, insert, literal, select
from support import sqlite_from_template

from gridwork.config import Deployment, load_deployment
from gridwork.config.models import Schedule
from gridwork.runtime import Runtime
from gridwork.storage import Schema, build_schema, make_engine, migrate
from gridwork.storage.types import UTCDateTime

ZONE = dt.timezone(dt.timedelta(hours=8))
START = dt.datetime(2026, 6, 1, 9, 0, tzinfo=ZONE)
"""Monday 2026-06-01, 09:00 in Shanghai."""

DEPLOYMENT = """\
deployment: {name: dutytest, title: 任务, timezone: Asia/Shanghai, locale: zh}
calendar: {working_days: mon-fri, hours: ["08:30-12:00", "13:30-17:30"], holidays: cn}
hierarchy:
  levels:
    - {key: community, label: 社区}
    - {key: grid, label: 网格}
  nodes:
    - {code: C1, name: 社区一, level: community}
    - {code: C1G1, name: 一网格, level: grid, parent: C1}
    - {code: C1G2, name: 二网格, level: grid, parent: C1}
    - {code: C1G3, name: 三网格, level: grid, parent: C1}
roles:
  worker: {label: 网格员, at: grid, can: [view, "create:patrol", "create:visit", "edit:visit"]}
  leader: {label: 网格长, at: community, can: [view, switch]}
choices:
  visit_class: {"1": 一类, "2": 二类, "3": 三类}
registers:
  household:
    label: 住户
    fields:
      - {name: address, type: text}
      - {name: visit_class, type: choice, choices: visit_class}
      - {name: status, type: text}
  patrol:
    label: 巡查
    workflow: patrol_flow
    fields: [{name: kind, type: text}, {name: findings, type: text}]
  visit:
    label: 走访
    fields: [{name: household, type: integer}, {name: notes, type: text}]
workflows:
  patrol_flow:
    label: 巡查流程
    switches: {emergency: false}
    states:
      open: {label: 进行中, initial: true}
      done: {label: 已完成, final: true}
    transitions:
      - {name: finish, from: open, to: done, by: worker, require: [findings]}
escalation:
  default:
    - {after: 0, notify: [leader]}
  duties:
    - {after: 0, notify: [leader]}
    - {after: 2h, notify: [assignee]}
    - {after: 1d, notify: [leader]}
notifications:
  channels:
    inbox: {type: inbox, label: 站内消息}
schedules:
  - {name: patrol, label: 巡查, each: grid, every: day, creates: patrol, assign: worker,
     fill: {kind: "'daily'"}, mode: expect}
  - {name: visit_twice, label: 一类户走访, register: household,
     where: "visit_class == '1' and status != 'gone'", every: month, times: 2,
     creates: visit, assign: worker, fill: {household: "id"}}
  - {name: report, label: 周报, each: grid, every: week, on: [mon, thu], creates: patrol,
     assign: worker}
  - {name: spot, label: 抽查, register: household, every: quarter, creates: visit,
     assign: leader, sample: {by: visit_class, rates: {"1": 50%, "2": 30%, "3": 20%}}}
  - {name: natural, label: 自然日, each: grid, every: day, creates: patrol, assign: worker,
     calendar: natural, escalation: duties}
"""

USERS = (("w1", "worker", "C1G1"), ("w2", "worker", "C1G1"), ("w3", "worker", "C1G2"),
         ("lead", "leader", "C1"))
"""C1G1 has two workers, C1G2 one and C1G3 none (its duties go unassigned)."""


@dataclass
class DutyWorld:
    """The migrated deployment, its users by name, and its runtime."""

    url: str
    engine: Engine
    deployment: Deployment
    schema: Schema
    runtime: Runtime
    users: dict[str, int] = field(default_factory=dict)

    def households(self, per_class: dict[str, int], node: str = "C1G1",
                   status: str = "here") -> None:
        """Insert ``per_class[c]`` households of class ``c`` at ``node``, set-based."""
        table, nodes = self.schema.table("household"), self.schema.system("nodes")
        at = literal(START, UTCDateTime)
        with self.engine.begin() as conn:
            node_id = conn.execute(select(nodes.c.id).where(nodes.c.code == node)).scalar()
            for code, count in per_class.items():
                numbers = select(literal(1, Integer).label("i")).cte("n", recursive=True)
                numbers = numbers.union_all(select(numbers.c.i + 1).where(numbers.c.i < count))
                conn.execute(insert(table).from_select(
                    ["node", "created_at", "updated_at", "version", "address", "visit_class",
                     "status"],
                    select(literal(node_id), at, at, literal(1),
                           func.concat("号", numbers.c.i) if conn.dialect.name == "postgresql"
                           else literal("号") + numbers.c.i,
                           literal(code), literal(status))))

    def duties(self, **where: Any) -> list[dict[str, Any]]:
        """The duty rows matching ``where`` (column = value), by id."""
        duties = self.schema.system("duties")
        query = select(duties).order_by(duties.c.id)
        for column, value in where.items():
            query = query.where(duties.c[column] == value)
        with self.engine.connect() as conn:
            return [dict(row) for row in conn.execute(query).mappings()]

    def with_schedule(self, **schedule: Any) -> Runtime:
        """The runtime of the deployment with one more schedule, `rounds`, per grid."""
        extra = Schedule.model_validate({"name": "rounds", "label": "巡更", "each": "grid",
                                         "creates": "patrol", "assign": "worker", **schedule})
        return Runtime.build(self.deployment.model_copy(
            update={"schedules": (*self.deployment.schedules, extra)}))

    def node_id(self, code: str) -> int:
        nodes = self.schema.system("nodes")
        with self.engine.connect() as conn:
            return int(conn.execute(select(nodes.c.id).where(nodes.c.code == code)).scalar_one())


def make_world(url: str, folder: Path) -> DutyWorld:
    """Migrate the deployment onto ``url`` and add the users (on SQLite, by copying a file
    made so once per process)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "deployment.yaml").write_text(DEPLOYMENT, encoding="utf-8")
    deployment = load_deployment(folder)
    users = (sqlite_from_template("duties", url, partial(_populate, deployment))
             if url.startswith("sqlite:") else _populate(deployment, url))
    return DutyWorld(url, make_engine(url), deployment, build_schema(deployment),
                     Runtime.build(deployment), dict(users))


def _populate(deployment: Deployment, url: str) -> dict[str, int]:
    """Migrate ``deployment`` onto ``url`` and add the users; return their ids by name."""
    migrate(url, deployment, echo=lambda _line: None)
    engine = make_engine(url)
    schema = build_schema(deployment)
    made: dict[str, int] = {}
    users, grants, nodes = (schema.system(n) for n in ("users", "grants", "nodes"))
    with engine.begin() as conn:
        for name, role, node in USERS:
            node_id = conn.execute(select(nodes.c.id).where(nodes.c.code == node)).scalar_one()
            user = conn.execute(insert(users).values(
                username=name, display_name=name.upper(), active=True,
                created_at=START).returning(users.c.id)).scalar_one()
            conn.execute(insert(grants).values(user=user, role=role, node=node_id,
                                               scope="subtree"))
            made[name] = int(user)
    engine.dispose()
    return made


def world_on(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> DutyWorld:
    """The world on a fresh SQLite file or PostgreSQL schema (skipped without one)."""
    url = (f"sqlite:///{tmp_path / 'duties.sqlite3'}" if backend == "sqlite"
           else request.getfixturevalue("pg_schema")())
    return make_world(url, tmp_path / "deployment")
