"""Sheets: scores, grades, vetoes and ranks; kept sheets that never change by themselves;
`--recompute` showing a late record's difference and `--save` keeping a new revision;
the sweep closing a period once however many processes race to."""

from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path

from assessment_support import SCORED, Made, Scored, Step, write
import pytest
from support import CONFIGS, run_cli

from gridwork.assessment import CannotAssess, check_runnable
from gridwork.assessment.closing import close_due
from gridwork.config import load_deployment
from gridwork.storage import build_schema
from gridwork.assessment.store import latest
from gridwork.runtime import Runtime

AFTER_Q4 = "2027-01-10T12:00:00+08:00"
"""After the fourth quarter and its grace of three working days."""


def _assess(world: Scored, *args: str) -> tuple[int, str, str]:
    return run_cli("assess", str(SCORED), "--db", world.url, "--now", AFTER_Q4, *args)


def _story(world: Scored) -> None:
    """S1C1G1: two handled on time; S1C1G2: one late, one deadly; S2C1G1: one on time."""
    fine = [Step(60, 0, "w_S1C1G1"), Step(600, 1, "w_S1C1G1"), Step(60, 1)]  # accept, done, close
    late = [Step(60, 0), Step(60, 2), Step(60, 1)]                   # accept, overdue, done
    write(world, [
        Made("S1C1G1", 60 * 24 * 20, "city", "noise", 80, 0, "w_S1C1G1", None, fine),
        Made("S1C1G1", 60 * 24 * 30, "city", "litter", 60, None, "w_S1C1G1", None, fine),
        Made("S1C1G2", 60 * 24 * 25, "water", "water", None, None, None, "w_S1C1G2", late),
        Made("S1C1G2", 60 * 24 * 26, "water", None, None, 1, None, None, []),
        Made("S2C1G1", 60 * 24 * 40, "city", "noise", 90, None, None, None, fine),
    ])


def test_the_sheet_scores_grades_vetoes_and_ranks_within_the_parent(scored: Scored) -> None:
    _story(scored)
    code, out, err = _assess(scored, "--period", "2026-Q4", "--level", "grid", "--json")
    assert code == 0, err
    sheet = json.loads(out)
    assert sheet["period"] == "2026-Q4"
    assert sheet["config_version"] == scored.deployment.source_hash
    lines = {line["subject"]["key"]: line for line in sheet["subjects"]}
    good, bad = lines["S1C1G1"], lines["S1C1G2"]
    assert good["metrics"]["reports"] == 2 and good["metrics"]["on_time"] == 1.0
    assert good["metrics"]["rating"] == 70.0 and good["metrics"]["rating_sum"] == 140
    assert good["score"] == 100 and good["grade"] == "优秀" and good["rank"] == 1
    assert bad["metrics"]["on_time"] == 0.0 and bad["metrics"]["overdue"] == 1
    # 60 × 0 on time + 40 × 0 closed (one still reported, not counted) − 5 per overdue
    assert bad["deductions"] == 5 and bad["score"] == -5
    assert bad["veto"] is True and bad["grade"] == "不合格" and bad["rank"] == 2
    assert lines["S2C1G1"]["rank"] == 1, "ranked within its own community only"
    quiet = lines["S1C2G1"]
    assert quiet["metrics"]["reports"] == 0 and quiet["metrics"]["on_time"] is None
    assert quiet["score"] == 100 and quiet["rank"] == 1


def test_changes_compare_with_the_period_before_and_targets_say_met_or_not(
        scored: Scored) -> None:
    _story(scored)
    code, out, err = _assess(scored, "--period", "2026-10", "--level", "grid", "--json")
    assert code == 0, err
    lines = {line["subject"]["key"]: line for line in json.loads(out)["subjects"]}
    good, bad, quiet = lines["S1C1G1"], lines["S1C1G2"], lines["S1C2G1"]
    # October against September: two reports more, rising; nothing rated before.
    assert good["metrics"]["more_reports"] == 2 and good["targets"]["more_reports"] is True
    assert good["metrics"]["rating_change"] is None
    assert good["targets"]["on_time"] is True and bad["targets"]["on_time"] is False
    assert quiet["metrics"]["more_reports"] == 0 and quiet["targets"]["more_reports"] is False
    assert quiet["targets"]["on_time"] is None, "nothing handled: nothing to judge"
    code, out, err = _assess(scored, "--period", "2026-11", "--level", "grid", "--json")
    lines = {line["subject"]["key"]: line for line in json.loads(out)["subjects"]}
    assert lines["S1C1G1"]["metrics"]["more_reports"] == -2
    assert lines["S1C1G1"]["metrics"]["on_time_change"] is None, "none handled in November"
    assert lines["S2C1G1"]["metrics"]["more_reports"] == -1


def test_a_kept_sheet_is_the_same_when_recomputed_and_a_late_record_shows_only_as_a_change(
        scored: Scored) -> None:
    _story(scored)
    code, out, err = _assess(scored, "--period", "2026-Q4", "--level", "grid", "--save", "--json")
    assert code == 0 and "kept as revision 1" in err
    kept = json.loads(out)
    code, out, _ = _assess(scored, "--period", "2026-Q4", "--level", "grid", "--recompute")
    assert "since revision 1: no change" in out
    # Late feedback: a record dated in the quarter, written after it closed.
    write(scored, [Made("S1C2G1", 60 * 24 * 50, "city", "noise", 50, None, None, None, [])])
    code, out, _ = _assess(scored, "--period", "2026-Q4", "--level", "grid", "--json")
    assert json.loads(out)["subjects"] == kept["subjects"], "the kept sheet does not move"
    code, out, _ = _assess(scored, "--period", "2026-Q4", "--level", "grid", "--recompute",
                           "--json")
    changes = json.loads(out)["changes"]
    assert "S1C2G1: reports 0 → 1" in changes
    assert all(change.startswith("S1C2G1") for change in changes)
    with scored.engine.connect() as conn:
        assert latest(conn, scored.schema, "2026-Q4", "level:grid").revision == 1
    code, out, err = _assess(scored, "--period", "2026-Q4", "--level", "grid", "--recompute",
                             "--save")
    assert "kept as revision 2" in err
    with scored.engine.connect() as conn:
        stored = latest(conn, scored.schema, "2026-Q4", "level:grid")
    assert stored.revision == 2
    assert {line["subject"]["key"]: line["metrics"]["reports"]
            for line in stored.shape["subjects"]}["S1C2G1"] == 1


def test_bad_periods_and_subjects_are_refused_with_what_to_write(scored: Scored) -> None:
    code, _, err = _assess(scored, "--period", "2026-13")
    assert code == 2 and "months run 01–12" in err
    code, _, err = _assess(scored, "--period", "Q4")
    assert code == 2 and "write a month (2026-11)" in err
    code, _, err = _assess(scored, "--period", "2026", "--level", "street")
    assert code == 2 and "'level:street' is not assessed" in err and "level:grid" in err


def test_metrics_the_engine_cannot_run_are_refused_naming_them(tmp_path: Path) -> None:
    text = (SCORED / "deployment.yaml").read_text(encoding="utf-8").replace(
        'where: "kind == \'noise\'"', 'where: "len(title) > 3"')
    (tmp_path / "deployment.yaml").write_text(text, encoding="utf-8")
    deployment = load_deployment(tmp_path)
    with pytest.raises(CannotAssess) as refused:
        check_runnable(deployment, build_schema(deployment))
    assert str(refused.value) == (
        "assessment.metrics.noisy: 'len(title)' in \"len(title) > 3\": only fields, "
        "constants and + - * / can be computed in SQL")


def test_the_shipped_deployments_assessments_all_run() -> None:
    for name in ("community", "safety", "environment"):
        deployment = load_deployment(CONFIGS / name)
        check_runnable(deployment, build_schema(deployment))


def test_the_sweep_keeps_a_closed_period_once_however_many_close_it(scored: Scored) -> None:
    _story(scored)
    runtime = Runtime.build(scored.deployment)
    in_grace = dt.datetime.fromisoformat("2027-01-04T12:00:00+08:00")
    assert close_due(scored.engine, runtime, in_grace) == [], "not before the grace ends"
    closed = dt.datetime.fromisoformat(AFTER_Q4)
    kept: list[list[str]] = []
    threads = [threading.Thread(target=lambda: kept.append(
        close_due(scored.engine, runtime, closed))) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done = sorted(sheet for one in kept for sheet in one)
    assert "2026-Q4 level:grid" in done and "2026-12 level:grid" in done
    assert len(done) == len(set(done)), "each sheet kept by one process only"
    with scored.engine.connect() as conn:
        assert latest(conn, scored.schema, "2026-Q4", "level:grid").revision == 1
    assert close_due(scored.engine, runtime, closed) == []


def test_concurrent_saves_keep_distinct_revisions(scored: Scored) -> None:
    _story(scored)
    codes: list[int] = []

    def save() -> None:
        code, _, _ = _assess(scored, "--period", "2026-10", "--level", "grid", "--recompute",
                             "--save")
        codes.append(code)

    threads = [threading.Thread(target=save) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codes == [0, 0, 0]
    with scored.engine.connect() as conn:
        assert latest(conn, scored.schema, "2026-10", "level:grid").revision == 3
