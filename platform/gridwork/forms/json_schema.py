"""The JSON Schema of a field's value, as the JSON API takes it and answers it.

One function per field type, in one table keyed by the type's name, so that each entry can
move into its field type's class as a method. A type without an entry (a plugin's) takes
any JSON value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from .. import plugins
from ..config.models import Deployment, FieldSpec

Schema = dict[str, Any]
_Builder = Callable[[Deployment, FieldSpec, bool], Schema]

NOT_BLANK = r"\S"
"""Text that is more than spaces (a blank value counts as none given)."""
DECIMAL_PATTERN = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"
PHONE_PATTERN = r"^\+?[\d\s()-]+$"
ID_CARD_PATTERN = r"^\d{17}[\dXx]$"
CREDIT_CODE_PATTERN = r"^[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{18}$"


def value_schema(deployment: Deployment, spec: FieldSpec, *, answer: bool = False) -> Schema:
    """The JSON Schema of ``spec``'s value: what a request may send, or (``answer``) what
    a response holds — there every value may be null, and personal values come masked
    as text."""
    build = _TYPES.get(spec.type)
    schema: Schema = build(deployment, spec, answer) if build is not None else {}
    if answer:
        if _personal(spec):
            schema = {"type": "string"}
        return {"anyOf": [schema, {"type": "null"}]} if schema else {}
    return schema


def _text(deployment: Deployment, spec: FieldSpec, answer: bool) -> Schema:
    schema: Schema = {"type": "string"}
    if spec.min_length is not None:
        schema["minLength"] = spec.min_length
    if spec.max_length is not None:
        schema["maxLength"] = spec.max_length
    if not answer:
        if spec.pattern:
            schema["pattern"] = f"^(?:{spec.pattern})$"
        elif spec.required:
            schema["pattern"] = NOT_BLANK
    return schema


def _integer(deployment: Deployment, spec: FieldSpec, answer: bool) -> Schema:
    return {"type": "integer", "minimum": -(2**31), "maximum": 2**31 - 1} | _range(spec)


def _decimal(deployment: Deployment, spec: FieldSpec, answer: bool) -> Schema:
    if answer:
        return {"type": "string", "pattern": DECIMAL_PATTERN}
    return {"type": "number"} | _range(spec)


def _range(spec: FieldSpec) -> Schema:
    """A number field's fixed bounds (bounds that move with the clock are not fixed)."""
    schema: Schema = {}
    if isinstance(spec.min, int | float):
        schema["minimum"] = spec.min
    if isinstance(spec.max, int | float):
        schema["maximum"] = spec.max
    return schema


def _boolean(deployment: Deployment, spec: FieldSpec, answer: bool) -> Schema:
    return {"type": "boolean"}


def _date(deployment: Deployment, spec: FieldSpec, answer: bool) -> Schema:
    schema: Schema = {"type": "string", "format": "date"}
    bounds: Schema = {}
    for name, bound in (("minimum", spec.min), ("maximum", spec.max)):
        if isinstance(bound, dt.date):
            bounds[name] = bound.isoformat()
    if bounds:
        schema["x-gridwork-range"] = bounds
    return schema


def _datetime(deployment: Deployment, spec: FieldSpec, answer: bool) -> Schema:
    return {"type": "string", "format": "date-time"}


def _choice(deployment: Deployment, spec: FieldSpec, answer: bool) -> Schema:
    options: Any = spec.choices
    if isinstance(options, str):
        options = deployment.choices.get(options)
    codes = None if options is None else [str(code) for code in options]
    return {"type": "string"} if codes is None else {"type": "string", "enum": codes}


def _multichoice(deployment: Deployment, spec: FieldSpec, answer: bool) -> Schema:
    return {"type": "array", "items": _choice(deployment, spec, answer)}


def _pattern(pattern: str) -> _Builder:
    def build(deployment: Deployment, spec: FieldSpec, answer: bool) -> Schema:
        return {"type": "string", "pattern": pattern}
    return build


def _email(deployment: Deployment, spec: FieldSpec, answer: bool) -> Schema:
    return {"type": "string", "format": "email", "maxLength": 254}


def _geo_point(deployment: Deployment, spec: FieldSpec, answer: bool) -> Schema:
    return {"type": "array", "description": "[latitude, longitude]", "minItems": 2,
            "maxItems": 2, "prefixItems": [
                {"type": "number", "minimum": -90, "maximum": 90},
                {"type": "number", "minimum": -180, "maximum": 180}]}


def _file(deployment: Deployment, spec: FieldSpec, answer: bool) -> Schema:
    ids: Schema = {"type": "array", "items": {"type": "string"},
                   "description": "ids that POST /uploads answered"}
    if not spec.multiple:
        ids["maxItems"] = 1
    return ids


def _reference(deployment: Deployment, spec: FieldSpec, answer: bool) -> Schema:
    return {"type": "integer", "minimum": 1, "description": f"a {spec.register_name} id"}


def _node(deployment: Deployment, spec: FieldSpec, answer: bool) -> Schema:
    if answer:
        return {"type": "integer", "description": "the node's id"}
    return {"type": "string", "description": "a node's code"
            + (f" at level {spec.level}" if spec.level else "")}


def _user(deployment: Deployment, spec: FieldSpec, answer: bool) -> Schema:
    if answer:
        return {"type": "integer", "description": "the user's id"}
    return {"type": "string", "description": "a username"}


def _department(deployment: Deployment, spec: FieldSpec, answer: bool) -> Schema:
    return {"type": "string", "enum": [d.code for d in deployment.departments]}


_TYPES: dict[str, _Builder] = {
    "text": _text, "textarea": _text, "integer": _integer, "decimal": _decimal,
    "boolean": _boolean, "date": _date, "datetime": _datetime, "choice": _choice,
    "multichoice": _multichoice, "phone": _pattern(PHONE_PATTERN), "email": _email,
    "id_card": _pattern(ID_CARD_PATTERN), "credit_code": _pattern(CREDIT_CODE_PATTERN),
    "geo_point": _geo_point, "photo": _file, "file": _file, "reference": _reference,
    "node": _node, "user": _user, "department": _department,
}


def _personal(spec: FieldSpec) -> bool:
    """Whether answers mask the field (its `personal:`, else its built-in type's default)."""
    if spec.personal is not None:
        return spec.personal
    kind = plugins.field_types(plugins.default_manager()).get(spec.type)
    return bool(kind is not None and kind.personal)
