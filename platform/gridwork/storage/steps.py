"""Small helpers the migration's step builders share: counting rows, altering a table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, column, func, select, table

from ..config.models import FieldSpec
from .columns import register_table_name
from .plan import Migrator
from .schema import Schema


def count(conn: Connection, table_name: str, condition: Callable[[Any], Any] | None = None,
          *columns: str) -> int:
    """Rows of ``table_name`` (matching ``condition`` of a table with ``columns``)."""
    t = table(table_name, *(column(c) for c in columns))
    query = select(func.count()).select_from(t)
    if condition is not None:
        query = query.where(condition(t))
    return int(conn.execute(query).scalar() or 0)


def on_table(*operations: Any) -> Callable[[Migrator], None]:
    """A step body invoking Alembic operations, in batch mode on SQLite."""
    def run(m: Migrator) -> None:
        for op in operations:
            with m.on(op.table_name) as target:
                target.invoke(op)
    return run


def field_of(schema: Schema, table_name: str, column_name: str) -> FieldSpec | None:
    """The register field stored in a column, if any."""
    for name, register in schema.deployment.registers.items():
        if register_table_name(name) == table_name:
            for spec in register.fields:
                if column_name in schema.field_type(spec).column_names(spec):
                    return spec
    return None


def config_default(schema: Schema, table_name: str, column_name: str) -> Any:
    """The clean config default of the field stored in a column, or None."""
    spec = field_of(schema, table_name, column_name)
    if spec is None or spec.default is None:
        return None
    kind = schema.field_type(spec)
    return kind.to_columns(spec, kind.validate(spec.default, spec)).get(column_name)


def describe(schema: Schema, table_name: str, column_name: str) -> str:
    """``table.column (type)`` for plan lines."""
    spec = field_of(schema, table_name, column_name)
    return f"{table_name}.{column_name}" + (f" ({spec.type})" if spec else "")
