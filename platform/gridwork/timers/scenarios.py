"""Deployment scenario tests: ``scenarios/*.yaml`` say what is reported where and when, who
acts when, and which timeline they expect; running one simulates it and compares.

A scenario file (times on the deployment's clock; each expected line with a comment saying
why it falls when it does)::

    description: a dispute reported before the holiday; one step of the ladder
    report: {category: dispute_neighbour, severity: general, time: 2026-09-30 16:00}
    steps:                                # optional: someone acts
      - {at: 2026-10-09 10:00, by: dept_staff, action: accept}
    until: 2026-10-09 12:00               # optional: stop simulating here
    kinds: [escalation]                   # optional: which kinds of line `expect` lists
    expect:
      - {at: 2026-10-08 11:00, kind: escalation, state: accepting, to: [dept_staff, grid_leader]}

``expect`` is the whole timeline of those kinds up to ``until``, in order: a missing line, an
extra one or a different one fails, and the failure shows both timelines as a diff.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from ..config import Deployment
from ..config.loader import Sources, read_yaml
from ..config.problems import Problem, did_you_mean, unknown
from ..config.schema_errors import schema_problems
from .simulate import Action, Request, SimulationError, Simulator
from .simulate_timeline import Event

FOLDER = "scenarios"
Kind = Literal["deadline", "reminder", "escalation", "transition", "notification"]
DEFAULT_KINDS: tuple[Kind, ...] = ("deadline", "reminder", "escalation", "transition")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _instant(value: Any) -> Any:
    """``2026-09-30 16:00`` (YAML leaves it text without seconds) as a datetime."""
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value


class Report(_Model):
    """The record: its category, severity, node, report time and (optionally) reporter."""

    category: str
    severity: str | None = None
    at: str | None = None
    """A node code; default the first node of the register's level."""
    time: dt.datetime
    by: str | None = None
    register_: str | None = Field(None, alias="register")
    values: dict[str, Any] = {}

    _time = field_validator("time", mode="before")(_instant)


class Step(_Model):
    """Someone acting: ``by`` (a role) takes ``action`` at ``at``."""

    at: dt.datetime
    by: str
    action: str
    values: dict[str, Any] = {}
    comment: str | None = None

    _at = field_validator("at", mode="before")(_instant)


class Expected(_Model):
    """One expected line of the timeline."""

    at: dt.datetime
    kind: Kind
    state: str
    to: list[str] = []
    """Roles told (each once, any order)."""
    moves_to: str | None = None
    """The level an escalation step moves the record up to."""

    _at = field_validator("at", mode="before")(_instant)


class Scenario(_Model):
    """One scenario file."""

    description: str | None = None
    report: Report
    steps: list[Step] = []
    until: dt.datetime | None = None
    kinds: list[Kind] = Field(default_factory=lambda: list(DEFAULT_KINDS))
    expect: list[Expected]

    _until = field_validator("until", mode="before")(_instant)


@dataclass(frozen=True)
class Outcome:
    """A scenario's result: passed, or the problems or diff that say why not."""

    name: str
    passed: bool
    lines: tuple[str, ...] = ()


def scenario_files(deployment: Deployment) -> list[Path]:
    """The deployment's scenario files, by name."""
    return sorted((deployment.root / FOLDER).glob("*.yaml"))


def load_scenario(path: Path, deployment: Deployment) -> tuple[Scenario | None, list[Problem]]:
    """Read and check one scenario file; problems carry its file, line and column."""
    _, scenario, problems = _load(path, deployment)
    return scenario, problems


def _load(path: Path, deployment: Deployment) -> tuple[Any, Scenario | None, list[Problem]]:
    """The file's YAML tree (for positions), the scenario, and its problems."""
    display = _display(path, deployment)
    tree, problems = read_yaml(path, display, Sources(root=deployment.root))
    if problems:
        return tree, None, problems
    if not isinstance(tree, CommentedMap):
        return tree, None, [Problem("a scenario is a mapping with 'report:' and 'expect:'",
                                    file=display, line=1, col=1)]
    try:
        scenario = Scenario.model_validate(tree)
    except ValidationError as err:
        return tree, None, [_located(_hinted(p), tree, display) for p in schema_problems(err)]
    found = [_located(p, tree, display) for p in _meaning(scenario, deployment)]
    return (tree, None, found) if found else (tree, scenario, [])


_SECTIONS: dict[tuple[str, ...], type[BaseModel]] = {
    (): Scenario, ("report",): Report, ("steps",): Step, ("expect",): Expected}
"""The model of each place in a scenario file (list positions left out)."""


def _hinted(problem: Problem) -> Problem:
    """An unknown key's problem with the keys a scenario allows at that place."""
    model = _SECTIONS.get(tuple(k for k in problem.path[:-1] if isinstance(k, str)))
    if not problem.message.startswith("unknown key") or model is None:
        return problem
    key = str(problem.path[-1])
    allowed = [info.alias or name for name, info in model.model_fields.items()]
    return replace(problem, message=f"unknown key '{key}'{did_you_mean(key, allowed)} "
                                    f"(allowed here: {', '.join(allowed)})")


def _display(path: Path, deployment: Deployment) -> str:
    """The file's name as problems show it: relative to the deployment folder."""
    return str(path.relative_to(deployment.root)) if path.is_relative_to(
        deployment.root) else str(path)


def _meaning(scenario: Scenario, deployment: Deployment) -> list[Problem]:
    """Names the deployment does not know: category, severity, node, roles, states, levels."""
    problems: list[Problem] = []
    tz = ZoneInfo(deployment.about.timezone)
    categories = {c.code: c for c, _ in deployment.all_categories()}
    report = scenario.report
    if report.category not in categories:
        problems.append(Problem(unknown("category", report.category, categories),
                                path=("report", "category")))
    nodes = {n.code for n in deployment.nodes}
    if report.at is not None and report.at not in nodes:
        problems.append(Problem(unknown("node", report.at, sorted(nodes)[:12]),
                                path=("report", "at")))
    roles = set(deployment.roles) | {"assignee", "reporter", "department"}
    if report.by is not None and report.by not in deployment.roles:
        problems.append(Problem(unknown("role", report.by, deployment.roles),
                                path=("report", "by")))
    actions = {t.name for w in deployment.workflows.values() for t in w.transitions}
    states = {s for w in deployment.workflows.values() for s in w.states}
    levels = [level.key for level in deployment.hierarchy.levels]
    for i, step in enumerate(scenario.steps):
        if _local(step.at, tz) < _local(report.time, tz):
            problems.append(Problem("a step cannot come before the report",
                                    path=("steps", i, "at")))
        if step.by.split("@")[0] not in deployment.roles:
            problems.append(Problem(unknown("role", step.by, deployment.roles),
                                    path=("steps", i, "by")))
        if step.action not in actions:
            problems.append(Problem(unknown("action", step.action, actions),
                                    path=("steps", i, "action")))
    for i, line in enumerate(scenario.expect):
        if line.state not in states:
            problems.append(Problem(unknown("state", line.state, states),
                                    path=("expect", i, "state")))
        for j, role in enumerate(line.to):
            if role not in roles:
                problems.append(Problem(unknown("role", role, roles), path=("expect", i, "to", j)))
        if line.moves_to is not None and line.moves_to not in levels:
            problems.append(Problem(unknown("level", line.moves_to, levels),
                                    path=("expect", i, "moves_to")))
        if line.kind not in scenario.kinds:
            problems.append(Problem(f"'{line.kind}' lines are not compared; add it to 'kinds'",
                                    path=("expect", i, "kind")))
    return problems


def _located(problem: Problem, tree: Any, display: str) -> Problem:
    """The problem at the line and column of the deepest node its path reaches."""
    line, col, node = 0, 0, tree
    for key in problem.path:
        lc: Any = getattr(node, "lc", None)
        try:
            if isinstance(node, CommentedMap) and key in node:
                line, col = lc.key(key) if problem.at == "key" else lc.value(key)
            elif isinstance(node, CommentedSeq) and isinstance(key, int) and key < len(node):
                line, col = lc.item(key)
            else:
                break
            node = node[key]
        except (KeyError, IndexError, TypeError, AttributeError):
            break
    return Problem(problem.message, problem.severity, problem.path, problem.at,
                   problem.offset, display, line + 1, col + 1)


def request_for(scenario: Scenario) -> Request:
    """The simulation a scenario asks for."""
    report = scenario.report
    return Request(
        category=report.category, severity=report.severity, node=report.at,
        reported_at=report.time, register=report.register_, reporter=report.by,
        values=report.values, until=scenario.until,
        actions=tuple(Action(s.at, s.by, s.action, s.values, s.comment)
                      for s in scenario.steps))


def render(at: dt.datetime, kind: str, state: str | None, to: Iterable[str],
           moves_to: str | None) -> str:
    """One timeline line as scenarios compare it."""
    roles = sorted(set(to))
    clock = f"{at:%Y-%m-%d %H:%M:%S}" if at.second else f"{at:%Y-%m-%d %H:%M}"
    return (f"{clock} {kind} {state or '-'}"
            + (f" moves_to={moves_to}" if moves_to else "")
            + (f" to={','.join(roles)}" if roles else ""))


def expected_lines(scenario: Scenario, tz: ZoneInfo) -> list[str]:
    """The scenario's expectations as lines."""
    return [render(_local(line.at, tz), line.kind, line.state, line.to, line.moves_to)
            for line in scenario.expect]


def actual_lines(scenario: Scenario, timeline: Sequence[Event]) -> list[str]:
    """The simulated timeline's lines of the kinds the scenario compares."""
    return [render(e.at, e.kind, e.state, (who.role for who in e.to), e.level)
            for e in timeline if e.kind in scenario.kinds]


def _local(at: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    return at.replace(tzinfo=tz) if at.tzinfo is None else at.astimezone(tz)


def run_scenario(path: Path, simulator: Simulator) -> Outcome:
    """Load, simulate and compare one scenario."""
    deployment = simulator.deployment
    name = _display(path, deployment)
    tree, scenario, problems = _load(path, deployment)
    if scenario is None:
        return Outcome(name, False, tuple(p.format() for p in problems))
    try:
        simulation = simulator.run(request_for(scenario))
    except SimulationError as err:
        where = ("steps", err.action) if err.action is not None else ("report",)
        problem = _located(Problem(str(err), path=where, at="key"), tree, name)
        return Outcome(name, False, (problem.format(),))
    expected = expected_lines(scenario, simulator.tz)
    actual = actual_lines(scenario, simulation.timeline)
    if expected == actual:
        return Outcome(name, True)
    diff = difflib.unified_diff(expected, actual, "expected", "actual", lineterm="", n=2)
    return Outcome(name, False, tuple(diff))


def report_lines(outcomes: Sequence[Outcome]) -> list[str]:
    """What `gridwork test` prints: each failure with its reasons, then the counts."""
    lines: list[str] = []
    for outcome in outcomes:
        lines.append(f"{'PASS' if outcome.passed else 'FAIL'} {outcome.name}")
        lines.extend(f"    {line}" for line in outcome.lines)
    failed = sum(not o.passed for o in outcomes)
    lines.append(f"{len(outcomes) - failed} passed, {failed} failed")
    return lines

