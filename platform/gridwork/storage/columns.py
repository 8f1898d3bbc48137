"""Typed columns, constraints and indexes for one register field."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.sql.elements import conv

from ..config.models import FieldSpec
from ..config.types import Moment
from .system import CODE
from .types import ExactDecimal, UTCDateTime

MAX_NAME = 63
"""PostgreSQL's limit on identifier length; names we make stay within it."""

_PLAIN: dict[str, Any] = {
    "integer": Integer, "boolean": Boolean, "date": Date, "datetime": UTCDateTime,
    "choice": lambda: String(CODE), "multichoice": JSON, "phone": lambda: String(32),
    "email": lambda: String(254), "id_card": lambda: String(18),
    "credit_code": lambda: String(18), "photo": JSON, "file": JSON,
}
_TARGETS = {"node": "nodes.id", "user": "users.id"}
_INDEXED = frozenset({"date", "datetime", "choice", "reference", "node", "user"})
"""Types users filter and join by."""
_RANGED = frozenset({"integer", "decimal", "date"})


@dataclass
class FieldColumns:
    """What one field adds to its register's table."""

    columns: list[Column[Any]] = field(default_factory=list)
    checks: list[CheckConstraint] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)


def register_table_name(register: str) -> str:
    """The table that holds a register's records."""
    return f"r_{register}"


def column_names(spec: FieldSpec) -> tuple[str, ...]:
    """The columns a field is stored in (a point takes two)."""
    if spec.type == "geo_point":
        return (f"{spec.name}_lat", f"{spec.name}_lon")
    return (spec.name,)


def choice_codes(spec: FieldSpec, choices: Mapping[str, Mapping[str, Any]]) -> list[str] | None:
    """The codes a choice field allows, resolving a shared dictionary by name."""
    if isinstance(spec.choices, str):
        named = choices.get(spec.choices)
        return None if named is None else [str(code) for code in named]
    if spec.choices is None:
        return None
    return [str(code) for code in spec.choices]


def field_columns(spec: FieldSpec, table: str, choices: Mapping[str, Mapping[str, Any]],
                  plugin_column: Callable[[], Any] | None = None) -> FieldColumns:
    """Columns, CHECK constraints and indexes that store ``spec`` in ``table``;
    ``plugin_column`` is the column type a plugin's field type asks for."""
    nullable = not spec.required or spec.show_if is not None
    out = FieldColumns()
    if spec.type == "geo_point":
        out.columns = [Column(name, Float, nullable=nullable) for name in column_names(spec)]
        return out
    kind = (plugin_column(),) if plugin_column is not None else _type_and_key(spec)
    column: Column[Any] = Column(spec.name, *kind, nullable=nullable,
                                 unique=spec.unique or None)
    out.columns.append(column)
    quoted = f'"{spec.name}"'
    if spec.type in _RANGED:
        for bound, op in ((spec.min, ">="), (spec.max, "<=")):
            # A bound that moves with the clock (`today`) is the form's to check, not a
            # constraint: yesterday's valid row must stay valid.
            if bound is not None and not isinstance(bound, Moment):
                out.checks.append(_check(table, spec.name, f"{quoted} {op} {_literal(bound)}"))
    if spec.type == "choice":
        codes = choice_codes(spec, choices)
        if codes:
            listed = ", ".join(_literal(code) for code in codes)
            out.checks.append(_check(table, spec.name, f"{quoted} IN ({listed})"))
    if spec.type in _INDEXED and not spec.unique:
        out.indexes.append(Index(None, column))
    return out


def _type_and_key(spec: FieldSpec) -> tuple[Any, ...]:
    if spec.type in ("text", "textarea"):
        return (String(spec.max_length) if spec.max_length else Text(),)
    if spec.type == "decimal":
        return (ExactDecimal(18, spec.decimals) if spec.decimals is not None else ExactDecimal(),)
    if spec.type == "reference":
        return Integer(), ForeignKey(f"{register_table_name(str(spec.register_name))}.id")
    if spec.type in _TARGETS:
        return Integer(), ForeignKey(_TARGETS[spec.type])
    # A plugin's type says how to check a value, not how to store it: JSON keeps any value.
    return (_PLAIN.get(spec.type, JSON)(),)


def _check(table: str, column: str, sql: str) -> CheckConstraint:
    """A CHECK named after its own text, so a changed rule gets a new name to migrate to."""
    digest = hashlib.sha256(f"{table}.{column}:{sql}".encode()).hexdigest()[:8]
    return CheckConstraint(sql, name=conv(f"ck_{table}_{column}"[:MAX_NAME - 9] + f"_{digest}"),
                           info={"column": column})


def _literal(value: Any) -> str:
    if isinstance(value, (dt.date, str)):
        return "'" + str(value).replace("'", "''") + "'"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
