"""The business calendar on fixed clocks: holidays, 调休, working hours, pauses, time zones."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from timers_support import SHANGHAI, at, calendar, dur

from gridwork.config.models import Calendar
from gridwork.time.calendar import BusinessCalendar

CAL = calendar()
REPORT = at("2026-09-30 16:00")  # a Wednesday, the last working day before National Day


def test_national_day_2026_and_its_adjusted_saturday() -> None:
    holidays = [dt.date(2026, 10, day) for day in range(1, 8)]
    assert not any(CAL.is_working_day(day) for day in holidays)
    assert CAL.is_working_day(dt.date(2026, 9, 30))
    assert CAL.is_working_day(dt.date(2026, 10, 8))       # Thursday after the holiday
    assert CAL.is_working_day(dt.date(2026, 10, 10))      # Saturday, adjusted working day 调休
    assert not CAL.is_working_day(dt.date(2026, 10, 11))  # an ordinary Sunday


def test_mid_autumn_2026_and_its_adjusted_sunday() -> None:
    assert not CAL.is_working_day(dt.date(2026, 9, 25))   # Friday, Mid-Autumn
    assert CAL.is_working_day(dt.date(2026, 9, 20))       # Sunday, adjusted working day


def test_spring_festival_2026() -> None:
    assert CAL.is_working_day(dt.date(2026, 2, 14))       # Saturday before, adjusted
    assert not any(CAL.is_working_day(dt.date(2026, 2, day)) for day in range(15, 24))
    assert CAL.is_working_day(dt.date(2026, 2, 24))
    assert CAL.is_working_day(dt.date(2026, 2, 28))       # Saturday after, adjusted
    friday = at("2026-02-13 16:00")
    assert CAL.add(friday, dur("1wd")) == at("2026-02-14 16:00")
    assert CAL.add(friday, dur("2wd")) == at("2026-02-24 16:00")
    # 2026-02-14: 7.5h; 02-24 to 02-27: 4 × 7.5h; 02-28 (adjusted Saturday) is the sixth day.
    assert CAL.add(friday, dur("6wd")) == at("2026-02-28 16:00")


@pytest.mark.parametrize(("limit", "due"), [
    # 1wd: the same clock time on the next working day; 10-01..07 are holidays.
    ("1wd", "2026-10-08 16:00"),
    # 3wd: 10-08 (Thu), 10-09 (Fri), 10-10 (the adjusted Saturday).
    ("3wd", "2026-10-10 16:00"),
    # 4wh: 16:00-17:30 on 09-30 is 1.5h; the other 2.5h run from 08:30 on 10-08.
    ("4wh", "2026-10-08 11:00"),
    # 0.5wd is 3.75 working hours: 1.5h on 09-30, then 2.25h from 08:30.
    ("0.5wd", "2026-10-08 10:45"),
    # calendar time ignores the holiday.
    ("2d", "2026-10-02 16:00"),
    ("30min", "2026-09-30 16:30"),
    ("1w", "2026-10-07 16:00"),
    ("90s", "2026-09-30 16:01:30"),
])
def test_report_before_national_day(limit: str, due: str) -> None:
    assert CAL.add(REPORT, dur(limit)) == at(due)


@pytest.mark.parametrize(("start", "limit", "due"), [
    ("2026-10-08 11:30", "1wh", "2026-10-08 14:00"),   # 30 minutes before lunch, 30 after
    ("2026-10-08 12:30", "1wh", "2026-10-08 14:30"),   # reported at lunch: counts from 13:30
    ("2026-10-08 12:30", "1wd", "2026-10-09 13:30"),
    ("2026-10-08 07:00", "1wh", "2026-10-08 09:30"),   # before opening: counts from 08:30
    ("2026-10-08 07:00", "1wd", "2026-10-08 17:30"),   # ...and is due at that day's close
    ("2026-10-08 08:30", "1wd", "2026-10-08 17:30"),   # an opening is the close before it
    ("2026-10-09 18:00", "1wd", "2026-10-10 17:30"),   # after closing on Friday: Saturday 调休
    ("2026-10-09 18:00", "2wh", "2026-10-10 10:30"),
    ("2026-10-08 13:30", "4wh", "2026-10-08 17:30"),   # runs out at closing: due at closing
    ("2026-10-08 17:30", "1wd", "2026-10-09 17:30"),
    ("2026-10-03 10:00", "1wd", "2026-10-08 17:30"),   # reported on a holiday
    ("2026-10-08 10:00", "0wh", "2026-10-08 10:00"),
])
def test_working_hours_edges(start: str, limit: str, due: str) -> None:
    assert CAL.add(at(start), dur(limit)) == at(due)


def test_working_time_instants() -> None:
    assert CAL.is_working_time(at("2026-10-08 08:30"))
    assert CAL.is_working_time(at("2026-10-08 11:59:59"))
    assert not CAL.is_working_time(at("2026-10-08 12:00"))
    assert not CAL.is_working_time(at("2026-10-08 17:30"))
    assert not CAL.is_working_time(at("2026-10-05 10:00"))


@pytest.mark.parametrize(("deadline", "offset", "due"), [
    ("2026-10-08 16:00", "1wd", "2026-09-30 16:00"),
    ("2026-10-08 09:30", "2wh", "2026-09-30 16:30"),
    ("2026-10-08 10:30", "2wh", "2026-10-08 08:30"),   # stops at the opening, not the close before
    ("2026-10-08 17:30", "1wd", "2026-10-08 08:30"),   # a close is the next opening
    # From a holiday: the last working moment is 09-30 17:30; a working day earlier is
    # 09-29 17:30, a close, written as the next opening.
    ("2026-10-02 16:00", "1wd", "2026-09-30 08:30"),
    ("2026-10-08 16:00", "2h", "2026-10-08 14:00"),
    ("2026-10-08 16:00", "2d", "2026-10-06 16:00"),
])
def test_before_a_deadline(deadline: str, offset: str, due: str) -> None:
    assert CAL.before(at(deadline), dur(offset)) == at(due)


def test_working_time_between() -> None:
    assert CAL.working_time_between(REPORT, at("2026-10-08 11:00")) == 4 * 3600
    assert CAL.working_time_between(at("2026-10-08 11:00"), REPORT) == -4 * 3600
    assert CAL.working_time_between(at("2026-10-02 09:00"), at("2026-10-06 18:00")) == 0
    assert CAL.working_time_between(at("2026-10-08 11:00"), at("2026-10-08 14:00")) == 1.5 * 3600


def test_working_time_in_2026_matches_the_count_of_working_days() -> None:
    # 2026 starts on a Thursday: 52 weeks and a day give 261 weekdays. Holidays on weekdays:
    # New Year 2, Spring Festival 6, Qingming 1, Labour Day 3, Dragon Boat 1, Mid-Autumn 1,
    # National Day 5 (19 in all); adjusted weekend working days: 01-04, 02-14, 02-28, 05-09,
    # 09-20, 10-10 (6). 261 - 19 + 6 = 248.
    days = sum(CAL.is_working_day(dt.date(2026, 1, 1) + dt.timedelta(days=n)) for n in range(365))
    assert days == 248
    total = CAL.working_time_between(at("2026-01-01 00:00"), at("2027-01-01 00:00"))
    assert total == days * 7.5 * 3600


def test_extra_holidays_and_working_days() -> None:
    cal = calendar(extra_holidays=["2026-10-09"], extra_working_days=["2026-10-11"])
    assert CAL.add(REPORT, dur("2wd")) == at("2026-10-09 16:00")
    assert cal.add(REPORT, dur("2wd")) == at("2026-10-10 16:00")
    assert cal.add(REPORT, dur("3wd")) == at("2026-10-11 16:00")   # a Sunday made a working day
    opened = calendar(extra_working_days=["2026-10-05"])            # over a statutory holiday
    assert opened.add(REPORT, dur("1wd")) == at("2026-10-05 16:00")


def test_holidays_none_ignores_the_chinese_calendar() -> None:
    cal = calendar(holidays="none")
    assert cal.is_working_day(dt.date(2026, 10, 1))
    assert not cal.is_working_day(dt.date(2026, 10, 10))
    assert cal.add(REPORT, dur("1wd")) == at("2026-10-01 16:00")
    assert cal.add(REPORT, dur("3wd")) == at("2026-10-05 16:00")


def test_years_the_chinese_calendar_does_not_know_follow_the_weekdays() -> None:
    assert CAL.is_working_day(dt.date(2003, 10, 1))                  # a Wednesday
    assert not CAL.is_working_day(dt.date(2003, 10, 4))              # a Saturday


def test_working_weekdays_and_hours_from_config() -> None:
    cal = calendar(working_days=["mon", "wed", "sat"], hours=["09:00-12:00"], holidays="none")
    assert cal.day_length == dt.timedelta(hours=3)
    assert cal.add(at("2026-10-05 10:00"), dur("1wd")) == at("2026-10-07 10:00")
    assert cal.add(at("2026-10-07 10:00"), dur("4wh")) == at("2026-10-10 11:00")


def test_resume_shifts_by_the_paused_working_time() -> None:
    # Paused 10:00-14:00 on 10-08: 2h before lunch and 0.5h after count.
    moved = CAL.resume(at("2026-10-09 16:00"), at("2026-10-08 10:00"), at("2026-10-08 14:00"),
                       working=True)
    assert moved == at("2026-10-10 09:30")   # 1.5h to Friday's close, 1h on the 调休 Saturday
    weekend = CAL.resume(at("2026-10-12 10:00"), at("2026-10-10 18:00"), at("2026-10-12 08:00"),
                         working=True)
    assert weekend == at("2026-10-12 10:00")
    calendar_time = CAL.resume(at("2026-10-02 16:00"), at("2026-10-01 08:00"),
                               at("2026-10-01 12:00"), working=False)
    assert calendar_time == at("2026-10-02 20:00")


def test_shift_and_length() -> None:
    assert CAL.length(dur("2wd")) == 15 * 3600
    assert CAL.length(dur("4wh")) == 4 * 3600
    assert CAL.length(dur("2d")) == 2 * 86400
    assert CAL.shift(REPORT, 4 * 3600, working=True) == at("2026-10-08 11:00")
    assert CAL.shift(at("2026-10-08 11:00"), -4 * 3600, working=True) == REPORT
    assert CAL.shift(REPORT, -3600, working=False) == at("2026-09-30 15:00")


def test_instants_in_other_zones_come_back_on_the_deployment_clock() -> None:
    utc = dt.datetime(2026, 9, 30, 8, 0, tzinfo=dt.UTC)            # 16:00 in Shanghai
    due = CAL.add(utc, dur("1wd"))
    assert due == at("2026-10-08 16:00")
    assert due.tzinfo == SHANGHAI


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        CAL.add(dt.datetime(2026, 9, 30, 16, 0), dur("1wd"))


def test_calendar_days_keep_the_wall_clock_across_daylight_saving() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    cal = BusinessCalendar.from_config(Calendar(holidays="none"), berlin)
    saturday = dt.datetime(2026, 3, 28, 12, 0, tzinfo=berlin)       # clocks go forward on Sunday
    assert cal.add(saturday, dur("1d")) == dt.datetime(2026, 3, 29, 12, 0, tzinfo=berlin)
    assert cal.add(saturday, dur("24h")) == dt.datetime(2026, 3, 29, 13, 0, tzinfo=berlin)


def test_a_calendar_without_working_time_says_so() -> None:
    cal = calendar(working_days=[], holidays="none")
    with pytest.raises(ValueError, match="no working"):
        cal.add(REPORT, dur("1wh"))
