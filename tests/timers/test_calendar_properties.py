"""Invariants of the calendar arithmetic over arbitrary instants of 2026."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st
from timers_support import SHANGHAI, calendar

from gridwork.config.types import Duration

CAL = calendar()
DAY = 7.5 * 3600

instants = st.integers(min_value=0, max_value=365 * 24 * 60).map(
    lambda minutes: dt.datetime(2026, 1, 1, tzinfo=SHANGHAI) + dt.timedelta(minutes=minutes))
quarter_hours = st.integers(min_value=1, max_value=200).map(lambda n: n / 4)
working_days = st.integers(min_value=1, max_value=12)


@settings(max_examples=300, deadline=None)
@given(instants, quarter_hours)
def test_working_hours_count_exactly(start: dt.datetime, hours: float) -> None:
    due = CAL.add(start, Duration(hours, "wh"))
    assert CAL.working_time_between(start, due) == hours * 3600
    assert CAL.is_working_time(due - dt.timedelta(seconds=1))
    early = CAL.before(start, Duration(hours, "wh"))
    assert CAL.working_time_between(early, start) == hours * 3600
    assert CAL.is_working_time(early)


@settings(max_examples=300, deadline=None)
@given(instants, working_days)
def test_working_days_are_whole_days_of_working_hours(start: dt.datetime, days: int) -> None:
    due = CAL.add(start, Duration(days, "wd"))
    assert CAL.working_time_between(start, due) == days * DAY
    assert CAL.working_time_between(CAL.before(due, Duration(days, "wd")), start) == 0
    early = CAL.before(start, Duration(days, "wd"))
    assert CAL.working_time_between(early, start) == days * DAY


@settings(max_examples=200, deadline=None)
@given(instants, instants, st.integers(min_value=0, max_value=20 * 24 * 60))
def test_resume_keeps_the_time_that_was_left(deadline: dt.datetime, paused_at: dt.datetime,
                                             minutes: int) -> None:
    resumed_at = paused_at + dt.timedelta(minutes=minutes)
    moved = CAL.resume(deadline, paused_at, resumed_at, working=True)
    left = CAL.working_time_between(paused_at, deadline)
    assert CAL.working_time_between(resumed_at, moved) == left
