"""The scenario file format: ``scenarios/*.yaml`` in a deployment folder say what is
reported where and when, who acts when, and which timeline they expect. `gridwork check`
reads them with the rest of the config; `gridwork test` simulates and compares them.

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
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from .context import Context
from .loader import Sources, read_yaml
from .models import Deployment
from .problems import Problem, did_you_mean, unknown
from .schema_errors import schema_problems

FOLDER = "scenarios"
Kind = Literal["deadline", "reminder", "escalation", "transition", "notification"]
DEFAULT_KINDS: tuple[Kind, ...] = ("deadline", "reminder", "escalation", "transition")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


def _instant(value: Any) -> Any:
    """``2026-09-30 16:00`` (YAML leaves it text without seconds) as a datetime."""
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value


class Report(_Model):
    """The record: its category, severity, node, report time and (optionally) reporter."""

    category: str
    """The category code it is reported under."""
    severity: str | None = None
    """A code of the `severity` choices."""
    at: str | None = None
    """A node code; default the first node of the register's level."""
    time: dt.datetime
    """When it is reported, e.g. `2026-11-06 17:00`."""
    by: str | None = None
    """The reporting role; default a role that may create records of the register."""
    register_: str | None = Field(None, alias="register")
    """Default: the first register with a workflow and categories."""
    values: dict[str, Any] = {}
    """Field values of the report; default plausible values for required fields."""

    _time = field_validator("time", mode="before")(_instant)


class ScenarioStep(_Model):
    """Someone acting: ``by`` (a role) takes ``action`` at ``at``."""

    at: dt.datetime
    """When, e.g. `2026-11-09 09:45`."""
    by: str
    """The role acting; `ROLE@DEPT` for a departmental role's user of that department."""
    action: str
    """The transition taken."""
    values: dict[str, Any] = {}
    """Values of the fields the transition requires."""
    comment: str | None = None
    """The written reason, where the transition requires `comment`."""

    _at = field_validator("at", mode="before")(_instant)


class Expected(_Model):
    """One expected line of the timeline."""

    at: dt.datetime
    """When it happens."""
    kind: Kind
    """What happens."""
    state: str
    """The state the record is in (or enters, for a transition)."""
    to: list[str] = []
    """Roles told (each once, any order)."""
    moves_to: str | None = None
    """The level an escalation step moves the record up to."""

    _at = field_validator("at", mode="before")(_instant)


class Scenario(_Model):
    """One scenario file."""

    description: str | None = None
    """What the scenario shows, for the report of `gridwork test`."""
    report: Report
    """The record reported."""
    steps: list[ScenarioStep] = []
    """People acting on it, in time order."""
    until: dt.datetime | None = None
    """Stop simulating here; default 90 days after the report."""
    kinds: list[Kind] = Field(default_factory=lambda: list(DEFAULT_KINDS))
    """Which kinds of line `expect` lists (the others are not compared)."""
    expect: list[Expected]
    """The whole timeline of those kinds, in order."""

    _until = field_validator("until", mode="before")(_instant)


def scenario_files(deployment: Deployment) -> list[Path]:
    """The deployment's scenario files, by name."""
    return sorted((deployment.root / FOLDER).glob("*.yaml"))


def load_scenario(path: Path, deployment: Deployment) -> tuple[Scenario | None, list[Problem]]:
    """Read and check one scenario file; problems carry its file, line and column."""
    _, scenario, problems = read_scenario(path, deployment)
    return scenario, problems


def read_scenario(path: Path, deployment: Deployment) -> tuple[Any, Scenario | None, list[Problem]]:
    """The file's YAML tree (for positions), the scenario, and its problems."""
    display = display_name(path, deployment)
    tree, problems = read_yaml(path, display, Sources(root=deployment.root))
    if problems:
        return tree, None, problems
    if not isinstance(tree, CommentedMap):
        return tree, None, [Problem("a scenario is a mapping with 'report:' and 'expect:'",
                                    file=display, line=1, col=1)]
    try:
        scenario = Scenario.model_validate(tree)
    except ValidationError as err:
        return tree, None, [located(_hinted(p), tree, display) for p in schema_problems(err)]
    found = [located(p, tree, display) for p in _meaning(scenario, deployment)]
    return (tree, None, found) if found else (tree, scenario, [])


_SECTIONS: dict[tuple[str, ...], type[BaseModel]] = {
    (): Scenario, ("report",): Report, ("steps",): ScenarioStep, ("expect",): Expected}
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


def display_name(path: Path, deployment: Deployment) -> str:
    """The file's name as problems show it: relative to the deployment folder."""
    return str(path.relative_to(deployment.root)) if path.is_relative_to(
        deployment.root) else str(path)


def _meaning(scenario: Scenario, deployment: Deployment) -> list[Problem]:
    """Names the deployment does not know: category, severity, node, roles, states, levels."""
    problems: list[Problem] = []
    tz = deployment.about.zone
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
    flows = [name for name, spec in deployment.registers.items()
             if spec.workflow and spec.categorized]
    register = report.register_ or (flows[0] if flows else None)
    codes = Context(deployment, {}).codes([register] if register in flows else [])
    problems.extend(_codes(report.values, codes, ("report", "values")))
    for i, step in enumerate(scenario.steps):
        if local_time(step.at, tz) < local_time(report.time, tz):
            problems.append(Problem("a step cannot come before the report",
                                    path=("steps", i, "at")))
        if step.by.split("@")[0] not in deployment.roles:
            problems.append(Problem(unknown("role", step.by, deployment.roles),
                                    path=("steps", i, "by")))
        if step.action not in actions:
            problems.append(Problem(unknown("action", step.action, actions),
                                    path=("steps", i, "action")))
        problems.extend(_codes(step.values, codes, ("steps", i, "values")))
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


def _codes(values: dict[str, Any], codes: dict[str, list[str]],
           path: tuple[Any, ...]) -> list[Problem]:
    """A problem for each value given to a field that holds codes but is none of them."""
    return [Problem(unknown(f"code of '{name}'", str(value), codes[name]), path=(*path, name))
            for name, value in values.items()
            if name in codes and value is not None and str(value) not in codes[name]]


def located(problem: Problem, tree: Any, display: str) -> Problem:
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


def local_time(at: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    return at.replace(tzinfo=tz) if at.tzinfo is None else at.astimezone(tz)
