"""Turn pydantic's validation errors into problems an administrator can act on."""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from .models import Deployment
from .problems import Problem, did_you_mean
from .types import show_value

_PLAIN = {
    "int_parsing": "expected a whole number",
    "int_type": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_parsing": "expected a number",
    "float_type": "expected a number",
    "bool_parsing": "expected true or false",
    "bool_type": "expected true or false",
    "string_type": "expected text",
    "dict_type": "expected a mapping (key: value lines)",
    "model_type": "expected a mapping (key: value lines)",
    "model_attributes_type": "expected a mapping (key: value lines)",
    "list_type": "expected a list",
    "tuple_type": "expected a list",
    "date_parsing": "expected a date such as 2026-10-01",
    "date_from_datetime_parsing": "expected a date such as 2026-10-01",
    "date_type": "expected a date such as 2026-10-01",
}


def schema_problems(error: ValidationError) -> list[Problem]:
    """One problem per pydantic error, located on the raw config path."""
    details = error.errors(include_url=False)
    # A misspelt key shows up twice: unknown 'labl' and missing 'label'. Keep the first.
    misspelt = {
        (tuple(d["loc"][:-1]), did_you_mean(str(d["loc"][-1]), _missing_at(details, d["loc"][:-1])))
        for d in details if d["type"] == "extra_forbidden"
    }
    return [
        _problem(d) for d in details
        if not (d["type"] == "missing"
                and (tuple(d["loc"][:-1]), f"; did you mean '{d['loc'][-1]}'?") in misspelt)
    ]


def _missing_at(details: list[ErrorDetails], parent: tuple[Any, ...]) -> list[str]:
    return [str(d["loc"][-1]) for d in details
            if d["type"] == "missing" and tuple(d["loc"][:-1]) == tuple(parent)]


def _problem(detail: ErrorDetails) -> Problem:
    loc = tuple(detail["loc"])
    kind = detail["type"]
    ctx = detail.get("ctx") or {}
    raw = detail.get("input")
    if kind == "extra_forbidden":
        key = str(loc[-1])
        allowed = allowed_keys(loc[:-1])
        hint = did_you_mean(key, allowed)
        if allowed:
            hint += f" (allowed here: {', '.join(allowed)})"
        return Problem(f"unknown key '{key}'{hint}", path=loc, at="key")
    if kind == "missing":
        key = loc[-1]
        return Problem(f"missing required key '{key}'", path=_parent(loc), at="key")
    if kind == "literal_error":
        expected = ctx.get("expected", "")
        return Problem(f"{show_value(raw)} is not allowed here; expected {expected}"
                       + did_you_mean(str(raw), _literal_words(expected)), path=loc)
    if kind == "expression":
        return Problem(detail["msg"], path=loc, offset=int(ctx.get("offset", 0)))
    if kind in ("too_short", "too_long"):
        field = _field_word(loc)
        if kind == "too_short":
            least = ctx.get("min_length", 1)
            message = f"{field} needs at least {least} item{'s' if least != 1 else ''}"
        else:
            message = f"{field} has too many items (at most {ctx.get('max_length')})"
        return Problem(message, path=loc)
    if kind == "string_pattern_mismatch":
        return Problem(f"{show_value(raw)} does not match the pattern {ctx.get('pattern')}", path=loc)
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        return Problem(f"{show_value(raw)} is out of range: {detail['msg'].lower()}", path=loc)
    if kind in _PLAIN:
        return Problem(f"{_PLAIN[kind]}, got {show_value(raw)}", path=loc)
    message = detail["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return Problem(message, path=loc)


def _parent(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    return loc[:-1]


def _field_word(loc: tuple[Any, ...]) -> str:
    names = [str(k) for k in loc if isinstance(k, str)]
    return f"'{names[-1]}'" if names else "this list"


def _literal_words(expected: str) -> list[str]:
    return [w.strip(" '") for w in expected.replace(" or ", ",").split(",")]


_BRANCH_TAGS = ("text", "number", "date", "list", "mapping")
"""The kinds `models.base.either` tags its branches with."""


def allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    """The keys allowed in the mapping at ``loc``, found by walking the model types."""
    annotation: Any = Deployment
    for key in loc:
        annotation = _step(annotation, key)
        if annotation is None:
            return []
    model = _model_in(annotation)
    if model is None:
        return []
    return [info.alias or name for name, info in model.model_fields.items()]


def _step(annotation: Any, key: Any) -> Any:
    model = _model_in(annotation)
    if model is not None:
        for name, info in model.model_fields.items():
            if key in (name, info.alias):
                return info.annotation
        # The tag pydantic adds for the branch `either` chose names no key: stay here.
        return annotation if key in _BRANCH_TAGS else None
    for arg in _members(annotation):
        origin = typing.get_origin(arg)
        if origin is dict and not isinstance(key, int):
            return typing.get_args(arg)[1]
        if origin in (tuple, list) and isinstance(key, int):
            return typing.get_args(arg)[0]
    return None


def _members(annotation: Any) -> list[Any]:
    """Flatten Annotated/Optional/Union into the concrete types they allow."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _members(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        found = []
        for arg in typing.get_args(annotation):
            found.extend(_members(arg))
        return found
    return [annotation]


def _model_in(annotation: Any) -> type[BaseModel] | None:
    for member in _members(annotation):
        if isinstance(member, type) and issubclass(member, BaseModel):
            return member
    return None
