"""Points sent through the API, held to the pages' rule (see `map_points.outside_points`):
one outside the record's node is refused until the client confirms it with
``"NAME_confirm": true`` beside the point in ``values``."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import Connection

from .api_call import ApiError, Call
from .map_points import outside_points
from .submission import functions

API_LOCALE = "en"
"""The API answers in English, as its other messages."""


def confirmed_points(call: Call, register: str, values: Mapping[str, Any]
                     ) -> tuple[dict[str, Any], set[str]]:
    """``values`` without the point confirmations, and the point fields confirmed; 422 for
    a confirmation that is not true or false."""
    found, confirmed = dict(values), set()
    errors: dict[str, list[str]] = {}
    for spec in call.site.deployment.registers[register].fields:
        key = f"{spec.name}_confirm"
        if not call.site.schema.field_type(spec).located or key not in found:
            continue
        given = found.pop(key)
        if not isinstance(given, bool):
            errors[key] = ["true or false: whether the point is right although it lies "
                           "outside the record's node"]
        elif given:
            confirmed.add(spec.name)
    if errors:
        raise ApiError(422, errors=errors)
    return found, confirmed


def refuse_outside(call: Call, conn: Connection, register: str, node: str,
                   points: Mapping[str, tuple[float, float] | None],
                   confirmed: set[str]) -> None:
    """422 for each point outside node ``node`` that the client did not confirm."""
    _notes, refused = outside_points(conn, call.site, call.user, register, node, points,
                                     confirmed, API_LOCALE)
    if refused:
        raise ApiError(422, errors={
            name: [*texts, f'If that is right, send "{name}_confirm": true in values.']
            for name, texts in refused.items()})


def given_points(call: Call, register: str, node: str, values: Mapping[str, Any],
                 system: Mapping[str, Any], asked: Collection[str]
                 ) -> dict[str, tuple[float, float] | None]:
    """The points ``values`` give, of the point fields the form (``asked``: a new record's
    or an edit's) takes and shows; a point that is not one, or a field the form does not
    take, is left for the engine to refuse."""
    spec = call.site.deployment.registers[register]
    names = [f.name for f in spec.fields
             if call.site.schema.field_type(f).located and f.name in asked and f.name in values]
    if not names:
        return {}
    form = call.site.runtime.forms[register].gridwork_form
    clean, errors = form.clean(values, system={**system, "node": node},
                               functions=functions(call.site), only=names)
    return {name: clean.get(name) for name in names if name not in errors}
