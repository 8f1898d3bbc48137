"""What every register field's columns share: table names, CHECK constraints, choice codes.

Which columns a field takes is its field type's to say (`gridwork.forms.FieldType`)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import CheckConstraint, Column, Index
from sqlalchemy.sql.elements import conv

from ..config.models import FieldSpec

MAX_NAME = 63
"""PostgreSQL's limit on identifier length; names we make stay within it."""


@dataclass
class FieldColumns:
    """What one field adds to its register's table."""

    columns: list[Column[Any]] = field(default_factory=list)
    checks: list[CheckConstraint] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)


def register_table_name(register: str) -> str:
    """The table that holds a register's records."""
    return f"r_{register}"


def choice_codes(spec: FieldSpec, choices: Mapping[str, Mapping[str, Any]]) -> list[str] | None:
    """The codes a choice field allows, resolving a shared dictionary by name."""
    if isinstance(spec.choices, str):
        named = choices.get(spec.choices)
        return None if named is None else [str(code) for code in named]
    if spec.choices is None:
        return None
    return [str(code) for code in spec.choices]


def check_constraint(table: str, column: str, sql: str) -> CheckConstraint:
    """A CHECK named after its own text, so a changed rule gets a new name to migrate to."""
    digest = hashlib.sha256(f"{table}.{column}:{sql}".encode()).hexdigest()[:8]
    return CheckConstraint(sql, name=conv(f"ck_{table}_{column}"[:MAX_NAME - 9] + f"_{digest}"),
                           info={"column": column})


def sql_literal(value: Any) -> str:
    """A config value as an SQL literal in a CHECK."""
    if isinstance(value, (dt.date, str)):
        return "'" + str(value).replace("'", "''") + "'"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
