"""The business calendar: deadlines in working or calendar time, on the deployment's clock.

Rules (all instants are timezone-aware; results are in the deployment's zone):

- ``s``, ``min``, ``h`` are elapsed time; ``d``, ``w`` are calendar days on the local wall
  clock (the same clock time N days later). Calendar time ignores working days entirely.
- ``wh`` counts only time inside working hours on working days. Counting starts at the next
  working moment and stops the instant the amount is used up, so a limit that runs out at
  a closing time is due at that closing time (4wh from 13:30 is 17:30 the same day).
- ``wd`` keeps the clock: a report at 16:00 with ``1wd`` is due at 16:00 on the next working
  day, holidays skipped and adjusted working days (调休) counted. A report outside working
  hours counts from the next working moment (a lunch-time report from 13:30). A deadline
  never falls on a day's opening: that instant is written as the close of the working day
  before, so a report at 08:00, or at 20:00 the evening before, with ``1wd`` is due at that
  working day's close. A fraction (``1.5wd``) adds that share of a working day's hours as
  working time.
- ``before`` mirrors ``add``: ``wh`` counts backwards and stops at an opening rather than at
  the close before it; ``wd`` keeps the clock of the last working moment at or before the
  deadline, and a result at a day's close is written as the next working day's opening.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from ..config.models import Calendar
from ..config.types import Duration
from .days import WorkingDays

_WALL_UNITS = ("d", "w")


def _aware(at: dt.datetime) -> dt.datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{at} has no time zone; the business calendar needs aware datetimes")
    return at


class BusinessCalendar:
    """Working days, working hours and the time arithmetic on them."""

    __slots__ = ("_days",)

    def __init__(self, days: WorkingDays) -> None:
        self._days = days

    @classmethod
    def from_config(cls, config: Calendar, tz: str | ZoneInfo) -> BusinessCalendar:
        """Build the calendar a deployment's ``calendar:`` section describes, in zone ``tz``."""
        return cls(WorkingDays(config, tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)))

    @property
    def tz(self) -> ZoneInfo:
        """The deployment's time zone."""
        return self._days.tz

    @property
    def day_length(self) -> dt.timedelta:
        """The working time in one working day."""
        return self._days.day_length

    def is_working_day(self, day: dt.date) -> bool:
        """Whether ``day`` is a working day (holidays, 调休 and extra dates applied)."""
        return self._days.is_working_day(day)

    def unknown_years(self, start: dt.datetime, end: dt.datetime) -> tuple[int, ...]:
        """Years from ``start`` to ``end`` (local) whose holidays are not known: working time
        counted in them treats every working weekday as a working day."""
        first, last = sorted((_aware(start).astimezone(self.tz).year,
                              _aware(end).astimezone(self.tz).year))
        return tuple(year for year in range(first, last + 1) if not self._days.knows(year))

    def is_working_time(self, at: dt.datetime) -> bool:
        """Whether ``at`` falls inside working hours of a working day."""
        day = _aware(at).astimezone(self.tz).date()
        return any(start <= at < end for start, end in self._days.spans(day))

    def add(self, start: dt.datetime, duration: Duration) -> dt.datetime:
        """The instant ``duration`` after ``start``, in the duration's own clock."""
        _aware(start)
        if duration.amount == 0:
            return start.astimezone(self.tz)
        if duration.unit == "wh":
            return self._advance(start, dt.timedelta(hours=duration.amount))
        if duration.unit == "wd":
            return self._add_days(start, duration.amount)
        return self._calendar(start, duration, 1)

    def before(self, deadline: dt.datetime, duration: Duration) -> dt.datetime:
        """The instant ``duration`` before ``deadline``, in the duration's own clock."""
        _aware(deadline)
        if duration.amount == 0:
            return deadline.astimezone(self.tz)
        if duration.unit == "wh":
            return self._retreat(deadline, dt.timedelta(hours=duration.amount))
        if duration.unit == "wd":
            return self._before_days(deadline, duration.amount)
        return self._calendar(deadline, duration, -1)

    def shift(self, at: dt.datetime, seconds: float, *, working: bool) -> dt.datetime:
        """Move ``at`` by ``seconds`` (negative: back) of working or calendar time."""
        _aware(at)
        if seconds == 0:
            return at.astimezone(self.tz)
        if not working:
            return (at.astimezone(dt.UTC) + dt.timedelta(seconds=seconds)).astimezone(self.tz)
        amount = dt.timedelta(seconds=abs(seconds))
        return self._advance(at, amount) if seconds > 0 else self._retreat(at, amount)

    def length(self, duration: Duration) -> float:
        """Seconds of ``duration`` in its own clock (a working day is its working hours)."""
        if duration.unit == "wh":
            return duration.amount * 3600
        if duration.unit == "wd":
            return duration.amount * self.day_length.total_seconds()
        return duration.calendar_delta().total_seconds()

    def working_time_between(self, a: dt.datetime, b: dt.datetime) -> float:
        """Seconds of working time from ``a`` to ``b`` (negative when ``b`` is earlier)."""
        _aware(a), _aware(b)
        if b < a:
            return -self.working_time_between(b, a)
        total = dt.timedelta()
        for _, start, end in self._days.forward(a):
            if start >= b:
                break
            total += min(end, b) - start
        return total.total_seconds()

    def working_spans(self, first: dt.date, last: dt.date) -> list[tuple[dt.datetime,
                                                                           dt.datetime]]:
        """Working hours of the local dates ``first``..``last`` as UTC spans, in order: what
        a query needs to count working time in SQL."""
        found: list[tuple[dt.datetime, dt.datetime]] = []
        day = first
        while day <= last:
            found.extend(self._days.spans(day))
            day += dt.timedelta(days=1)
        return found

    def elapsed(self, a: dt.datetime, b: dt.datetime, *, working: bool) -> float:
        """Seconds from ``a`` to ``b`` in working or calendar time."""
        if working:
            return self.working_time_between(a, b)
        return (_aware(b) - _aware(a)).total_seconds()

    def resume(self, deadline: dt.datetime, paused_at: dt.datetime, resumed_at: dt.datetime,
               *, working: bool) -> dt.datetime:
        """Move ``deadline`` on by the time (working or calendar) that passed while paused."""
        pause = self.elapsed(paused_at, resumed_at, working=working)
        return self.shift(deadline, max(pause, 0.0), working=working)

    def _calendar(self, at: dt.datetime, duration: Duration, sign: int) -> dt.datetime:
        delta = duration.calendar_delta() * sign
        if duration.unit not in _WALL_UNITS:
            return (at.astimezone(dt.UTC) + delta).astimezone(self.tz)
        day = at.astimezone(self.tz).date()
        return self._days.local(day, self._days.wall(at, day) + delta)

    def _advance(self, start: dt.datetime, amount: dt.timedelta) -> dt.datetime:
        spans = self._days.forward(start)
        while True:
            _, begin, end = next(spans)
            if amount <= end - begin:
                return (begin + amount).astimezone(self.tz)
            amount -= end - begin

    def _retreat(self, deadline: dt.datetime, amount: dt.timedelta) -> dt.datetime:
        spans = self._days.backward(deadline)
        while True:
            _, begin, end = next(spans)
            if amount <= end - begin:
                return (end - amount).astimezone(self.tz)
            amount -= end - begin

    def _add_days(self, start: dt.datetime, amount: float) -> dt.datetime:
        days = self._days
        whole = int(amount)
        if whole == 0:
            return self._advance(start, days.day_length * amount)
        day, moment, _ = next(days.forward(start))
        wall = days.wall(moment, day)
        target = days.working_day_after(day, whole)
        due = days.local(target, wall)
        if wall == days.hours[0][0]:
            due = days.local(days.working_day_after(target, -1), days.hours[-1][1])
        fraction = amount - whole
        return self._advance(due, days.day_length * fraction) if fraction else due

    def _before_days(self, deadline: dt.datetime, amount: float) -> dt.datetime:
        days = self._days
        whole = int(amount)
        if whole == 0:
            return self._retreat(deadline, days.day_length * amount)
        day, _, moment = next(days.backward(deadline))
        wall = days.wall(moment, day)
        target = days.working_day_after(day, -whole)
        due = days.local(target, wall)
        if wall == days.hours[-1][1]:
            due = days.local(days.working_day_after(target, 1), days.hours[0][0])
        fraction = amount - whole
        return self._retreat(due, days.day_length * fraction) if fraction else due
