"""The periods a schedule recurs in and the slots (occurrences) inside one, on the deployment's
clock and business calendar.

A period's key names it in the deployment's time zone: `2026-12-03` (day), `2026-W49` (ISO
week), `2026-12` (month), `2026-Q4`, `2026-H2`, `2026`. `times: n` splits the period into
`n` equal slots, each due at its end, so that "twice a month" means once in each half; `on:`
weekdays makes one slot per listed day of the week, due at that day's end. `due:` counts
from a slot's start instead. A due time that falls on a day off moves to the end of the next
working day, unless the schedule says `calendar: natural`. A sub-day `every` (`15min`)
makes daily periods with one slot per interval inside the `during` window, each due at its
end; on a day off there are none, unless the calendar is natural.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..config.models import Schedule
from ..time.calendar import BusinessCalendar

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MONTHS = {"month": 1, "quarter": 3, "half_year": 6, "year": 12}


@dataclass(frozen=True)
class Period:
    """One period of a schedule: its key and local bounds (end exclusive)."""

    key: str
    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True)
class Slot:
    """One occurrence of a duty in a period."""

    occurrence: int
    starts_at: dt.datetime
    due_at: dt.datetime


def period_at(every: str, at: dt.datetime, calendar: BusinessCalendar) -> Period:
    """The period of kind ``every`` that contains the instant ``at``."""
    zone = calendar.tz
    day = at.astimezone(zone).date()
    if every == "day":
        first, last, key = day, day + dt.timedelta(days=1), day.isoformat()
    elif every == "week":
        first = day - dt.timedelta(days=day.weekday())
        year, week, _ = first.isocalendar()
        last, key = first + dt.timedelta(days=7), f"{year}-W{week:02d}"
    else:
        months = _MONTHS[every]
        index = (day.month - 1) // months
        first = dt.date(day.year, index * months + 1, 1)
        last = _add_months(first, months)
        key = {"month": f"{day.year}-{day.month:02d}", "quarter": f"{day.year}-Q{index + 1}",
               "half_year": f"{day.year}-H{index + 1}", "year": f"{day.year}"}[every]
    return Period(key, _midnight(first, calendar), _midnight(last, calendar))


def parse_period(every: str, key: str, calendar: BusinessCalendar) -> Period:
    """The period of kind ``every`` a key such as `2026-12` names; ValueError when it names
    none (a month key for a monthly schedule, a day key for a daily one, and so on)."""
    text = key.strip()
    try:
        if "-W" in text:
            year, week = text.split("-W")
            day = dt.date.fromisocalendar(int(year), int(week), 1)
        elif "-Q" in text:
            year, quarter = text.split("-Q")
            day = dt.date(int(year), (int(quarter) - 1) * 3 + 1, 1)
        elif "-H" in text:
            year, half = text.split("-H")
            day = dt.date(int(year), (int(half) - 1) * 6 + 1, 1)
        elif len(text) == 4:
            day = dt.date(int(text), 1, 1)
        elif len(text) == 7:
            day = dt.date.fromisoformat(text + "-01")
        else:
            day = dt.date.fromisoformat(text)
    except ValueError as err:
        raise ValueError(f"'{key}' is not a period; write 2026-12-03, 2026-W49, 2026-12, "
                         "2026-Q4, 2026-H2 or 2026") from err
    return period_at(every, _midnight(day, calendar), calendar)


def slots(schedule: Schedule, period: Period, calendar: BusinessCalendar) -> list[Slot]:
    """The occurrences ``schedule`` asks for in ``period``, with their start and due times."""
    natural = schedule.calendar == "natural"
    found: list[Slot] = []
    if schedule.interval is not None:
        return _intervals(schedule, schedule.interval, period, calendar, natural)
    if schedule.on:
        days = sorted(WEEKDAYS.index(name) for name in schedule.on)
        first = period.start.date()
        for number, weekday in enumerate(days, start=1):
            start = _midnight(first + dt.timedelta(days=weekday), calendar)
            end = _midnight(first + dt.timedelta(days=weekday + 1), calendar)
            found.append(Slot(number, start, _due(schedule, start, end, calendar, natural)))
        return found
    span = period.end - period.start
    for index in range(schedule.times):
        start = period.start + span * index / schedule.times
        end = period.start + span * (index + 1) / schedule.times
        if span > dt.timedelta(days=schedule.times):
            start, end = _to_day(start, calendar), _to_day(end, calendar)
        found.append(Slot(index + 1, start, _due(schedule, start, end, calendar, natural)))
    return found


def _intervals(schedule: Schedule, interval: dt.timedelta, period: Period,
               calendar: BusinessCalendar, natural: bool) -> list[Slot]:
    """The intervals of one day inside the schedule's daily window (a last one that would
    pass the window's end is left out)."""
    day = period.start.astimezone(calendar.tz).date()
    if not natural and not calendar.is_working_day(day):
        return []
    first, last = (schedule.during or "00:00-24:00").split("-")
    start, end = _local(day, first, calendar), _local(day, last, calendar)
    found = []
    while start + interval <= end:   # in UTC: a day with a clock change keeps its intervals
        found.append(Slot(len(found) + 1, start, start + interval))
        start += interval
    return found


def _local(day: dt.date, clock: str, calendar: BusinessCalendar) -> dt.datetime:
    """The instant (UTC) of a wall-clock time of ``day`` ('24:00': the next midnight)."""
    wall = dt.datetime.combine(day, dt.time()) + _clock(clock)
    return wall.replace(tzinfo=calendar.tz).astimezone(dt.UTC)


def _clock(text: str) -> dt.timedelta:
    hours, minutes = text.split(":")
    return dt.timedelta(hours=int(hours), minutes=int(minutes))


def _due(schedule: Schedule, start: dt.datetime, end: dt.datetime,
         calendar: BusinessCalendar, natural: bool) -> dt.datetime:
    due = calendar.add(start, schedule.due) if schedule.due is not None else end
    if natural:
        return due
    last = (due - dt.timedelta(microseconds=1)).astimezone(calendar.tz).date()
    if calendar.is_working_day(last):
        return due
    day = last
    while not calendar.is_working_day(day):
        day += dt.timedelta(days=1)
    return _midnight(day + dt.timedelta(days=1), calendar)


def _to_day(at: dt.datetime, calendar: BusinessCalendar) -> dt.datetime:
    """A slot boundary rounded to the local midnight nearest it (slots of a period longer
    than a day per slot are whole days)."""
    local = at.astimezone(calendar.tz)
    day = local.date() + (dt.timedelta(days=1) if local.hour >= 12 else dt.timedelta())
    return _midnight(day, calendar)


def _midnight(day: dt.date | dt.datetime, calendar: BusinessCalendar) -> dt.datetime:
    if isinstance(day, dt.datetime):
        day = day.astimezone(calendar.tz).date()
    return dt.datetime.combine(day, dt.time(), calendar.tz)


def _add_months(day: dt.date, months: int) -> dt.date:
    total = day.year * 12 + day.month - 1 + months
    return dt.date(total // 12, total % 12 + 1, 1)
