"""Alembic's comparison of config and database, turned into plan steps that say what they lose."""

from __future__ import annotations

from functools import partial
from typing import Any

from alembic.autogenerate import produce_migrations
from alembic.migration import MigrationContext
from alembic.operations import ops
from sqlalchemy import Connection

from .alter import add_column, add_unique, alter_column
from .columns import register_table_name
from .exports import Export
from .plan import Migrator, Step
from .schema import Schema
from .steps import count, on_table

_ORDER = (ops.CreateTableOp, ops.ModifyTableOps, ops.DropTableOp)


def schema_steps(conn: Connection, context: MigrationContext,
                 schema: Schema) -> tuple[list[Step], set[tuple[str, str]]]:
    """Steps for every difference Alembic finds, and the (table, column) pairs changing type."""
    upgrade = produce_migrations(context, schema.metadata).upgrade_ops
    found = upgrade.ops if upgrade is not None else []
    steps: list[Step] = []
    retyped: set[tuple[str, str]] = set()
    created = {op.table_name for op in found if isinstance(op, ops.CreateTableOp)}
    for op in sorted(found, key=lambda o: _ORDER.index(type(o))):
        if isinstance(op, ops.CreateTableOp):
            steps.append(Step(f"add table {op.table_name}{_about(schema, op.table_name)}",
                              partial(_invoke, op=op)))
        elif isinstance(op, ops.DropTableOp):
            rows = count(conn, op.table_name)
            steps.append(Step(f"drop table {op.table_name}", partial(_invoke, op=op),
                              loss=f"{rows} records" if rows else None,
                              export=Export(op.table_name)))
        elif isinstance(op, ops.ModifyTableOps):
            added = {inner.column.name for inner in op.ops if isinstance(inner, ops.AddColumnOp)}
            for inner in sorted(op.ops, key=_phase):
                if op.table_name in created:
                    steps.append(Step("", on_table(inner)))  # the new table's indexes
                    continue
                if isinstance(inner, ops.AlterColumnOp) and inner.modify_type is not None:
                    retyped.add((inner.table_name, inner.column_name))
                steps.extend(_modify(conn, schema, inner, added))
    return steps, retyped


def _invoke(m: Migrator, op: Any) -> None:
    m.ops.invoke(op)


def _phase(op: Any) -> int:
    """Drop indexes and constraints before changing columns; add new ones after."""
    if isinstance(op, (ops.DropIndexOp, ops.DropConstraintOp)):
        return 0
    if isinstance(op, (ops.CreateIndexOp, ops.AddConstraintOp)):
        return 2
    return 1


def _about(schema: Schema, table_name: str) -> str:
    for name in schema.registers:
        if register_table_name(name) == table_name:
            return f" for register {name}"
    return ""


def _modify(conn: Connection, schema: Schema, op: Any, added: set[str]) -> list[Step]:
    """Steps for one change to a table; ``added`` names the columns this migration adds."""
    name = getattr(op, "table_name", "")
    if isinstance(op, ops.AddColumnOp):
        return [add_column(conn, schema, op)]
    if isinstance(op, ops.AlterColumnOp):
        return alter_column(conn, schema, op)
    if isinstance(op, ops.CreateUniqueConstraintOp):
        return [add_unique(conn, schema, op, added)]
    if isinstance(op, ops.DropColumnOp):
        col = op.column_name
        values = count(conn, name, lambda t: t.c[col].isnot(None), col)
        return [Step(f"drop column {name}.{col}", on_table(op),
                     loss=f"{values} non-empty values" if values else None,
                     export=Export(name, (col,), lambda t: t.c[col].isnot(None), col))]
    if isinstance(op, ops.CreateIndexOp):
        cols = ", ".join(str(c) for c in op.columns)
        return [Step(f"add index on {name}({cols})", on_table(op))]
    if isinstance(op, ops.DropIndexOp):
        return [Step(f"drop index {op.index_name} on {name}", on_table(op))]
    if isinstance(op, ops.CreateForeignKeyOp):
        return [Step(f"link {name}({', '.join(op.local_cols)}) to {op.referent_table}",
                     on_table(op))]
    if isinstance(op, ops.DropConstraintOp):
        kind = f"{op.constraint_type} " if op.constraint_type else ""
        return [Step(f"drop {kind}constraint {op.constraint_name} on {name}", on_table(op))]
    return [Step(f"{type(op).__name__} on {name}", on_table(op))]
