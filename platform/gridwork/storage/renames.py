"""Renames the config declares with `renamed_from`, applied first so nothing looks dropped."""

from __future__ import annotations

from alembic.operations import Operations
from sqlalchemy import Connection, column, func, inspect, select, table, update

from .columns import register_table_name
from .plan import Step
from .schema import Schema

_WITH_REGISTER = ("history", "timers", "supervisions", "outbox")
"""System tables that name a record's register."""


def apply_renames(conn: Connection, ops: Operations, schema: Schema) -> list[Step]:
    """Rename tables and columns the config says were renamed; return the steps taken."""
    steps: list[Step] = []
    inspector = inspect(conn)
    tables = set(inspector.get_table_names())
    for name, register in schema.deployment.registers.items():
        new = register_table_name(name)
        if register.renamed_from:
            old = register_table_name(register.renamed_from)
            if old in tables and new not in tables:
                count = conn.execute(select(func.count()).select_from(table(old))).scalar()
                ops.rename_table(old, new)
                _rename_register_mentions(conn, register.renamed_from, name, tables)
                tables = (tables - {old}) | {new}
                steps.append(Step(f"rename table {old} → {new} keeping its {count} records"))
        if new not in tables:
            continue
        existing = {c["name"] for c in inspect(conn).get_columns(new)}
        for spec in register.fields:
            if not spec.renamed_from:
                continue
            kind = schema.field_type(spec)
            olds = kind.column_names(spec.model_copy(update={"name": spec.renamed_from}))
            news = kind.column_names(spec)
            if all(o in existing for o in olds) and not any(n in existing for n in news):
                for old_col, new_col in zip(olds, news, strict=True):
                    ops.alter_column(new, old_col, new_column_name=new_col)
                    steps.append(Step(f"rename column {new}.{old_col} → {new}.{new_col} "
                                      "keeping data"))
    return steps


def _rename_register_mentions(conn: Connection, old: str, new: str, tables: set[str]) -> None:
    """Point history, timers and messages of the renamed register at its new name."""
    for name in _WITH_REGISTER:
        if name in tables:
            mentions = table(name, column("register"))
            conn.execute(update(mentions).where(mentions.c.register == old).values(register=new))

