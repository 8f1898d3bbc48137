"""The built-in field types, registered through the same hook plugins use.

Each validator takes what a user typed (or a config default, or an imported cell) and
returns the clean value, or raises ValueError with a message fit to show next to the field.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

import phonenumbers
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumError

from ..config.types import Moment
from ..integers import parse_int
from ..plugins import FieldType, hookimpl

_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DECIMAL_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_PHONE_RE = re.compile(r"^\+?[\d\s()-]+$")
"""What a phone number may be typed with: digits, spaces, brackets, '-', a leading '+'.
Anything else is refused, not read: phonenumbers would turn letters into keypad digits."""
_TEXT_OPTIONS = frozenset({"min_length", "max_length", "pattern"})
_RANGE = frozenset({"min", "max"})


def _text(value: Any, spec: Any) -> str:
    text = str(value).strip()
    if spec.min_length is not None and len(text) < spec.min_length:
        raise ValueError(f"at least {spec.min_length} characters")
    if spec.max_length is not None and len(text) > spec.max_length:
        raise ValueError(f"at most {spec.max_length} characters")
    if spec.pattern and not re.fullmatch(spec.pattern, text):
        raise ValueError("not in the expected format")
    return text


def _in_range(value: Any, spec: Any) -> Any:
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


def _integer(value: Any, spec: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("a whole number is needed")
    number = parse_int(value if isinstance(value, int) else str(value))
    if number is None:
        raise ValueError("a whole number is needed")
    return int(_in_range(number, spec))


def _decimal(value: Any, spec: Any) -> Decimal:
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
    return Decimal(_in_range(number, spec))


def _boolean(value: Any, spec: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on", "是", "y"):
        return True
    if text in ("0", "false", "no", "off", "否", "n", ""):
        return False
    raise ValueError("yes or no is needed")


def _date(value: Any, spec: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise ValueError("a date like 2026-10-01 is needed") from None
    return _in_range(value, spec)  # type: ignore[no-any-return]


def _datetime(value: Any, spec: Any) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        try:
            value = dt.datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise ValueError("a date and time like 2026-10-01 09:30 is needed") from None
    low, high = _instant(spec.min, value, dt.time.min), _instant(spec.max, value, dt.time.max)
    if low is not None and _comparable(value, low) < low:
        raise ValueError(f"must not be before {_bound(low)}")
    if high is not None and _comparable(value, high) > high:
        raise ValueError(f"must not be after {_bound(high)}")
    return value


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


def _codes(spec: Any) -> list[str] | None:
    """The option codes of an inline choice list; None when it names a shared dictionary."""
    if isinstance(spec.choices, dict):
        return [str(c) for c in spec.choices]
    if isinstance(spec.choices, tuple):
        return [str(c) for c in spec.choices]
    return None


def _choice(value: Any, spec: Any) -> str:
    code = str(value).strip()
    codes = _codes(spec)
    if codes is not None and code not in codes:
        raise ValueError(f"'{code}' is not one of the options")
    return code


def _multichoice(value: Any, spec: Any) -> list[str]:
    items = value if isinstance(value, (list, tuple)) else str(value).replace("，", ",").split(",")
    return [_choice(item, spec) for item in items if str(item).strip()]


def _phone(value: Any, spec: Any) -> str:
    text = str(value).strip()
    if not _PHONE_RE.match(text) or not any(c.isdigit() for c in text):
        raise ValueError("only digits, spaces, brackets, '-' and a leading '+'")
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        raise ValueError("not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number")
    if number.country_code == 86:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL).replace(" ", "")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _email(value: Any, spec: Any) -> str:
    text = str(value).strip()
    if not _EMAIL_RE.match(text):
        raise ValueError("not an e-mail address")
    return text


def id_card_number(value: Any) -> str:
    """The compact ID-card number, or ValueError saying what is wrong with it."""
    try:
        return str(ric.validate(str(value)))
    except StdnumError as err:
        raise ValueError(f"not a valid ID-card number: {_stdnum_reason(err)}") from None
    except KeyError:
        # python-stdnum 2.2 fails looking up some area codes' names; the number itself
        # may be fine, so check what the standard defines: length, birth date, checksum.
        number = ric.compact(str(value))
        if len(number) != 18 or not number[:17].isdigit():
            raise ValueError("not a valid ID-card number: wrong format") from None
        try:
            ric.get_birth_date(number)
        except StdnumError as err:
            raise ValueError(f"not a valid ID-card number: {_stdnum_reason(err)}") from None
        if ric.calc_check_digit(number) != number[-1]:
            raise ValueError("not a valid ID-card number: checksum fails") from None
        return number


def _id_card(value: Any, spec: Any) -> str:
    return id_card_number(value)


def _credit_code(value: Any, spec: Any) -> str:
    try:
        return str(uscc.validate(str(value)))
    except StdnumError as err:
        raise ValueError(f"not a valid unified social credit code: {_stdnum_reason(err)}") from None


def _stdnum_reason(err: StdnumError) -> str:
    reasons = {"InvalidChecksum": "checksum fails", "InvalidLength": "wrong length",
               "InvalidFormat": "wrong format", "InvalidComponent": "a part of it is invalid"}
    return reasons.get(type(err).__name__, str(err))


def _geo_point(value: Any, spec: Any) -> tuple[float, float]:
    if isinstance(value, dict):
        pair = (value.get("lat"), value.get("lon"))
    elif isinstance(value, (list, tuple)):
        pair = tuple(value)  # type: ignore[assignment]
    else:
        pair = tuple(str(value).replace("，", ",").split(","))  # type: ignore[assignment]
        if len(pair) == 1 and 2 <= len(pair[0].split()) <= 4:
            # ODK's own form: "latitude longitude altitude accuracy".
            pair = tuple(pair[0].split()[:2])  # type: ignore[assignment]
    try:
        lat, lon = (float(x) for x in pair)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError("a point 'latitude, longitude' is needed") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError("latitude must lie within ±90 and longitude within ±180")
    return lat, lon


def _reference(value: Any, spec: Any) -> int:
    number = parse_int(value if isinstance(value, int) else str(value), lo=1)
    if number is None:
        raise ValueError("pick a record")
    return number


def _code(value: Any, spec: Any) -> str:
    text = str(value).strip()
    if not text:
        raise ValueError("a value is needed")
    return text


def _file(value: Any, spec: Any) -> Any:
    return value


BUILTIN_TYPES = (
    FieldType("text", _text, _TEXT_OPTIONS),
    FieldType("textarea", _text, _TEXT_OPTIONS),
    FieldType("integer", _integer, _RANGE),
    FieldType("decimal", _decimal, _RANGE | {"decimals"}),
    FieldType("boolean", _boolean),
    FieldType("date", _date, _RANGE),
    FieldType("datetime", _datetime, _RANGE),
    FieldType("choice", _choice, frozenset({"choices"}), frozenset({"choices"})),
    FieldType("multichoice", _multichoice, frozenset({"choices"}), frozenset({"choices"})),
    FieldType("phone", _phone),
    FieldType("email", _email),
    FieldType("id_card", _id_card),
    FieldType("credit_code", _credit_code),
    FieldType("geo_point", _geo_point),
    FieldType("photo", _file, frozenset({"multiple", "max_size"})),
    FieldType("file", _file, frozenset({"multiple", "max_size"})),
    FieldType("reference", _reference, frozenset({"register"}), frozenset({"register"})),
    FieldType("node", _code, frozenset({"level"})),
    FieldType("user", _code, frozenset({"role"})),
    FieldType("department", _code),
)


@hookimpl
def gridwork_field_types() -> tuple[FieldType, ...]:
    """Offer the built-in field types."""
    return BUILTIN_TYPES
