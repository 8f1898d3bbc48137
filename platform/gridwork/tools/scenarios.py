"""Running deployment scenarios (their format: `gridwork.config.scenarios`): simulate each
and compare the timeline it expects with the one the engine produces."""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from ..config.problems import Problem
from ..config.scenarios import Scenario, display_name, local_time, located, read_scenario
from .simulate import Action, Request, SimulationError, Simulator
from .simulate_timeline import Event


@dataclass(frozen=True)
class Outcome:
    """A scenario's result: passed, or the problems or diff that say why not."""

    name: str
    passed: bool
    lines: tuple[str, ...] = ()


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
    return [render(local_time(line.at, tz), line.kind, line.state, line.to, line.moves_to)
            for line in scenario.expect]


def actual_lines(scenario: Scenario, timeline: Sequence[Event]) -> list[str]:
    """The simulated timeline's lines of the kinds the scenario compares."""
    return [render(e.at, e.kind, e.state, (who.role for who in e.to), e.level)
            for e in timeline if e.kind in scenario.kinds]


def run_scenario(path: Path, simulator: Simulator) -> Outcome:
    """Load, simulate and compare one scenario."""
    deployment = simulator.deployment
    name = display_name(path, deployment)
    tree, scenario, problems = read_scenario(path, deployment)
    if scenario is None:
        return Outcome(name, False, tuple(p.format() for p in problems))
    try:
        simulation = simulator.run(request_for(scenario))
    except SimulationError as err:
        where = ("steps", err.action) if err.action is not None else ("report",)
        problem = located(Problem(str(err), path=where, at="key"), tree, name)
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

