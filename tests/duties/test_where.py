"""A schedule's `where` selects in SQL exactly the entries the expression language would."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Boolean, Column, Integer, MetaData, String, Table, create_engine, select

from gridwork.config.expressions import parse_expression
from gridwork.config.sql import NotInSQL, condition

ROWS = [
    {"id": 1, "grade": "A", "flag": True, "status": "open", "size": 5},
    {"id": 2, "grade": "B", "flag": False, "status": "closed", "size": 50},
    {"id": 3, "grade": None, "flag": None, "status": None, "size": None},
    {"id": 4, "grade": "C", "flag": True, "status": "", "size": 0},
]


@pytest.mark.parametrize("source", [
    "grade in ['A', 'B']", "grade not in ['A']", "status != 'closed'", "grade == 'C'",
    "flag", "not flag", "flag == true", "flag != true", "size > 3", "3 < size",
    "size <= 5 and grade != 'A'", "grade == null", "status != null or flag",
    "not (grade in ['A', 'C'] or status == 'closed')", "not (grade in ['A'])",
])
def test_sql_selects_what_the_expression_says(source: str) -> None:
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True),
                  Column("grade", String), Column("flag", Boolean), Column("status", String),
                  Column("size", Integer))
    engine = create_engine("sqlite://")
    table.metadata.create_all(engine)
    expression = parse_expression(source)
    with engine.begin() as conn:
        conn.execute(table.insert(), ROWS)
        chosen = set(conn.execute(select(table.c.id).where(condition(expression, table)))
                     .scalars())
    assert chosen == {row["id"] for row in ROWS if _holds(expression, row)}


def _holds(expression: Any, row: dict[str, Any]) -> bool:
    """What the language says of an entry; comparing a missing number fails, so no."""
    try:
        return bool(expression.evaluate(row))
    except TypeError:
        return False


def test_what_sql_cannot_say_is_refused_by_name() -> None:
    table = Table("t", MetaData(), Column("id", Integer), Column("born", String))
    with pytest.raises(NotInSQL, match="days_between"):
        condition(parse_expression("days_between(born, today()) > 3"), table)
