"""Simulate one record on the real engine: a throwaway SQLite database with people on the
record's branch, and a clock that jumps from one due timer (or planned action) to the next.

Nothing here decides what is due or what firing does: the workflow engine creates the record
and takes the actions, the sweep fires the timers, and the timeline is read back from the
tables they wrote (history, timers, outbox), so a simulation shows what production would do.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select

from ..config import Deployment
from ..config.problems import unknown
from ..runtime import Runtime
from ..storage import make_engine, migrate
from ..workflow import (
    Forbidden,
    Invalid,
    NotFound,
    Record,
    create_record,
    load_record,
    load_user,
    take_action,
)
from ..time.deadlines import MAX_REPEATS
from .simulate_people import acting_user, plausible_values, reporter_role, seed_people
from .simulate_timeline import Event, Recipient, Snapshot, read_timeline
from ..sweep.sweep import sweep

HORIZON = dt.timedelta(days=90)
"""How far after the report a simulation runs when nothing else stops it."""


class SimulationError(ValueError):
    """A simulation that cannot run as asked: an unknown category, node, role or action."""

    def __init__(self, message: str, *, action: int | None = None) -> None:
        super().__init__(message)
        self.action = action
        """Index (in time order) of the action that could not be taken, if one."""


@dataclass(frozen=True)
class Action:
    """Someone acting on the record: a role takes a workflow action at an instant."""

    at: dt.datetime
    by: str
    """A role (its user on the record's branch, or of the record's department) or a user."""
    action: str
    values: Mapping[str, Any] = field(default_factory=dict)
    comment: str | None = None


@dataclass(frozen=True)
class Request:
    """What to simulate: one record reported at a node and instant, and who acts when."""

    category: str
    severity: str | None = None
    node: str | None = None
    """Default: the first node of the register's level."""
    reported_at: dt.datetime | None = None
    """Default: now."""
    register: str | None = None
    """Default: the first register with a workflow and categories."""
    reporter: str | None = None
    """A role; default the deepest role that may create records at the node."""
    values: Mapping[str, Any] = field(default_factory=dict)
    actions: Sequence[Action] = ()
    until: dt.datetime | None = None
    """Stop here; default ``HORIZON`` after the report."""


@dataclass(frozen=True)
class Simulation:
    """The record as the simulation left it, and what happened to it in time order."""

    record: dict[str, Any]
    timeline: list[Event]


class Simulator:
    """Runs simulations of one deployment, each on a copy of a database migrated once."""

    def __init__(self, deployment: Deployment, workdir: Path) -> None:
        self.deployment = deployment
        self.runtime = Runtime.build(deployment)
        self.schema = self.runtime.schema
        self.tz = self.runtime.zone
        self._workdir = workdir
        self._template: Path | None = None
        self._runs = 0

    def run(self, request: Request) -> Simulation:
        """Create the record, act and sweep until nothing is pending or the horizon passes."""
        register, node, reported_at = self._checked(request)
        self._runs += 1
        path = self._workdir / f"run-{self._runs}.sqlite3"
        shutil.copyfile(self._database(), path)
        engine = make_engine(f"sqlite:///{path}")
        try:
            return _Run(self, engine, register, node, reported_at, request).simulate()
        finally:
            engine.dispose()
            path.unlink(missing_ok=True)

    def _database(self) -> Path:
        """The migrated template database (tables and the grid tree, no people)."""
        if self._template is None:
            self._template = self._workdir / "template.sqlite3"
            migrate(f"sqlite:///{self._template}", self.deployment, echo=lambda _: None,
                    schema=self.schema)
        return self._template

    def _checked(self, request: Request) -> tuple[str, str, dt.datetime]:
        """The register, node and report instant, or SimulationError saying what is wrong."""
        d = self.deployment
        flows = [name for name, spec in d.registers.items() if spec.workflow and spec.categorized]
        register = request.register or (flows[0] if flows else None)
        if register is None or register not in flows:
            raise SimulationError(unknown("register with a workflow and categories",
                                          register or "", flows))
        categories = {c.code: c for c, _ in d.all_categories()}
        if request.category not in categories:
            raise SimulationError(unknown("category", request.category, categories))
        at_level = [n.code for n in d.record_nodes(register)]
        node = request.node or (at_level[0] if at_level else "")
        if node not in at_level:
            known = {n.code: n.level for n in d.nodes}
            if node in known:
                raise SimulationError(f"node '{node}' is a {known[node]}; {register} records "
                                      f"sit at {d.record_place(register)} node, "
                                      f"e.g. '{at_level[0]}'")
            raise SimulationError(unknown("node", node, at_level))
        if request.reporter is not None and request.reporter not in d.roles:
            raise SimulationError(unknown("role", request.reporter, d.roles))
        reported_at = request.reported_at or dt.datetime.now(dt.UTC).replace(microsecond=0)
        if reported_at.tzinfo is None:
            reported_at = reported_at.replace(tzinfo=self.tz)
        return register, node, reported_at.astimezone(self.tz)


class _Clock:
    """The simulation's clock: the engine reads it, the run moves it."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


class _Run:
    """One simulation on its own database."""

    def __init__(self, simulator: Simulator, engine: Engine, register: str, node: str,
                 reported_at: dt.datetime, request: Request) -> None:
        self.s, self.engine, self.register, self.node = simulator, engine, register, node
        self.request = request
        self.reported_at = reported_at
        self.clock = _Clock(reported_at)
        self.stopped = "nothing pending"
        """Why the simulation ended: nothing pending, the horizon, or a step repeating."""
        self.until = request.until or reported_at + HORIZON
        if self.until.tzinfo is None:
            self.until = self.until.replace(tzinfo=simulator.tz)

    def simulate(self) -> Simulation:
        deployment, schema = self.s.deployment, self.s.schema
        with self.engine.begin() as conn:
            people = seed_people(conn, schema, self.node)
            reporter = self.request.reporter or reporter_role(deployment, self.register,
                                                              self.node)
            if reporter is None or reporter not in {who.username for who in people.values()}:
                raise SimulationError(f"no role may create {self.register} records at "
                                      f"'{self.node}'")
            actor = load_user(conn, schema, reporter)
        values = {**plausible_values(deployment, self.register, self.request.category, self.node,
                               self.reported_at), **self.request.values,
                  "category": self.request.category, "severity": self.request.severity}
        try:
            record = create_record(self.engine, self.s.runtime, actor, self.register,
                                   self.node, values, clock=self.clock)
        except (Forbidden, Invalid) as err:
            raise SimulationError(f"cannot create the record: {err}") from err
        snapshots = [Snapshot(self.reported_at, record)]
        actions = sorted(enumerate(self.request.actions), key=lambda a: a[1].at)
        while True:
            due = self._next_due(record)
            index, action = actions[0] if actions else (None, None)
            # A timer due at the instant someone acts fires first.
            if action is not None and (due is None or _aware(action.at, self.s.tz) < due):
                when = _aware(action.at, self.s.tz)
                if when > self.until:
                    break
                actions.pop(0)
                record = self._act(record, action, index, when, people)
            elif due is not None and due <= self.until and not self._only_repeats(record, due):
                self._sweep(due, record)
            else:
                self.stopped = ("repeating" if due is not None and due <= self.until else
                                "horizon" if due is not None or actions else "nothing pending")
                break
            record = self._load(record)
            snapshots.append(Snapshot(self.clock.now, record))
        with self.engine.connect() as conn:
            timeline = read_timeline(conn, self.s.runtime, record, people, snapshots)
        return Simulation(self._describe(record, people), timeline)

    def _only_repeats(self, record: Record, due: dt.datetime) -> bool:
        """Whether all that falls due at ``due`` are steps that have repeated MAX_REPEATS
        times already in this stay (a ladder that repeats forever ends the simulation)."""
        timers = self.s.schema.system("timers")
        mine = (timers.c.register == record.register, timers.c.record == record.id)
        same = timers.alias("same")
        fired = (select(func.count()).where(
            same.c.register == timers.c.register, same.c.record == timers.c.record,
            same.c.state == timers.c.state, same.c.round == timers.c.round,
            same.c.kind == timers.c.kind, same.c.step == timers.c.step,
            same.c.fired_at.is_not(None)).scalar_subquery())
        with self.engine.connect() as conn:
            counts = conn.execute(select(fired).where(
                *mine, timers.c.due_at == due, timers.c.fired_at.is_(None),
                timers.c.cancelled_at.is_(None))).scalars().all()
        return bool(counts) and all(count > MAX_REPEATS for count in counts)

    def _next_due(self, record: Record) -> dt.datetime | None:
        timers = self.s.schema.system("timers")
        with self.engine.connect() as conn:
            due = conn.execute(select(func.min(timers.c.due_at)).where(
                timers.c.register == record.register, timers.c.record == record.id,
                timers.c.fired_at.is_(None), timers.c.cancelled_at.is_(None))).scalar()
        return None if due is None else due.astimezone(self.s.tz)

    def _sweep(self, now: dt.datetime, record: Record) -> None:
        self.clock.now = now
        report = sweep(self.engine, self.s.runtime, now=now, details=False)
        if report.failed:
            raise SimulationError(f"the sweep at {now.isoformat()} could not fire: " + "; ".join(
                f"{fired.kind} step {(fired.step or 0) + 1} ({error})"
                for fired, error in report.failed))
        left = self._next_due(record)
        if left is not None and left <= now:  # never loop on a timer the sweep keeps back
            raise SimulationError(f"the sweep at {now.isoformat()} left a timer due at "
                                  f"{left.isoformat()} unfired ({report})")

    def _act(self, record: Record, action: Action, index: int | None, when: dt.datetime,
             people: dict[int, Recipient]) -> Record:
        self.clock.now = when
        username = acting_user(people, action.by, record)
        what = f"'{action.action}' by {action.by} at {when.isoformat()}"
        if username is None:
            raise SimulationError(f"{what}: nobody holds role '{action.by}' here",
                                  action=index)
        with self.engine.connect() as conn:
            user = load_user(conn, self.s.schema, username)
        try:
            return take_action(self.engine, self.s.runtime, user,
                               record.register, record.id, action.action,
                               version=record.version, values=dict(action.values),
                               comment=action.comment, clock=self.clock)
        except (Forbidden, Invalid, NotFound) as err:
            raise SimulationError(f"{what} in state '{record.state}': {err}",
                                  action=index) from err

    def _load(self, record: Record) -> Record:
        with self.engine.connect() as conn:
            return load_record(conn, self.s.schema, record.register, record.id)

    def _describe(self, record: Record, people: dict[int, Recipient]) -> dict[str, Any]:
        node = next(n for n in self.s.deployment.nodes if n.code == self.node)
        assignee = people.get(record.assignee) if record.assignee is not None else None
        return {
            "register": record.register, "id": record.id, "category": record.category,
            "severity": record.severity, "node": self.node, "node_name": node.name,
            "level": node.level, "reported_at": self.reported_at.isoformat(),
            "final_node": record.node, "stopped": self.stopped,
            "reporter": people[record.reporter].role if record.reporter in people else None,
            "state": record.state, "round": record.round, "department": record.department,
            "assignee": assignee.as_json() if assignee else None,
            "priority": record.priority,
            "deadline": record.deadline.astimezone(self.s.tz).isoformat()
            if record.deadline else None,
        }


def _aware(at: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    return (at if at.tzinfo is not None else at.replace(tzinfo=tz)).astimezone(tz)

