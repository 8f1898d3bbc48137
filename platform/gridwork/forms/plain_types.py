"""Built-in field types for plain values: text, numbers, yes/no, dates and times."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from ..config.types import Moment
from ..integers import parse_int
from .fieldtype import Demo, FieldType, Names, Sheet
from .pattern_example import pattern_example

if TYPE_CHECKING:
    from sqlalchemy.types import TypeEngine

    from ..config.models import FieldSpec

_DECIMAL_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_TEXT_OPTIONS = frozenset({"min_length", "max_length", "pattern"})
_RANGE = frozenset({"min", "max"})


class TextType(FieldType):
    """One line of text."""

    name = "text"
    options = _TEXT_OPTIONS
    python_type = str
    searched = True
    sortable = True
    listed = True
    placed = True

    def column_type(self, spec: FieldSpec) -> TypeEngine[Any]:
        from sqlalchemy import String, Text

        return String(spec.max_length) if spec.max_length else Text()

    def validate(self, value: Any, spec: FieldSpec) -> str:
        text = str(value).strip()
        if spec.min_length is not None and len(text) < spec.min_length:
            raise ValueError(f"at least {spec.min_length} characters")
        if spec.max_length is not None and len(text) > spec.max_length:
            raise ValueError(f"at most {spec.max_length} characters")
        if spec.pattern and not re.fullmatch(spec.pattern, text):
            example = pattern_example(spec.pattern)
            if example is None:
                raise ValueError(f"not in the expected format: it must match {spec.pattern}")
            raise ValueError(f"not in the expected format, e.g. {example}")
        return text

    def demo_value(self, spec: FieldSpec, node: str, demo: Demo) -> str:
        limit = spec.max_length or 60
        name = spec.name.lower()
        if "address" in name or "addr" in name:
            text = demo.address(node)
        elif name == "name" or name.endswith("_name") or name == "title":
            text = demo.fake.company() if demo.random.random() < 0.6 else demo.fake.name()
        else:
            text = demo.fake.sentence()
        return text[:limit]


class TextareaType(TextType):
    """Several lines of text."""

    name = "textarea"
    widget = "textarea"
    sortable = False
    listed = False
    placed = False

    def demo_value(self, spec: FieldSpec, node: str, demo: Demo) -> str:
        return str(demo.fake.paragraph())[:spec.max_length or 500]


class _Ranged(FieldType):
    """A type whose values a field may bound with ``min`` and ``max``."""

    options = _RANGE
    sortable = True
    listed = True

    def checks(self, spec: FieldSpec, choices: Mapping[str, Mapping[str, Any]]) -> list[str]:
        from ..storage.columns import sql_literal

        # A bound that moves with the clock (`today`) is the form's to check, not a
        # constraint: yesterday's valid row must stay valid.
        return [f'"{spec.name}" {op} {sql_literal(bound)}'
                for bound, op in ((spec.min, ">="), (spec.max, "<="))
                if bound is not None and not isinstance(bound, Moment)]


class IntegerType(_Ranged):
    """A whole number."""

    name = "integer"
    python_type = int
    widget = "number"
    numeric = True

    def column_type(self, spec: FieldSpec) -> TypeEngine[Any]:
        from sqlalchemy import Integer

        return Integer()

    def validate(self, value: Any, spec: FieldSpec) -> int:
        if isinstance(value, bool):
            raise ValueError("a whole number is needed")
        number = parse_int(value if isinstance(value, int) else str(value))
        if number is None:
            raise ValueError("a whole number is needed")
        return int(in_range(number, spec))

    def demo_value(self, spec: FieldSpec, node: str, demo: Demo) -> int:
        low = int(spec.min) if isinstance(spec.min, (int, float)) else 0
        high = int(spec.max) if isinstance(spec.max, (int, float)) else max(low, 0) + 100
        return demo.random.randint(low, high)


class DecimalType(_Ranged):
    """A number kept exactly, with at most ``decimals`` digits after the point."""

    name = "decimal"
    options = _RANGE | {"decimals"}
    python_type = Decimal
    widget = "decimal"
    numeric = True

    def column_type(self, spec: FieldSpec) -> TypeEngine[Any]:
        from ..storage.types import ExactDecimal

        return ExactDecimal(18, spec.decimals) if spec.decimals is not None else ExactDecimal()

    def validate(self, value: Any, spec: FieldSpec) -> Decimal:
        text = str(value).strip()
        if isinstance(value, bool) or not _DECIMAL_RE.match(text):
            raise ValueError("a number is needed")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError("a number is needed") from None
        # More digits than the field keeps are refused, not rounded away unseen.
        try:
            rounded = round(number, spec.decimals) if spec.decimals is not None else number
        except InvalidOperation:  # more digits than any column keeps
            raise ValueError("the number is too large") from None
        if rounded != number:
            raise ValueError(f"at most {spec.decimals} digits after the point")
        return Decimal(in_range(number, spec))

    def demo_value(self, spec: FieldSpec, node: str, demo: Demo) -> Decimal:
        number = IntegerType().demo_value(spec, node, demo) + Decimal(
            demo.random.randint(0, 99)) / 100
        return round(number, spec.decimals if spec.decimals is not None else 2)


class BooleanType(FieldType):
    """Yes or no; a box left unticked is no."""

    name = "boolean"
    python_type = bool
    widget = "boolean"
    sortable = True
    listed = True
    blank = False

    def column_type(self, spec: FieldSpec) -> TypeEngine[Any]:
        from sqlalchemy import Boolean

        return Boolean()

    def validate(self, value: Any, spec: FieldSpec) -> bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on", "是", "y"):
            return True
        if text in ("0", "false", "no", "off", "否", "n", ""):
            return False
        raise ValueError("yes or no is needed")

    def display(self, spec: FieldSpec, value: Any, names: Names) -> str:
        return names.t("Yes") if value else names.t("No")

    def demo_value(self, spec: FieldSpec, node: str, demo: Demo) -> bool:
        return demo.random.random() < 0.5


class DateType(_Ranged):
    """A day."""

    name = "date"
    python_type = dt.date
    widget = "date"
    indexed = True

    def column_type(self, spec: FieldSpec) -> TypeEngine[Any]:
        from sqlalchemy import Date

        return Date()

    def validate(self, value: Any, spec: FieldSpec) -> dt.date:
        if isinstance(value, dt.datetime):
            value = value.date()
        if not isinstance(value, dt.date):
            try:
                value = dt.date.fromisoformat(str(value).strip())
            except ValueError:
                raise ValueError("a date like 2026-10-01 is needed") from None
        return in_range(value, spec)  # type: ignore[no-any-return]

    def moment(self, bound: Moment, now: dt.datetime) -> Any:
        moment = bound.resolve(now)
        return moment.date() if isinstance(moment, dt.datetime) else moment

    def demo_value(self, spec: FieldSpec, node: str, demo: Demo) -> dt.date:
        low = spec.min if isinstance(spec.min, dt.date) else demo.now.date() - dt.timedelta(1000)
        high = spec.max if isinstance(spec.max, dt.date) else demo.now.date()
        return low + dt.timedelta(days=demo.random.randint(0, max((high - low).days, 0)))


class DateTimeType(FieldType):
    """An instant; one typed without a zone is the deployment's local time."""

    name = "datetime"
    options = _RANGE
    python_type = dt.datetime
    widget = "datetime"
    indexed = True
    sortable = True
    listed = True

    def column_type(self, spec: FieldSpec) -> TypeEngine[Any]:
        from ..storage.types import UTCDateTime

        return UTCDateTime()

    def validate(self, value: Any, spec: FieldSpec) -> dt.datetime:
        if not isinstance(value, dt.datetime):
            try:
                value = dt.datetime.fromisoformat(str(value).strip())
            except ValueError:
                raise ValueError("a date and time like 2026-10-01 09:30 is needed") from None
        low = _instant(spec.min, value, dt.time.min)
        high = _instant(spec.max, value, dt.time.max)
        if low is not None and _comparable(value, low) < low:
            raise ValueError(f"must not be before {_bound(low)}")
        if high is not None and _comparable(value, high) > high:
            raise ValueError(f"must not be after {_bound(high)}")
        return value

    def form_state(self, spec: FieldSpec, value: Any, names: Names) -> dict[str, Any]:
        return {spec.name: value.astimezone(names.timezone).strftime("%Y-%m-%dT%H:%M")}

    def display(self, spec: FieldSpec, value: Any, names: Names) -> str:
        if isinstance(value, str):  # as a history row's JSON keeps it
            value = dt.datetime.fromisoformat(value)
        return str(value.astimezone(names.timezone).strftime("%Y-%m-%d %H:%M"))

    def import_cell(self, spec: FieldSpec, cell: Any, sheet: Sheet) -> Any:
        if isinstance(cell, dt.datetime) and cell.tzinfo is None:
            cell = cell.replace(tzinfo=sheet.timezone)
        value = self.validate(cell, spec)
        return value.replace(tzinfo=sheet.timezone) if value.tzinfo is None else value

    def demo_value(self, spec: FieldSpec, node: str, demo: Demo) -> dt.datetime:
        return demo.moment()


def in_range(value: Any, spec: FieldSpec) -> Any:
    """``value`` unless it lies outside the field's min/max. A bound that moves with the
    clock (``today``) is settled by the form before this runs; unsettled, it is skipped."""
    low, high = _settled(spec.min), _settled(spec.max)
    if isinstance(value, dt.date):
        if low is not None and value < low:
            raise ValueError(f"must not be before {_bound(low)}")
        if high is not None and value > high:
            raise ValueError(f"must not be after {_bound(high)}")
        return value
    if low is not None and value < low:
        raise ValueError(f"must be at least {_bound(low)}")
    if high is not None and value > high:
        raise ValueError(f"must be at most {_bound(high)}")
    return value


def _settled(bound: Any) -> Any:
    return None if isinstance(bound, Moment) else bound


def _bound(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return f"{value:g}" if isinstance(value, float) else str(value)


def _instant(bound: Any, like: dt.datetime, time: dt.time) -> dt.datetime | None:
    """A datetime field's bound as an instant: a date bound starts (min) or ends (max)
    its day."""
    bound = _settled(bound)
    if bound is None or isinstance(bound, dt.datetime):
        return bound
    if isinstance(bound, dt.date):
        return dt.datetime.combine(bound, time, like.tzinfo)
    return None


def _comparable(value: dt.datetime, bound: dt.datetime) -> dt.datetime:
    """A value without a zone is the deployment's local time, as its bounds are."""
    if (value.tzinfo is None) == (bound.tzinfo is None):
        return value
    if value.tzinfo is None:
        return value.replace(tzinfo=bound.tzinfo)
    return value.replace(tzinfo=None)
