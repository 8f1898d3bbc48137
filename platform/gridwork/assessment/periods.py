"""Assessment periods on the deployment's clock: a month, quarter, half year or year,
named as `2026-11`, `2026-Q4`, `2026-H2` or `2026`."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

KINDS = ("month", "quarter", "half_year", "year")
"""Period kinds, shortest first."""
_MONTHS = {"month": 1, "quarter": 3, "half_year": 6, "year": 12}
_NAME = re.compile(r"^(\d{4})(?:-(?:(\d{1,2})|Q([1-4])|H([12])))?$")


class PeriodError(ValueError):
    """A period name that does not parse, or a kind the deployment does not assess."""


@dataclass(frozen=True, order=True)
class Period:
    """A span of whole months, [start, end) in the deployment's time zone."""

    kind: str
    year: int
    index: int
    """1-based: the month, quarter or half within the year (1 for a year)."""
    zone: ZoneInfo

    @property
    def key(self) -> str:
        """The period's name, as the command and the page take it."""
        suffix = {"month": f"-{self.index:02d}", "quarter": f"-Q{self.index}",
                  "half_year": f"-H{self.index}", "year": ""}[self.kind]
        return f"{self.year}{suffix}"

    @property
    def first_month(self) -> int:
        return (self.index - 1) * _MONTHS[self.kind] + 1

    @property
    def start(self) -> dt.datetime:
        """The period's first instant, aware, on the deployment's clock."""
        return dt.datetime(self.year, self.first_month, 1, tzinfo=self.zone)

    @property
    def end(self) -> dt.datetime:
        """The first instant after the period."""
        month = self.first_month + _MONTHS[self.kind]
        year = self.year + (month - 1) // 12
        return dt.datetime(year, (month - 1) % 12 + 1, 1, tzinfo=self.zone)

    def previous(self) -> Period:
        """The period of the same kind just before."""
        if self.index > 1:
            return Period(self.kind, self.year, self.index - 1, self.zone)
        return Period(self.kind, self.year - 1, 12 // _MONTHS[self.kind], self.zone)

    def next(self) -> Period:
        """The period of the same kind just after."""
        if self.index < 12 // _MONTHS[self.kind]:
            return Period(self.kind, self.year, self.index + 1, self.zone)
        return Period(self.kind, self.year + 1, 1, self.zone)

    def __str__(self) -> str:
        return self.key


def parse_period(text: str, zone: ZoneInfo) -> Period:
    """The period ``text`` names; PeriodError says what to write instead."""
    match = _NAME.match(text.strip())
    if match is None:
        raise PeriodError(f"'{text}' is not a period; write a month (2026-11), a quarter "
                          "(2026-Q4), a half year (2026-H2) or a year (2026)")
    year, month, quarter, half = match.groups()
    if month is not None:
        if not 1 <= int(month) <= 12:
            raise PeriodError(f"'{text}': there is no month {int(month)}; months run 01–12")
        return Period("month", int(year), int(month), zone)
    if quarter is not None:
        return Period("quarter", int(year), int(quarter), zone)
    if half is not None:
        return Period("half_year", int(year), int(half), zone)
    return Period("year", int(year), 1, zone)


def period_of(kind: str, moment: dt.datetime, zone: ZoneInfo) -> Period:
    """The period of ``kind`` that holds ``moment``."""
    local = moment.astimezone(zone)
    return Period(kind, local.year, (local.month - 1) // _MONTHS[kind] + 1, zone)


def within(outer: Period, inner_kind: str) -> list[Period]:
    """The periods of ``inner_kind`` that make up ``outer`` (e.g. a year's quarters)."""
    first = period_of(inner_kind, outer.start, outer.zone)
    found = []
    current = first
    while current.start < outer.end:
        found.append(current)
        current = current.next()
    return found
