"""The scored test deployment: its people, and records with histories written as rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, delete, insert, select
from support import quick_hash

from gridwork.config import Deployment
from gridwork.storage import Schema

SCORED = Path(__file__).resolve().parents[1] / "fixtures" / "assessment"
ZONE = ZoneInfo("Asia/Shanghai")
GRIDS = ("S1C1G1", "S1C1G2", "S1C2G1", "S2C1G1", "S2C1G2")
PLACES = (*GRIDS, "S1C1", "S2C1", "S1")
"""Where records are: grids, and a few above them."""
DEPARTMENT_OF = {"city": "cg", "water": "sw"}
PASSWORD = "demo"
PASSWORD_HASH = quick_hash(PASSWORD)


@dataclass
class Scored:
    url: str
    engine: Engine
    deployment: Deployment
    schema: Schema
    ids: dict[str, dict[str, int]]
    """nodes, departments, users: code/name → id."""

    def clear(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(self.schema.system("history")))
            conn.execute(delete(self.schema.system("assessment_sheets")))
            conn.execute(delete(self.schema.system("duties")))
            conn.execute(delete(self.schema.system("outbox")))
            conn.execute(delete(self.schema.table("event")))


def people(engine: Engine, schema: Schema) -> dict[str, dict[str, int]]:
    """A grid worker per grid, a street officer per street, staff per department."""
    users, grants = schema.system("users"), schema.system("grants")
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with engine.begin() as conn:
        nodes = dict(conn.execute(select(schema.system("nodes").c.code,
                                         schema.system("nodes").c.id)).all())
        departments = dict(conn.execute(select(schema.system("departments").c.code,
                                               schema.system("departments").c.id)).all())
        made: dict[str, int] = {}
        plan = [(f"w_{grid}", "grid_worker", nodes[grid], None) for grid in GRIDS]
        plan += [(f"officer_{street}", "street_officer", nodes[street], None)
                 for street in ("S1", "S2")]
        plan += [(f"staff_{code}", "dept_staff", None, departments[code]) for code in departments]
        for name, role, node, department in plan:
            made[name] = conn.execute(insert(users).values(
                username=name, display_name=name, active=True, created_at=now,
                department=department, password_hash=PASSWORD_HASH)).inserted_primary_key[0]
            conn.execute(insert(grants).values(user=made[name], role=role, node=node,
                                               department=department))
    return {"nodes": nodes, "departments": departments, "users": made}


@dataclass
class Step:
    """One history row to write after the record's previous one."""

    minutes: int
    """After the previous row."""
    choice: int
    """Which of the moves the record's state allows, or the deadline passing (`overdue`)."""
    actor: str | None = None


@dataclass
class Made:
    """A record to write with its history."""

    place: str
    minutes: int
    """Created this many minutes after the start of the story."""
    category: str
    kind: str | None
    rating: int | None
    deaths: int | None
    reporter: str | None
    assignee: str | None
    steps: list[Step] = field(default_factory=list)


START = dt.datetime(2026, 9, 20, 12, 0, tzinfo=ZONE)
"""Stories start here and run across month, quarter and half-year ends."""
MOVES = {"accept": ("reported", "handling"), "wait": ("handling", "waiting"),
         "resume": ("waiting", "handling"), "done": ("handling", "checking"),
         "redo": ("checking", "handling"), "close": ("checking", "closed")}


def write(world: Scored, records: list[Made]) -> None:
    """Write ``records`` and their histories as the workflow would have left them."""
    table, history = world.schema.table("event"), world.schema.system("history")
    users = world.ids["users"]
    with world.engine.begin() as conn:
        for made in records:
            at = START + dt.timedelta(minutes=made.minutes)
            state, round_ = "reported", 1
            rows: list[dict[str, Any]] = [dict(kind="created", action="create", at=at,
                                               to_state=state, round=1, actor=None)]
            for step in made.steps:
                at += dt.timedelta(minutes=step.minutes)
                actor = users.get(step.actor) if step.actor else None
                options = [name for name, (before, _) in MOVES.items() if before == state]
                action = [*options, "overdue"][step.choice % (len(options) + 1)]
                if action == "overdue":
                    rows.append(dict(kind="overdue", action="overdue", at=at, round=round_,
                                     after={"state": state}, actor=None))
                    continue
                before, after = MOVES[action]
                if action == "redo":
                    round_ += 1
                state = after
                rows.append(dict(kind="moved", action=action, at=at, from_state=before,
                                 to_state=after, round=round_, actor=actor))
            created = START + dt.timedelta(minutes=made.minutes)
            record = conn.execute(insert(table).values(
                node=world.ids["nodes"][made.place], created_at=created, updated_at=at,
                version=1, reporter=users.get(made.reporter or ""), category=made.category,
                severity="general", state=state,
                department=world.ids["departments"][DEPARTMENT_OF[made.category]],
                assignee=users.get(made.assignee or ""), round=round_, title="t",
                kind=made.kind, rating=made.rating, deaths=made.deaths,
            )).inserted_primary_key[0]
            blank = {"from_state": None, "to_state": None, "after": None}
            conn.execute(insert(history), [{"register": "event", "record": record, **blank,
                                            **row} for row in rows])


@dataclass
class Duty:
    """A duty row of the `patrol` schedule as the duty pass would have left it."""

    place: str
    due_minutes: int
    """Due this many minutes after the start of the story."""
    state: str
    """open, overdue, done, dropped."""
    assignee: str | None
    missed_minutes: int | None
    """Went overdue this many minutes after it was due (None: never)."""


def write_duties(world: Scored, duties: list[Duty]) -> None:
    """Write duty rows (each its own entry, so the unique key holds)."""
    table = world.schema.system("duties")
    rows = []
    for number, duty in enumerate(duties):
        due = START + dt.timedelta(minutes=duty.due_minutes)
        missed = None if duty.missed_minutes is None else due + dt.timedelta(
            minutes=duty.missed_minutes)
        rows.append({"schedule": "patrol", "period": due.astimezone(ZONE).date().isoformat(),
                     "entry": number, "occurrence": 1, "node": world.ids["nodes"][duty.place],
                     "assignee": world.ids["users"].get(duty.assignee or ""),
                     "period_start": due - dt.timedelta(days=1), "period_end": due,
                     "starts_at": due - dt.timedelta(days=1), "due_at": due,
                     "state": duty.state, "register": "event", "created_at": START,
                     "done_at": due if duty.state == "done" else None, "missed_at": missed})
    if rows:
        with world.engine.begin() as conn:
            conn.execute(insert(table), rows)
