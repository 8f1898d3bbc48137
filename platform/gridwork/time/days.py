"""Which dates are working days and when their working hours fall, cached per date.

Every question the calendar answers comes down to one date's facts, so they are computed
once per date and kept: the arithmetic then walks day by day, never minute by minute.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import chinese_calendar  # type: ignore[import-untyped]

from ..config.models import Calendar

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MAX_DAYS_OFF = 400
"""More consecutive days without working time than this means the calendar has none."""

Span = tuple[dt.datetime, dt.datetime]
"""Working time from start (inclusive) to end (exclusive), as UTC datetimes."""


def _wall(text: str) -> dt.timedelta:
    hours, minutes = text.split(":")
    return dt.timedelta(hours=int(hours), minutes=int(minutes))


@functools.cache
def library_knows(year: int) -> bool:
    """Whether the installed Chinese holiday library has data for ``year``."""
    try:
        chinese_calendar.get_holiday_detail(dt.date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def _statutory(day: dt.date) -> bool | None:
    """Whether the Chinese calendar makes ``day`` a working day; None if it says nothing.

    It names statutory holidays (days off) and adjusted working days (调休, days on); other
    dates, and years it has no data for, follow the deployment's working weekdays.
    """
    try:
        holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return None
    return None if name is None else not holiday


class WorkingDays:
    """The per-date facts of one business calendar in one time zone."""

    __slots__ = ("_config", "_spans", "_weekdays", "_working", "day_length", "hours", "tz")

    def __init__(self, config: Calendar, tz: ZoneInfo) -> None:
        self.tz = tz
        self.hours = tuple((_wall(r.split("-")[0]), _wall(r.split("-")[1])) for r in config.hours)
        """Working hours of a working day as offsets from local midnight."""
        self.day_length = sum((end - start for start, end in self.hours), dt.timedelta())
        """Working time in a working day (wall clock)."""
        self._config = config
        self._weekdays = frozenset(_WEEKDAYS.index(day) for day in config.working_days)
        self._working: dict[dt.date, bool] = {}
        self._spans: dict[dt.date, tuple[Span, ...]] = {}

    def is_working_day(self, day: dt.date) -> bool:
        """Whether ``day`` has working hours: extra dates, then the year stated in config, then
        statutory ones, then weekdays."""
        found = self._working.get(day)
        if found is None:
            found = self._working[day] = self._decide(day)
        return found

    def knows(self, year: int) -> bool:
        """Whether holidays and 调休 of ``year`` are known (from config or the library), or
        not wanted (``holidays: none``); else its weekdays are only a guess."""
        config = self._config
        return year in config.years or config.holidays != "cn" or library_knows(year)

    def _decide(self, day: dt.date) -> bool:
        if day in self._config.extra_working_days:
            return True
        if day in self._config.extra_holidays:
            return False
        stated = self._config.years.get(day.year)
        if stated is not None:
            if day in stated.holidays:
                return False
            if day in stated.workdays:
                return True
            return day.weekday() in self._weekdays
        if self._config.holidays == "cn":
            fact = _statutory(day)
            if fact is not None:
                return fact
        return day.weekday() in self._weekdays

    def spans(self, day: dt.date) -> tuple[Span, ...]:
        """Working hours of ``day`` as UTC spans, in order; empty on a day off."""
        found = self._spans.get(day)
        if found is None:
            found = self._spans[day] = self._compute(day) if self.is_working_day(day) else ()
        return found

    def local(self, day: dt.date, wall: dt.timedelta) -> dt.datetime:
        """The instant ``wall`` after local midnight starting ``day``, in the calendar's zone."""
        naive = dt.datetime.combine(day, dt.time()) + wall
        return naive.replace(tzinfo=self.tz).astimezone(dt.UTC).astimezone(self.tz)

    def wall(self, at: dt.datetime, day: dt.date) -> dt.timedelta:
        """The wall-clock time of ``at`` as an offset from local midnight starting ``day``."""
        return at.astimezone(self.tz).replace(tzinfo=None) - dt.datetime.combine(day, dt.time())

    def forward(self, at: dt.datetime) -> Iterator[tuple[dt.date, dt.datetime, dt.datetime]]:
        """Working spans that end after ``at``, clipped to start no earlier, with their day."""
        at = at.astimezone(dt.UTC)
        day = at.astimezone(self.tz).date()
        idle = 0
        while True:
            spans = self.spans(day)
            idle = 0 if spans else idle + 1
            if idle > _MAX_DAYS_OFF:
                raise ValueError(f"the business calendar has no working time after {at}")
            for start, end in spans:
                if end > at:
                    yield day, max(start, at), end
            day += dt.timedelta(days=1)

    def backward(self, at: dt.datetime) -> Iterator[tuple[dt.date, dt.datetime, dt.datetime]]:
        """Working spans that start before ``at``, clipped to end no later, latest first."""
        at = at.astimezone(dt.UTC)
        day = at.astimezone(self.tz).date()
        idle = 0
        while True:
            spans = self.spans(day)
            idle = 0 if spans else idle + 1
            if idle > _MAX_DAYS_OFF:
                raise ValueError(f"the business calendar has no working time before {at}")
            for start, end in reversed(spans):
                if start < at:
                    yield day, start, min(end, at)
            day -= dt.timedelta(days=1)

    def working_day_after(self, day: dt.date, count: int) -> dt.date:
        """The ``count``-th working day after ``day`` (before it when ``count`` is negative)."""
        step = dt.timedelta(days=1 if count > 0 else -1)
        left, idle = abs(count), 0
        while left:
            day += step
            if self.is_working_day(day):
                left, idle = left - 1, 0
            else:
                idle += 1
                if idle > _MAX_DAYS_OFF:
                    raise ValueError(f"the business calendar has no working day near {day}")
        return day

    def _compute(self, day: dt.date) -> tuple[Span, ...]:
        return tuple(
            (self.local(day, start).astimezone(dt.UTC), self.local(day, end).astimezone(dt.UTC))
            for start, end in self.hours
        )
