"""Scalar types of the configuration language: labels, durations, offsets, names.

Each type accepts the short YAML form an administrator writes (``3wd``, ``25%``,
``消防安全``) and keeps a parsed value, so later code never re-parses strings.
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

LOCALES = ("zh", "en")

NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
_NAME_RE = re.compile(NAME_PATTERN)


def _name(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a name, got {show_value(value)}")
    if not _NAME_RE.match(value):
        raise ValueError(
            f"'{value}' is not a valid name; use lower-case letters, digits and '_', "
            "starting with a letter (e.g. 'grid_worker')"
        )
    return str(value)


Name = Annotated[
    str,
    BeforeValidator(_name),
    WithJsonSchema({"type": "string", "pattern": NAME_PATTERN}),
]
"""A key administrators choose (role, register, field, state…): ``snake_case``."""


def _code(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError(f"expected a code (text or number), got {show_value(value)}")
    text = str(value).strip()
    if not text:
        raise ValueError("a code may not be empty")
    return text


Code = Annotated[
    str,
    BeforeValidator(_code),
    WithJsonSchema({"type": ["string", "integer"]}),
]
"""A code users see and type (node codes, category codes, choice values)."""


@dataclass(frozen=True)
class Label:
    """Text shown to users, in Chinese and/or English."""

    zh: str | None = None
    en: str | None = None

    def text(self, locale: str = "zh") -> str:
        """Return the label in ``locale``, falling back to the other language."""
        primary = self.zh if locale == "zh" else self.en
        return primary or self.zh or self.en or ""

    def __str__(self) -> str:
        return self.text()


def _label(value: Any) -> Label:
    if isinstance(value, Label):
        return value
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return Label(zh=str(value), en=str(value))
    if isinstance(value, dict):
        unknown = [k for k in value if k not in LOCALES]
        if unknown:
            raise ValueError(
                f"unknown language '{unknown[0]}' in label; write {{zh: …, en: …}}, "
                "and put a text holding a comma in quotes"
            )
        texts = {k: value[k] for k in LOCALES if value.get(k) is not None}
        if not texts:
            raise ValueError("a label needs at least one of zh, en")
        for key, text in texts.items():
            if not isinstance(text, str):
                raise ValueError(f"label.{key} must be text, got {show_value(text)}")
        return Label(zh=texts.get("zh"), en=texts.get("en"))
    raise ValueError(f"expected a label (text or {{zh: …, en: …}}), got {show_value(value)}")


LabelType = Annotated[
    Label,
    BeforeValidator(_label),
    PlainSerializer(lambda v: {"zh": v.zh, "en": v.en}),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string"},
                {
                    "type": "object",
                    "properties": {"zh": {"type": "string"}, "en": {"type": "string"}},
                    "additionalProperties": False,
                },
            ],
            "description": "Text, or {zh: 中文, en: English}",
        }
    ),
]

def _regex(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a regular expression, got {show_value(value)}")
    try:
        re.compile(value)
    except re.error as err:
        raise ValueError(f"invalid regular expression: {err}") from None
    return value


Regex = Annotated[str, BeforeValidator(_regex), WithJsonSchema({"type": "string",
                                                                "format": "regex"})]
"""A regular expression, compiled once at load to catch mistakes."""

# --- durations ------------------------------------------------------------

UNITS: dict[str, tuple[str, bool]] = {
    # unit: (calendar meaning, counts working time)
    "s": ("seconds", False),
    "min": ("minutes", False),
    "h": ("hours", False),
    "d": ("days", False),
    "w": ("weeks", False),
    "wh": ("working hours", True),
    "wd": ("working days", True),
}
DURATION_PATTERN = r"^\d+(\.\d+)?\s*(s|min|h|d|w|wh|wd)$"
_DURATION_RE = re.compile(r"^(\d+(?:\.\d+)?)\s*(s|min|h|d|w|wh|wd)$")
_SECONDS = {"s": 1, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


@dataclass(frozen=True)
class Duration:
    """An amount of calendar time (``2d``, ``30min``) or working time (``3wd``, ``4wh``)."""

    amount: float
    unit: str

    @property
    def working(self) -> bool:
        """True when the duration counts only working time of the business calendar."""
        return UNITS[self.unit][1]

    def calendar_delta(self) -> timedelta:
        """The length of a calendar-time duration."""
        if self.working:
            raise ValueError(f"{self} counts working time; ask the business calendar")
        return timedelta(seconds=self.amount * _SECONDS[self.unit])

    def __str__(self) -> str:
        amount = int(self.amount) if self.amount == int(self.amount) else self.amount
        return f"{amount}{self.unit}"


def parse_duration(value: Any) -> Duration:
    """Parse ``3wd``/``2h``/``30min``; a bare ``0`` means no time at all."""
    if isinstance(value, Duration):
        return value
    if value == 0 and not isinstance(value, bool):
        return Duration(0, "min")
    if isinstance(value, str):
        match = _DURATION_RE.match(value.strip())
        if match:
            return Duration(float(match.group(1)), match.group(2))
    raise ValueError(
        f"{show_value(value)} is not a duration; write a number and a unit, e.g. "
        "'30min', '2h', '5d' (calendar time) or '4wh', '3wd' (working hours/days)"
    )


DurationType = Annotated[
    Duration,
    BeforeValidator(parse_duration),
    PlainSerializer(str),
    WithJsonSchema({"type": "string", "pattern": DURATION_PATTERN, "examples": ["3wd", "2h"]}),
]


@dataclass(frozen=True)
class Offset:
    """A point relative to a time limit: a duration, or a percentage of the limit."""

    duration: Duration | None = None
    percent: float | None = None

    def __str__(self) -> str:
        return str(self.duration) if self.duration else f"{self.percent:g}%"


OFFSET_PATTERN = r"^(\d+(\.\d+)?%|\d+(\.\d+)?\s*(s|min|h|d|w|wh|wd)|0)$"


def parse_offset(value: Any) -> Offset:
    """Parse ``25%`` or a duration."""
    if isinstance(value, Offset):
        return value
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            percent = float(value.strip()[:-1])
        except ValueError:
            percent = -1
        if percent >= 0:
            return Offset(percent=percent)
    try:
        return Offset(duration=parse_duration(value))
    except ValueError:
        raise ValueError(
            f"{show_value(value)} is neither a duration ('2h', '1wd') "
            "nor a share of the time limit ('25%', '150%')"
        ) from None


OffsetType = Annotated[
    Offset,
    BeforeValidator(parse_offset),
    PlainSerializer(str),
    WithJsonSchema({"type": ["string", "integer"], "pattern": OFFSET_PATTERN,
                    "examples": ["25%", "2h", "1wd"]}),
]


def show_value(value: Any) -> str:
    """How a config value is quoted in a message: 'text', 3, a list, a mapping."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return repr(value) if not isinstance(value, str) else f"'{value}'"


# --- moments relative to the clock ------------------------------------------

MOMENT_PATTERN = r"^(today|now)(\s*[+-]\s*\d+\s*(y|mo|w|d|h|min))?$"
_MOMENT_RE = re.compile(r"^(today|now)(?:\s*([+-])\s*(\d+)\s*(y|mo|w|d|h|min))?$")
_MOMENT_DELTA = {"w": "weeks", "d": "days", "h": "hours", "min": "minutes"}


@dataclass(frozen=True)
class Moment:
    """A bound that moves with the clock: ``today``/``now``, plus or minus an amount
    (``today - 120y``, ``now + 1d``), taken on the deployment's clock in its time zone."""

    base: str
    amount: int = 0
    unit: str = "d"

    def resolve(self, now: datetime) -> date | datetime:
        """The bound at ``now`` (an aware instant in the deployment's zone): a date for
        ``today…``, an instant for ``now…``."""
        if self.unit in ("y", "mo"):
            months = self.amount * (12 if self.unit == "y" else 1)
            moved = _add_months(now, months)
        else:
            moved = now + timedelta(**{_MOMENT_DELTA[self.unit]: self.amount})
        return moved.date() if self.base == "today" else moved

    def __str__(self) -> str:
        if not self.amount:
            return self.base
        sign = "-" if self.amount < 0 else "+"
        return f"{self.base} {sign} {abs(self.amount)}{self.unit}"


def _add_months(moment: datetime, months: int) -> datetime:
    """``moment`` that many months on; the 31st becomes the month's last day (29 Feb → 28)."""
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    last = monthrange(year, month + 1)[1]
    return moment.replace(year=year, month=month + 1, day=min(moment.day, last))


def parse_moment(value: Any) -> Moment:
    """Parse ``today``, ``now`` or either with ``+``/``-`` an amount of y, mo, w, d, h, min."""
    if isinstance(value, Moment):
        return value
    match = _MOMENT_RE.match(value.strip()) if isinstance(value, str) else None
    if not match:
        raise ValueError(
            f"{show_value(value)} is not a moment; write 'today' or 'now', optionally with "
            "an amount of y, mo, w, d, h or min, e.g. 'today - 120y' or 'now + 1d'")
    base, sign, amount, unit = match.groups()
    if base == "today" and unit in ("h", "min"):
        raise ValueError(f"'{value}': 'today' moves by y, mo, w or d; use 'now' for {unit}")
    count = int(amount or 0)
    return Moment(base, -count if sign == "-" else count, unit or "d")


MomentType = Annotated[
    Moment,
    BeforeValidator(parse_moment),
    PlainSerializer(str),
    WithJsonSchema({"type": "string", "pattern": MOMENT_PATTERN,
                    "examples": ["today", "today - 120y", "now + 1d"]}),
]
"""A bound relative to the clock, for date and datetime fields."""
