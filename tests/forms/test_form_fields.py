"""Each field type through the form model: what a user types, what is kept, what they are told."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from form_support import CREDIT_CODE, ID_CARD

from gridwork.config import Deployment
from gridwork.forms.models import validate_record


def _one(deployment: Deployment, field: str, value: Any) -> tuple[Any, list[str] | None]:
    """Validate a `sample` record holding ``value`` in ``field``: its clean value or errors."""
    clean, errors = validate_record(deployment, "sample", {"title": "ok", field: value})
    assert set(errors) <= {field}
    return (None, errors[field]) if errors else (clean[field] if clean else None, None)


@pytest.mark.parametrize(("field", "typed", "kept"), [
    ("title", "  门前三包  ", "门前三包"),
    ("code", "AB123", "AB123"),
    ("notes", "第一行\n第二行", "第一行\n第二行"),
    ("count", " 42 ", 42),
    ("count", 7, 7),
    ("amount", "3.14", Decimal("3.14")),
    ("amount", "0.5", Decimal("0.5")),
    ("active", "0", False),
    ("flagged", "off", False),
    ("due", "2026-10-01", dt.date(2026, 10, 1)),
    ("seen_at", "2026-10-01T09:30",
     dt.datetime(2026, 10, 1, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))),
    ("seen_at", "2026-10-01 09:30+00:00", dt.datetime(2026, 10, 1, 9, 30, tzinfo=dt.UTC)),
    ("grade", "high", "high"),
    ("size", "M", "M"),
    ("colour", "blue", "blue"),
    ("tags", ["new", "odd"], ["new", "odd"]),
    ("tags", "new,old", ["new", "old"]),
    ("phone", "138 0013 8000", "13800138000"),
    ("phone", "010-65529988", "01065529988"),
    ("email", " wang@example.cn ", "wang@example.cn"),
    ("id_card", ID_CARD.lower(), ID_CARD),
    ("credit_code", CREDIT_CODE, CREDIT_CODE),
    ("location", "30.27,120.15", (30.27, 120.15)),
    ("location", "30.27，120.15", (30.27, 120.15)),
    ("location", [30.27, 120.15], (30.27, 120.15)),
    ("location", {"lat": "30.27", "lon": "120.15"}, (30.27, 120.15)),
    ("photos", ["a.jpg", "b.jpg"], ["a.jpg", "b.jpg"]),
    ("attachment", "report.pdf", "report.pdf"),
    ("parent", "7", 7),
    ("grid", "S1G1", "S1G1"),
    ("owner", "worker", "worker"),
])
def test_a_good_value_is_kept_clean(every_type: Deployment, field: str, typed: Any,
                                    kept: Any) -> None:
    assert _one(every_type, field, typed) == (kept, None)


@pytest.mark.parametrize(("field", "typed", "message"), [
    ("title", "x", "at least 2 characters"),
    ("title", "十一个字的标题还要再长些", "at most 10 characters"),
    ("title", ["a", "b"], "a single value is needed"),
    ("code", "ab12", "not in the expected format, e.g. AA123"),
    ("count", "4.5", "a whole number is needed"),
    ("count", {"value": 4}, "a single value is needed"),
    ("amount", "12,5", "a number is needed"),
    ("amount", "3.14159", "at most 2 digits after the point"),
    ("amount", "1_000", "a number is needed"),
    ("count", "1_000", "a whole number is needed"),
    ("active", "maybe", "yes or no is needed"),
    ("due", "31/12/2026", "a date like 2026-10-01 is needed"),
    ("due", "2019-12-31", "must not be before 2020-01-01"),
    ("seen_at", "tomorrow", "a date and time like 2026-10-01 09:30 is needed"),
    ("grade", "medium", "'medium' is not one of the options"),
    ("size", "XL", "'XL' is not one of the options"),
    ("colour", "红", "'红' is not one of the options"),
    ("tags", ["new", "bad"], "'bad' is not one of the options"),
    ("phone", "12345", "not a valid phone number"),
    ("phone", "call me", "only digits, spaces, brackets, '-' and a leading '+'"),
    ("phone", "1381234abcd", "only digits, spaces, brackets, '-' and a leading '+'"),
    ("phone", "138-1234-ABCD", "only digits, spaces, brackets, '-' and a leading '+'"),
    ("phone", "+", "only digits, spaces, brackets, '-' and a leading '+'"),
    ("email", "wang@example", "not an e-mail address"),
    ("id_card", "110105194912310021", "not a valid ID-card number: checksum fails"),
    ("id_card", "1101051949", "not a valid ID-card number: wrong length"),
    ("credit_code", "91110000600037341A",
     "not a valid unified social credit code: checksum fails"),
    ("location", "30.27", "a point 'latitude, longitude' is needed"),
    ("location", "95,120", "latitude must lie within ±90 and longitude within ±180"),
    ("parent", "the first one", "pick a record"),
])
def test_a_bad_value_gets_its_message(every_type: Deployment, field: str, typed: Any,
                                      message: str) -> None:
    assert _one(every_type, field, typed) == (None, [message])


@pytest.mark.parametrize(("field", "typed", "start"), [
    ("count", "101", "must be at most 100"),
    ("amount", "-1", "must be at least 0"),
])
def test_numbers_out_of_range_say_the_bound(every_type: Deployment, field: str, typed: str,
                                            start: str) -> None:
    _, errors = _one(every_type, field, typed)
    assert errors is not None and errors[0].startswith(start)
