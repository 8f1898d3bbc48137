"""Turn one imported cell into the value its column stores, with the web form's validators."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, select

from ..config import Deployment
from ..config.models import FieldSpec
from ..plugins import field_types
from .columns import choice_codes
from .schema import Schema


class Lookups:
    """Codes and names imported cells refer to, read once per import."""

    def __init__(self, conn: Connection, schema: Schema) -> None:
        nodes, users = schema.system("nodes"), schema.system("users")
        self.nodes = {row.code: (row.id, row.level)
                      for row in conn.execute(select(nodes.c.code, nodes.c.id, nodes.c.level))}
        self.users = dict(conn.execute(select(users.c.username, users.c.id)).all())


def clean_cell(spec: FieldSpec, raw: Any, deployment: Deployment,
               lookups: Lookups) -> dict[str, Any]:
    """Column values for one cell of ``spec``'s field; raises ValueError with a user's message."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if spec.required and spec.show_if is None:
            raise ValueError("a value is required")
        return _empty(spec)
    if spec.type in ("choice", "multichoice"):
        raw = _codes_for_labels(spec, raw, deployment)
    if spec.type == "datetime" and isinstance(raw, dt.datetime) and raw.tzinfo is None:
        raw = raw.replace(tzinfo=zoneinfo.ZoneInfo(deployment.about.timezone))
    value = field_types()[spec.type].validate(raw, spec)
    if spec.type in ("choice", "multichoice"):
        allowed = choice_codes(spec, deployment.choices) or []
        for code in value if isinstance(value, list) else [value]:
            if code not in allowed:
                raise ValueError(f"'{code}' is not one of the options")
    elif spec.type == "datetime" and value.tzinfo is None:
        value = value.replace(tzinfo=zoneinfo.ZoneInfo(deployment.about.timezone))
    elif spec.type == "geo_point":
        return {f"{spec.name}_lat": value[0], f"{spec.name}_lon": value[1]}
    elif spec.type == "node":
        value = node_id(lookups, value, spec.level)
    elif spec.type == "user":
        if value not in lookups.users:
            raise ValueError(f"no user '{value}'")
        value = lookups.users[value]
    elif spec.type in ("photo", "file") and isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    return {spec.name: value}


def node_id(lookups: Lookups, code: Any, level: str | None) -> int:
    """The id of the node with ``code``, which must sit at ``level`` when given."""
    found = lookups.nodes.get(str(code).strip())
    if found is None:
        raise ValueError(f"no node has code '{code}'")
    if level is not None and found[1] != level:
        raise ValueError(f"node '{code}' is a {found[1]}, not a {level}")
    return found[0]


def _empty(spec: FieldSpec) -> dict[str, Any]:
    if spec.type == "geo_point":
        return {f"{spec.name}_lat": None, f"{spec.name}_lon": None}
    return {spec.name: None}


def _codes_for_labels(spec: FieldSpec, raw: Any, deployment: Deployment) -> Any:
    """Let a cell name an option by its label (甲) as well as its code (A)."""
    options: Mapping[str, Any] = {}
    if isinstance(spec.choices, str):
        options = deployment.choices.get(spec.choices, {})
    elif isinstance(spec.choices, dict):
        options = spec.choices
    by_label = {text: code for code, label in options.items()
                for text in (label.zh, label.en) if text}
    if spec.type == "choice":
        return by_label.get(str(raw).strip(), raw)
    parts = raw if isinstance(raw, list) else str(raw).replace("，", ",").split(",")
    return [by_label.get(str(p).strip(), str(p).strip()) for p in parts]
