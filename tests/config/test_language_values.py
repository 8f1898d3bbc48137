"""The language's values: durations, offsets, labels and safe expressions."""

from __future__ import annotations

import datetime as dt

import pytest

from gridwork.config.expressions import ExpressionError, parse_expression
from gridwork.config.types import Duration, Label, parse_duration, parse_offset


@pytest.mark.parametrize(("text", "amount", "unit", "working"), [
    ("3wd", 3, "wd", True), ("4wh", 4, "wh", True), ("2d", 2, "d", False),
    ("30min", 30, "min", False), ("1.5h", 1.5, "h", False), (0, 0, "min", False),
])
def test_durations_parse_to_working_or_calendar_time(text: object, amount: float, unit: str,
                                                     working: bool) -> None:
    duration = parse_duration(text)
    assert (duration.amount, duration.unit, duration.working) == (amount, unit, working)


def test_calendar_durations_have_a_length_and_working_ones_ask_the_calendar() -> None:
    assert parse_duration("2h").calendar_delta() == dt.timedelta(hours=2)
    with pytest.raises(ValueError, match="business calendar"):
        Duration(3, "wd").calendar_delta()


@pytest.mark.parametrize("text", ["3 days", "wd", "-1d", "", None, True, "5x"])
def test_bad_durations_say_what_to_write(text: object) -> None:
    with pytest.raises(ValueError, match="write a number and a unit"):
        parse_duration(text)


def test_offsets_are_durations_or_shares_of_the_limit() -> None:
    assert parse_offset("25%").percent == 25
    assert parse_offset("150%").percent == 150
    assert str(parse_offset("1wd")) == "1wd"
    with pytest.raises(ValueError, match="share of the time limit"):
        parse_offset("soon")


def test_labels_fall_back_to_the_other_language() -> None:
    assert Label(zh="网格").text("en") == "网格"
    assert Label(zh="网格", en="Grid").text("en") == "Grid"
    assert Label(en="Grid").text("zh") == "Grid"


def test_expressions_evaluate_against_record_values() -> None:
    expr = parse_expression("risk_grade in ['A', 'B'] and employees > 50")
    assert [n for n, _ in expr.names] == ["risk_grade", "employees"]
    assert expr.evaluate({"risk_grade": "A", "employees": 80}) is True
    assert expr.evaluate({"risk_grade": "C", "employees": 80}) is False
    assert parse_expression("len(tags) >= 2 or flag == true").evaluate({"tags": ["a", "b"]})
    assert parse_expression("missing == null").evaluate({}) is True
    assert parse_expression("days_between(start, end)").evaluate(
        {"start": dt.date(2026, 9, 30), "end": dt.date(2026, 10, 8)}) == 8


@pytest.mark.parametrize(("text", "message", "offset"), [
    ("a.__class__", "attribute access", 0),
    ("[x for x in y]", "comprehension", 0),
    ("lambda: 1", "lambda", 0),
    ("a ==", "invalid expression", 0),
    ("f(x=1)", "plain calls", 0),
    ("{'a': 1}", "mapping literal", 0),
    ("  b := 3", "invalid expression", 4),
])
def test_forbidden_or_broken_expressions_are_refused_at_load(text: str, message: str,
                                                             offset: int) -> None:
    with pytest.raises(ExpressionError, match=message) as caught:
        parse_expression(text)
    assert caught.value.offset == offset
