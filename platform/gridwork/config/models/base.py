"""The base class every configuration model shares, and small list/one-of helpers."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, TypeVar, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Discriminator, Tag

T = TypeVar("T")


class Model(BaseModel):
    """A frozen config model that rejects unknown keys (so typos are caught, not ignored)."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        populate_by_name=True,
        use_attribute_docstrings=True,
        arbitrary_types_allowed=True,
        protected_namespaces=(),
        defer_build=True,
    )


def _one_or_many(value: Any) -> Any:
    """Let a single item stand for a list of one (``by: grid_leader``)."""
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        return value
    return (value,)


class _ItemOrList:
    """JSON Schema of a one-or-many list: the item alone, or an array of items."""

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> Any:
        schema = handler(core_schema)
        return {"anyOf": [schema["items"], schema]} if "items" in schema else schema


class OrText:
    """JSON Schema of a value that may also be written as text (a shorthand)."""

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> Any:
        return {"anyOf": [{"type": "string"}, handler(core_schema)]}


OneOrMany = Annotated[tuple[T, ...], BeforeValidator(_one_or_many), _ItemOrList()]
"""A list that may also be written as its single item."""

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


_KINDS = {
    "text": "text", "number": "a number", "date": "a date", "list": "a list",
    "mapping": "a mapping",
}


def _kind(value: Any) -> str | None:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, str):
        return "text"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, (dt.date, dt.datetime)):
        return "date"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    return None


def either(**branches: Any) -> Any:
    """A union chosen by the YAML value's kind (text, number, date, list, mapping).

    Unlike a plain union, a bad value gets one error from the branch its kind selects,
    not one per branch, so the message and location stay precise.
    """
    expected = " or ".join(_KINDS[k] for k in branches)
    members = tuple(Annotated[t, Tag(k)] for k, t in branches.items())
    return Annotated[
        Union[members],  # noqa: UP007 - built at run time
        Discriminator(
            lambda v: _kind(v) if _kind(v) in branches else None,
            custom_error_type="kind",
            custom_error_message=f"expected {expected}",
        ),
    ]
