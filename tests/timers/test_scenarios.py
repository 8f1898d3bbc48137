"""Each shipped deployment's scenarios pass, and a scenario that expects the wrong thing fails
with a diff an administrator can read (and `gridwork test` says so and exits 1)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support import CONFIGS, SHIPPED, run_cli

from gridwork.config import load_deployment
from gridwork.config.scenarios import load_scenario, scenario_files
from gridwork.tools.scenarios import run_scenario
from gridwork.tools.simulate import Simulator

SCENARIOS = sorted(CONFIGS.glob("*/scenarios/*.yaml"))
HOLIDAY = CONFIGS / "community" / "scenarios" / "national_day_nobody_acts.yaml"


@pytest.fixture(scope="module")
def simulators(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], Simulator]]:
    """A simulator per shipped deployment, made once per module."""
    made: dict[str, Simulator] = {}

    def simulator(name: str) -> Simulator:
        if name not in made:
            made[name] = Simulator(load_deployment(CONFIGS / name),
                                   tmp_path_factory.mktemp(f"sim-{name}"))
        return made[name]

    yield simulator


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_shipped_scenario_passes(path: Path, simulators: Callable[[str], Simulator]) -> None:
    outcome = run_scenario(path, simulators(path.parent.parent.name))
    assert outcome.passed, "\n".join(outcome.lines)


@pytest.mark.parametrize("name", SHIPPED)
def test_each_deployment_ships_holiday_and_second_round_scenarios(
        name: str, simulators: Callable[[str], Simulator]) -> None:
    deployment = simulators(name).deployment
    files = scenario_files(deployment)
    assert len(files) >= 5
    scenarios = [load_scenario(path, deployment) for path in files]
    assert all(problems == [] for _, problems in scenarios)
    loaded = [s for s, _ in scenarios if s is not None]
    renewing = {t.name for w in deployment.workflows.values() for t in w.transitions
                if t.new_round}
    # one scenario across National Day whose timeline reaches the adjusted Saturday
    assert any(s.report.time.date().isoformat() <= "2026-09-30"
               and any(line.at.date().isoformat() == "2026-10-10" for line in s.expect)
               for s in loaded)
    assert any(step.action in renewing for s in loaded for step in s.steps)


def test_a_wrong_expectation_fails_with_a_diff(tmp_path: Path,
                                               simulators: Callable[[str], Simulator]) -> None:
    wrong = tmp_path / "wrong.yaml"
    # Someone forgot the adjusted working Saturday and expected the street on Monday.
    wrong.write_text(HOLIDAY.read_text(encoding="utf-8").replace(
        "{at: 2026-10-10 11:00, kind: escalation", "{at: 2026-10-12 11:00, kind: escalation"),
        encoding="utf-8")
    outcome = run_scenario(wrong, simulators("community"))
    assert not outcome.passed
    assert list(outcome.lines) == [
        "--- expected",
        "+++ actual",
        "@@ -5,4 +5,4 @@",
        " 2026-10-08 11:00 escalation accepting to=dept_staff,grid_leader",
        " 2026-10-09 11:00 escalation accepting moves_to=community to=community_head",
        "-2026-10-12 11:00 escalation accepting moves_to=street to=street_officer",
        "+2026-10-10 11:00 escalation accepting moves_to=street to=street_officer",
        " 2026-10-12 11:00 escalation accepting moves_to=district to=supervisor",
    ]


def test_gridwork_test_reports_each_scenario_and_exits_1_on_a_failure(tmp_path: Path) -> None:
    root = tmp_path / "community"
    shutil.copytree(CONFIGS / "community", root, ignore=shutil.ignore_patterns("data"))
    for path in (root / "scenarios").glob("*.yaml"):
        if path.name != HOLIDAY.name:
            path.unlink()
    text = HOLIDAY.read_text(encoding="utf-8")
    (root / "scenarios" / "late.yaml").write_text(text.replace(
        "{at: 2026-10-08 10:00, kind: reminder", "{at: 2026-10-08 09:30, kind: reminder"),
        encoding="utf-8")
    code, out, _ = run_cli("test", str(root))
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == "FAIL scenarios/late.yaml"
    assert "    -2026-10-08 09:30 reminder accepting to=dept_staff" in lines
    assert "    +2026-10-08 10:00 reminder accepting to=dept_staff" in lines
    assert f"PASS scenarios/{HOLIDAY.name}" in lines
    assert lines[-1] == "1 passed, 1 failed"
    assert run_cli("test", str(root), HOLIDAY.stem)[:2] == (
        0, f"PASS scenarios/{HOLIDAY.name}\n1 passed, 0 failed\n")


def test_scenario_file_problems_point_at_file_line_and_column(
        tmp_path: Path, simulators: Callable[[str], Simulator]) -> None:
    deployment = simulators("community").deployment
    path = tmp_path / "broken.yaml"
    path.write_text(
        "report: {category: dispute_neighbor, time: 2026-09-30 16:00}\n"
        "steps:\n"
        "  - {at: 2026-10-08 09:00, by: dept_stuff, action: accept}\n"
        "  - {at: 2026-09-30 15:00, by: dept_staff, action: accept}\n"
        "expect:\n"
        "  - {at: 2026-10-08 11:00, kind: deadline, state: accepting, to: [grid_leder]}\n",
        encoding="utf-8")
    scenario, problems = load_scenario(path, deployment)
    assert scenario is None
    assert [p.format() for p in problems] == [
        (f"{path}:1:20: error: unknown category 'dispute_neighbor'; "
        "did you mean 'dispute_neighbour'?"),
        f"{path}:3:32: error: unknown role 'dept_stuff'; did you mean 'dept_staff'?",
        f"{path}:4:10: error: a step cannot come before the report",
        f"{path}:6:67: error: unknown role 'grid_leder'; did you mean 'grid_leader'?",
    ]
    path.write_text("report: {category: dispute, time: 2026-09-30 16:00}\n"
                    "expekt: []\n", encoding="utf-8")
    _, problems = load_scenario(path, deployment)
    assert [p.format() for p in problems] == [
        (f"{path}:2:1: error: unknown key 'expekt'; did you mean 'expect'? (allowed here: "
        "description, report, steps, until, kinds, expect)"),
    ]


def test_a_step_nobody_may_take_fails_at_its_line(tmp_path: Path,
                                                   simulators: Callable[[str], Simulator]) -> None:
    path = tmp_path / "forbidden.yaml"
    path.write_text(
        "report: {category: dispute_neighbour, severity: general, time: 2026-09-30 16:00}\n"
        "steps:\n"
        "  - {at: 2026-09-30 16:30, by: grid_worker, action: accept}\n"
        "expect: []\n", encoding="utf-8")
    outcome = run_scenario(path, simulators("community"))
    assert not outcome.passed
    assert outcome.lines == (
        (f"{path}:3:5: error: 'accept' by grid_worker at 2026-09-30T16:30:00+08:00 in state "
        "'accepting': 'accept' is not yours to take on event #1"),)
