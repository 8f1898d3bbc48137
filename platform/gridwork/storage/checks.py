"""CHECK constraints, which Alembic's comparison leaves out, matched by content-hashed names."""

from __future__ import annotations

import re

from alembic.operations import ops
from sqlalchemy import CheckConstraint, Connection, inspect, text, update

from .columns import MAX_NAME
from .exports import Export
from .plan import Migrator, Step
from .schema import Schema
from .steps import count, on_table

_HASH = re.compile(r"_[0-9a-f]{8}$")


def check_steps(conn: Connection, schema: Schema,
                retyped: set[tuple[str, str]]) -> tuple[list[Step], list[Step]]:
    """Steps dropping stale rules (run first) and adding new ones (run last)."""
    inspector = inspect(conn)
    existing = set(inspector.get_table_names())
    drops: list[Step] = []
    adds: list[Step] = []
    for name, table in schema.metadata.tables.items():
        if name not in existing:
            continue  # created with its rules
        wanted = {str(c.name): c for c in table.constraints if isinstance(c, CheckConstraint)}
        have = {c["name"]: c["sqltext"] for c in inspector.get_check_constraints(name)
                if c.get("name")}
        columns = {c["name"] for c in inspector.get_columns(name)}
        rebuilt = {col for (tab, col) in retyped if tab == name}
        for rule, sql in have.items():
            if rule not in wanted or _on_any(rule, name, rebuilt):
                drops.append(Step(f"drop rule {rule} on {name}: {sql}",
                                  on_table(ops.DropConstraintOp(rule, name, type_="check"))))
        for rule, check in wanted.items():
            if rule not in have or _on_any(rule, name, rebuilt):
                col = check.info["column"]
                counted = col in columns and col not in rebuilt
                adds.append(_add(conn, name, rule, check, counted))
    return drops, adds


def _on_any(rule: str, table: str, columns: set[str]) -> bool:
    """Whether a rule (named ``ck_<table>_<column>_<hash>``) belongs to one of ``columns``."""
    stem = _HASH.sub("", rule)
    return any(f"ck_{table}_{col}"[:MAX_NAME - 9] == stem for col in columns)


def _add(conn: Connection, name: str, rule: str, check: CheckConstraint, counted: bool) -> Step:
    sql = str(check.sqltext)
    col = check.info["column"]
    create = ops.CreateCheckConstraintOp(rule, name, sql)
    text_ = f"add rule on {name}.{col}: {sql}"
    broken = count(conn, name, lambda t: text(f"NOT ({sql})")) if counted else 0
    if not broken:
        return Step(text_, on_table(create))
    if not check.table.c[col].nullable:  # type: ignore[attr-defined]
        return Step(text_, blocked=f"{broken} records break it; correct them first")

    def clear(m: Migrator) -> None:
        t = m.schema.metadata.tables[name]
        m.conn.execute(update(t).where(text(f"NOT ({sql})")).values({col: None}))
        on_table(create)(m)
    return Step(text_, clear, loss=f"{broken} values that break it",
                export=Export(name, (col,), lambda t: text(f"NOT ({sql})"), col))
