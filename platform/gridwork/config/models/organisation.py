"""Who and where: the deployment itself, its calendar, grid hierarchy, departments and roles."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import zoneinfo
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from ..types import Code, Duration, DurationType, LabelType, Name, Regex, parse_duration
from .base import WEEKDAYS, Model, OneOrMany, OrText, either

VERBS = ("view", "create", "edit", "delete", "export", "import",
         "supervise", "unmask", "assess", "admin", "switch")
"""What a role may be granted with ``can:``; record verbs may name a register (``create:event``)."""
RECORD_VERBS = VERBS[:6]


class Timers(Model):
    """How the embedded timer loop runs."""

    interval: DurationType = parse_duration("60s")
    """How often `gridwork serve` sweeps due timers (calendar time)."""


class Sessions(Model):
    """How long a signed-in browser stays signed in (calendar time)."""

    idle: DurationType = parse_duration("2h")
    """Signed out after this long without a request."""
    absolute: DurationType = parse_duration("12h")
    """Signed out this long after signing in, however busy."""

    @field_validator("idle", "absolute")
    @classmethod
    def _calendar_time(cls, value: Duration) -> Duration:
        if value.working or value.amount <= 0:
            raise ValueError(f"'{value}' must be a positive calendar time such as '2h' or "
                             "'30min'")
        return value


class DeploymentInfo(Model):
    """Name, title and locale of the deployment."""

    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]*$", examples=["community"])]
    """Short machine name, e.g. `community`; used for the default database file."""
    title: LabelType
    """What users see as the system's name."""
    timezone: str = "Asia/Shanghai"
    """IANA time zone of the deployment's clock and calendar."""
    locale: Literal["zh", "en"] = "zh"
    """Language of labels and the user interface."""
    timers: Timers = Timers()
    """How the embedded timer loop runs."""
    data_dir: str = "data"
    """Folder (relative to the deployment) for the SQLite file and uploads."""
    sessions: Sessions = Sessions()
    """When a signed-in browser must sign in again."""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone '{value}'; write an IANA name such as 'Asia/Shanghai'"
            ) from None
        return value

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """The time zone itself; `zoneinfo` keeps one instance per name."""
        return zoneinfo.ZoneInfo(self.timezone)


_HOURS_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


def _hours(value: Any) -> str:
    text = str(value).strip()
    if not _HOURS_RE.match(text):
        raise ValueError(f"'{text}' is not a range of hours; write e.g. '08:30-12:00'")
    start, end = text.split("-")
    if start >= end:
        raise ValueError(f"'{text}' ends before it starts")
    return text


HoursRange = Annotated[str, BeforeValidator(_hours)]


def _weekdays(value: Any) -> Any:
    """Expand ``mon-fri`` to the list of days it names."""
    if isinstance(value, str) and "-" in value:
        first, _, last = value.partition("-")
        if first in WEEKDAYS and last in WEEKDAYS:
            start, end = WEEKDAYS.index(first), WEEKDAYS.index(last)
            if start <= end:
                return WEEKDAYS[start:end + 1]
    return _one_or_many_days(value)


def _one_or_many_days(value: Any) -> Any:
    return (value,) if isinstance(value, str) else value


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class HolidayYear(Model):
    """One year's statutory holidays and adjusted working days (调休), as the State Council
    publishes them each autumn; stated here for a year the holiday library does not know."""

    holidays: tuple[dt.date, ...] = ()
    """Days off, e.g. `2027-01-01`."""
    workdays: tuple[dt.date, ...] = ()
    """Weekend days that are working days (调休)."""


class Calendar(Model):
    """The business calendar that working-time limits (`wd`, `wh`) count on."""

    working_days: Annotated[tuple[Weekday, ...], BeforeValidator(_weekdays), OrText()] = WEEKDAYS[:5]
    """Days of the week that are working days: a list, or a range like `mon-fri`."""
    hours: OneOrMany[HoursRange] = ("08:30-12:00", "13:30-17:30")
    """Working hours of a working day, as `HH:MM-HH:MM` ranges in order."""
    holidays: Literal["cn", "none"] = "cn"
    """`cn`: Chinese statutory holidays and adjusted working days (调休); `none`: ignore them."""
    extra_holidays: tuple[dt.date, ...] = ()
    """Further days off, e.g. a local festival."""
    extra_working_days: tuple[dt.date, ...] = ()
    """Further working days on what would be a day off."""
    years: dict[int, HolidayYear] = Field(default_factory=dict, examples=[
        {2027: {"holidays": ["2027-01-01"], "workdays": []}}])
    """Holidays and 调休 working days by year; a year listed here replaces the `cn` data
    for that year (the library knows 2004–2026). Weekdays not listed follow
    `working_days`. The `calendar:` section may live in an included file of its own."""

    @field_validator("years")
    @classmethod
    def _in_their_year(cls, value: dict[int, HolidayYear]) -> dict[int, HolidayYear]:
        for year, days in value.items():
            for day in (*days.holidays, *days.workdays):
                if day.year != year:
                    raise ValueError(f"{day} is listed under {year}; list it under {day.year}")
            both = set(days.holidays) & set(days.workdays)
            if both:
                raise ValueError(f"{min(both)} is both a holiday and a working day in {year}")
        return value

    @field_validator("hours")
    @classmethod
    def _in_order(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for earlier, later in itertools.pairwise(value):
            if later.split("-")[0] < earlier.split("-")[1]:
                raise ValueError(f"'{later}' overlaps or precedes '{earlier}'; list the "
                                 "ranges of a day in order")
        return value


class Level(Model):
    """One level of the grid hierarchy, from the top down."""

    key: Name
    """Key other parts of the config refer to, e.g. `grid`."""
    label: LabelType
    """The level's name, e.g. 网格."""
    code: Regex | None = None
    """Regular expression every node code at this level must match, e.g. `^\\d{9}$`."""
    under: OneOrMany[Name] = ()
    """The levels a node of this level may sit under, each listed above it, e.g.
    `[county, city, province]` for cells kept by a county or directly by a city (a ragged
    tree); default: the level right above. The top level takes none."""


class NodeSpec(Model):
    """A grid node written inline in the config (large trees go in a CSV file)."""

    code: Code
    """Unique code of the node."""
    name: str
    """The node's name."""
    level: Name
    """The level key it sits at."""
    parent: Code | None = None
    """The parent node's code; none for a top node."""


class Hierarchy(Model):
    """The tree of territory (块): its levels and its nodes."""

    levels: Annotated[tuple[Level, ...], Field(min_length=1)]
    """Levels from the root down, e.g. district, street, community, grid."""
    nodes: either(text=str, list=tuple[NodeSpec, ...])  # type: ignore[valid-type]
    """A CSV file (columns code, name, parent, level) relative to the deployment, or a list."""
    boundaries: str | None = None
    """Optional GeoJSON FeatureCollection whose features carry `properties.code`."""

    def level_index(self, key: str) -> int | None:
        """Rank of the level named ``key`` in the list (0 = root), or None when unknown."""
        for index, level in enumerate(self.levels):
            if level.key == key:
                return index
        return None

    def parent_levels(self, key: str) -> tuple[str, ...]:
        """The levels a node of level ``key`` may sit under (none for the top level)."""
        index = self.level_index(key)
        if not index:
            return ()
        level = self.levels[index]
        return level.under or (self.levels[index - 1].key,)

    def below(self, key: str) -> tuple[str, ...]:
        """``key`` and every level whose nodes may sit in the subtree of a ``key`` node."""
        found = [key]
        for level in self.levels:
            if level.key not in found and set(self.parent_levels(level.key)) & set(found):
                found.append(level.key)
        return tuple(found)


class Department(Model):
    """A functional department (条) that handles events of its categories."""

    code: Code
    """Short code other keys refer to, e.g. `ajj`."""
    name: LabelType
    """The department's name."""
    level: Name
    """The hierarchy level the department sits at."""
    node: Code | None = None
    """The node it serves, when several nodes share its level."""


class Role(Model):
    """What a kind of user is, where they sit, what they see and what they may do."""

    label: LabelType
    """The role's name as users see it."""
    at: OneOrMany[Name] = ()
    """The hierarchy level users of this role sit at (territorial roles), or a list of
    levels, e.g. `[province, city, county]`: each user is granted the role at a node of
    one of them and sees that node's records (by `scope`)."""
    department: Code | None = None
    """A department code, or `*` for staff of any department (departmental roles)."""
    scope: Literal["node", "subtree"] = "subtree"
    """Which records a user sees: those of their own node, or of its whole subtree."""
    can: OneOrMany[str] = ()
    """Granted verbs, each alone or for one register: `view`, `create:event`, `supervise`."""
    min_per_node: Annotated[int, Field(ge=1)] | None = None
    """Fewest active users each node of its level (each department, for a departmental
    role) should have, e.g. 1 for 每格至少一名责任人; nodes short are listed after
    `gridwork users import` and `seed`, by `gridwork users staffing` and on `/staffing`."""
    max_per_node: Annotated[int, Field(ge=1)] | None = None
    """Most active users a node (department) may have: an import that would exceed it is
    refused."""

    @model_validator(mode="after")
    def _placed(self) -> Role:
        if bool(self.at) == (self.department is not None):
            raise ValueError("a role needs exactly one of 'at' (a level) or 'department'")
        if (self.min_per_node is not None and self.max_per_node is not None
                and self.max_per_node < self.min_per_node):
            raise ValueError("'max_per_node' is smaller than 'min_per_node'")
        return self
