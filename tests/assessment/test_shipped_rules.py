"""The shipped deployments score as their source plans say: deductions per missed report
and unresolved major hazard and a veto on a fatal accident (safety), the satisfaction
survey's and the year's consequences (community), inspections by control level and
on-time handling (environment)."""

from __future__ import annotations

from typing import Any

from support import CONFIGS

from gridwork.assessment.sheet import Line, score_line
from gridwork.assessment.subjects import Who
from gridwork.config import load_deployment
from gridwork.config.models.outputs import Assessment


def _assessment(name: str) -> Assessment:
    assessment = load_deployment(CONFIGS / name).assessment
    assert assessment is not None
    return assessment


def _scored(assessment: Assessment, **numbers: float | None) -> Line:
    values: dict[str, float | None] = {key: None for key in assessment.metrics}
    values.update(numbers)
    return score_line(assessment, Line(Who("node", 1, "G", "G", None), values, {}), "zh")


def _follows(assessment: Assessment, period: str, numbers: dict[str, Any]) -> dict[str, int]:
    """The rules of ``period`` that hold for ``numbers``, with the times each needs."""
    found = {}
    for key, rule in assessment.consequences.items():
        try:
            holds = rule.period == period and bool(rule.when.evaluate(numbers))
        except TypeError:
            holds = False
        if holds:
            found[key] = rule.times
    return found


def test_safety_takes_100_per_missed_report_500_per_major_hazard_and_vetoes_a_death() -> None:
    safety = _assessment("safety")
    assert "quarter" in safety.periods and any(s.level == "village" for s in safety.subjects)
    clean = _scored(safety, missed_reports=0, missed_evaluations=0, unresolved_major=0,
                    overdue_hazards=0, fatal_accidents=0, concealed_accidents=0)
    assert clean.score == 1000 and not clean.veto
    missed = _scored(safety, missed_reports=2, missed_evaluations=1, unresolved_major=1,
                     overdue_hazards=0, fatal_accidents=0, concealed_accidents=0)
    assert missed.deductions == 2 * 100 + 100 + 500 and missed.score == 200
    fatal = _scored(safety, missed_reports=0, missed_evaluations=0, unresolved_major=0,
                    overdue_hazards=0, fatal_accidents=1, concealed_accidents=0)
    assert fatal.veto and fatal.grade == "不合格"
    assert _follows(safety, "year", {"fatal_accidents": 1, "score": 1000}) == {"year_vetoed": 1}
    assert safety.metrics["missed_reports"].kind == "misses", "a report never filed counts"


def test_community_criticizes_below_80_removes_after_twice_and_bands_the_year() -> None:
    community = _assessment("community")
    assert _follows(community, "half_year", {"satisfaction": 75}) == {
        "criticism": 1, "removal": 2}
    assert _follows(community, "half_year", {"satisfaction": 85}) == {}
    assert _follows(community, "half_year", {"satisfaction": None}) == {}, "no survey"
    assert _follows(community, "year", {"score": 65}) == {"training": 1}
    assert _follows(community, "year", {"score": 55}) == {"dismissal": 1}
    assert _follows(community, "year", {"score": 70}) == {}
    assert community.metrics["visit_coverage"].schedule == "visit_class3"
    assert community.metrics["on_time_feedback"].target.met(0.9) is False


def test_environment_covers_every_control_level_and_judges_on_time_handling() -> None:
    deployment = load_deployment(CONFIGS / "environment")
    assessment = deployment.assessment
    assert assessment is not None
    covered = {m.schedule for m in assessment.metrics.values() if m.kind == "coverage"}
    schedules = {s.name: s for s in deployment.schedules}
    for level in ("national", "provincial", "city", "county", "general"):
        source = {"control_level": level, "status": "operating"}
        assert any(schedules[name].register_name == "pollution_source"
                   and schedules[name].where is not None
                   and schedules[name].where.evaluate(source) for name in covered), level
    handled = assessment.metrics["handled_on_time"]
    assert handled.kind == "on_time" and handled.target.met(1.0) is True
    trend = assessment.metrics["handling_trend"]
    assert trend.kind == "change" and trend.metric == "handled_on_time"
    assert trend.target.met(-0.1) is False
