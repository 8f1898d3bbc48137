"""What a user expects of a form: blanks, required vs show_if, computed, defaults, many errors."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from form_support import FUNCTIONS, FormData

from gridwork.config import Deployment
from gridwork.forms.models import computed_values, validate_record, visible_fields


def _check(deployment: Deployment, raw: Any, **options: Any) -> tuple[dict[str, Any] | None,
                                                                      dict[str, list[str]]]:
    return validate_record(deployment, "sample", raw, functions=FUNCTIONS, **options)


def test_empty_inputs_count_as_not_given(every_type: Deployment) -> None:
    clean, errors = _check(every_type, {"title": "ok", "count": "", "due": "  ", "tags": [],
                                        "location": "", "photos": ["", None], "email": None})
    assert errors == {}
    assert clean is not None
    assert {clean[k] for k in ("count", "due", "tags", "location", "photos", "email")} == {None}


def test_only_shown_required_fields_are_asked_for(every_type: Deployment) -> None:
    assert _check(every_type, {}) == (None, {"title": ["required"]})
    assert _check(every_type, {"title": "ok", "flagged": "on"}) == (None, {"reason": ["required"]})
    assert _check(every_type, {"title": "ok", "flagged": "on", "reason": "other"}) == (
        None, {"other_reason": ["required"]})
    clean, errors = _check(every_type, {"title": "ok", "flagged": "on", "reason": "other",
                                        "other_reason": "漏报"})
    assert errors == {}
    assert clean is not None and (clean["reason"], clean["other_reason"]) == ("other", "漏报")


def test_a_hidden_field_is_dropped_with_what_depends_on_it(every_type: Deployment) -> None:
    clean, errors = _check(every_type, {"title": "ok", "reason": "other", "other_reason": "x",
                                        "no_reason_note": "kept"})
    assert errors == {}
    assert clean is not None
    assert (clean["reason"], clean["other_reason"]) == (None, None)
    # reason is hidden, so it reads as None, which shows the note that asks for none.
    assert clean["no_reason_note"] == "kept"


def test_a_bad_value_in_a_hidden_field_is_no_error(every_type: Deployment) -> None:
    assert _check(every_type, {"title": "ok", "reason": "bogus"})[1] == {}


def test_visible_fields_follow_the_typed_values(every_type: Deployment) -> None:
    always = {f.name for f in every_type.registers["sample"].fields if f.show_if is None}
    quiet = visible_fields(every_type, "sample", FormData([("flagged", "false")]))
    assert quiet == always | {"no_reason_note"}
    flagged = FormData([("flagged", "false"), ("flagged", "true"), ("reason", "other")])
    assert visible_fields(every_type, "sample", flagged) == always | {"reason", "other_reason"}
    assert visible_fields(every_type, "sample", {"flagged": True, "reason": "fire"}) == (
        always | {"reason"})


def test_computed_fields_come_from_the_clean_values(every_type: Deployment) -> None:
    clean, errors = _check(every_type, {"title": "ok", "count": "3", "amount": "2.50",
                                        "size": "L", "due": "2026-03-20", "total": "999"})
    assert errors == {}
    assert clean is not None
    assert (clean["total"], clean["label"], clean["days_left"]) == (Decimal("7.50"), "ok (L)", 5)


def test_a_computation_that_fails_gives_no_value(every_type: Deployment) -> None:
    clean, errors = _check(every_type, {"title": "ok", "total": "999", "label": "typed"})
    assert errors == {}
    assert clean is not None
    assert (clean["total"], clean["label"], clean["days_left"]) == (None, None, None)


def test_defaults_fill_missing_values_and_unticked_boxes_are_false(every_type: Deployment) -> None:
    clean, _ = _check(every_type, {"title": "ok"})
    assert clean is not None
    assert (clean["active"], clean["flagged"], clean["grade"]) == (True, False, "low")
    clean, _ = _check(every_type, FormData([("title", "ok"), ("active", "false"),
                                            ("grade", "high")]))
    assert clean is not None and (clean["active"], clean["grade"]) == (False, "high")


def test_repeated_keys_fill_a_multichoice_and_the_last_wins_elsewhere(
        every_type: Deployment) -> None:
    form = FormData([("title", "first"), ("title", "ok"), ("tags", "new"), ("tags", ""),
                     ("tags", "odd"), ("photos", "a.jpg"), ("photos", "b.jpg")])
    clean, errors = _check(every_type, form)
    assert errors == {}
    assert clean is not None
    assert (clean["title"], clean["tags"], clean["photos"]) == ("ok", ["new", "odd"],
                                                                ["a.jpg", "b.jpg"])


@pytest.mark.parametrize(("inputs", "point"), [
    ([("location", "30.27, 120.15")], (30.27, 120.15)),
    ([("location_lat", "30.27"), ("location_lon", "120.15")], (30.27, 120.15)),
    ([("location", ""), ("location_lat", ""), ("location_lon", "")], None),
])
def test_a_point_comes_as_one_input_or_two(every_type: Deployment, inputs: list[tuple[str, str]],
                                           point: tuple[float, float] | None) -> None:
    clean, errors = _check(every_type, FormData([("title", "ok"), *inputs]))
    assert errors == {}
    assert clean is not None and clean["location"] == point


def test_half_a_point_is_an_error_on_the_field(every_type: Deployment) -> None:
    form = FormData([("title", "ok"), ("location_lat", "30.27"), ("location_lon", "")])
    assert _check(every_type, form) == (
        None, {"location": ["a point 'latitude, longitude' is needed"]})


def test_every_error_is_reported_at_once_and_nothing_is_returned(every_type: Deployment) -> None:
    clean, errors = _check(every_type, {"title": "x", "count": "many", "flagged": "yes",
                                        "email": "no", "tags": ["bad"], "total": "ignored"})
    assert clean is None
    assert errors == {
        "title": ["at least 2 characters"],
        "count": ["a whole number is needed"],
        "tags": ["'bad' is not one of the options"],
        "email": ["not an e-mail address"],
        "reason": ["required"],
    }
    assert list(errors) == ["title", "count", "tags", "email", "reason"]


def test_resolve_turns_ids_and_codes_into_stored_values(every_type: Deployment) -> None:
    nodes = {"S1G1": 11}
    seen: list[tuple[str, Any]] = []

    def resolve(spec: Any, value: Any) -> Any:
        seen.append((spec.name, value))
        if spec.type != "node":
            return value
        if value not in nodes:
            raise ValueError(f"no node has code '{value}'")
        return nodes[value]

    clean, errors = _check(every_type, {"title": "ok", "grid": "S1G1"}, resolve=resolve)
    assert errors == {}
    assert clean is not None and clean["grid"] == 11
    # Every given, shown value passes through resolve (the storage layer picks which to check).
    assert [name for name, _ in seen] == ["title", "active", "flagged", "grade", "grid"]
    assert _check(every_type, {"title": "ok", "grid": "S9"}, resolve=resolve) == (
        None, {"grid": ["no node has code 'S9'"]})


def test_computed_values_update_while_other_fields_are_wrong(every_type: Deployment) -> None:
    typed = {"title": "ok", "count": "2", "amount": "1.5", "email": "no", "size": "S"}
    assert computed_values(every_type, "sample", typed, functions=FUNCTIONS) == {
        "total": Decimal("3.00"), "label": "ok (S)", "days_left": None}


def test_uploaded_objects_pass_through_untouched(every_type: Deployment) -> None:
    upload = object()
    clean, errors = _check(every_type, {"title": "ok", "photos": [upload], "attachment": upload})
    assert errors == {}
    assert clean is not None and clean["photos"] == [upload] and clean["attachment"] is upload
