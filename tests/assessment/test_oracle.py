"""The SQL metrics agree with a plain-Python oracle over generated histories: periods
crossing month ends, records spanning periods, pauses, second rounds, late stays, and
changes against the period before."""

from __future__ import annotations

import pytest
from assessment_support import (
    GRIDS, PLACES, ZONE, Duty, Made, Scored, Step, write, write_duties,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle import oracle

from gridwork.assessment import parse_period
from gridwork.assessment.metrics import values

WORKERS = [f"w_{grid}" for grid in GRIDS]
steps = st.builds(Step, minutes=st.integers(1, 60 * 24 * 40),
                  choice=st.integers(0, 5),
                  actor=st.sampled_from([None, *WORKERS]))
records = st.builds(
    Made, place=st.sampled_from(PLACES), minutes=st.integers(0, 60 * 24 * 120),
    category=st.sampled_from(["city", "water"]),
    kind=st.sampled_from([None, "noise", "litter", "water"]),
    rating=st.one_of(st.none(), st.integers(0, 100)), deaths=st.sampled_from([None, 0, 1]),
    reporter=st.sampled_from([None, *WORKERS]), assignee=st.sampled_from([None, *WORKERS]),
    steps=st.lists(steps, max_size=10))
duties = st.builds(
    Duty, place=st.sampled_from(GRIDS), due_minutes=st.integers(0, 60 * 24 * 120),
    state=st.sampled_from(["open", "overdue", "done", "dropped"]),
    assignee=st.sampled_from([None, *WORKERS]),
    missed_minutes=st.one_of(st.none(), st.integers(0, 60 * 24 * 20)))
PERIODS = ("2026-09", "2026-10", "2026-11", "2026-Q4", "2026-H2", "2026", "2027-01")


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(made=st.lists(records, max_size=14), owed=st.lists(duties, max_size=12),
       period_text=st.sampled_from(PERIODS))
def test_every_metric_agrees_with_the_oracle(scored: Scored, made: list[Made], owed: list[Duty],
                                             period_text: str) -> None:
    scored.clear()
    write(scored, made)
    write_duties(scored, owed)
    period = parse_period(period_text, ZONE)
    assessment = scored.deployment.assessment
    assert assessment is not None
    with scored.engine.connect() as conn:
        for subject in assessment.subjects:
            for key, metric in assessment.metrics.items():
                got = {who: v.value for who, v in values(conn, scored.deployment, scored.schema,
                                                          metric, subject, period).items()}
                expected = oracle(scored, assessment.metrics, key, subject, period)
                assert got.keys() == expected.keys(), (key, subject)
                for who, value in expected.items():
                    if value is None:
                        assert got[who] is None, (key, subject, who)
                    else:
                        assert got[who] == pytest.approx(value, abs=1e-6), (key, subject, who)
