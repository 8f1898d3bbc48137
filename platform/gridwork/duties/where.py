"""A schedule's `where` as a SQL condition on its register's table, so that generation
selects entries in the database instead of reading them into Python.

The condition keeps the expression language's meaning where SQL's NULL would differ: a
missing value is unequal to every value (`status != 'closed'` holds for an entry with no
status), and a bare name is true when the field is set and truthy.
"""

from __future__ import annotations

import ast
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, false, literal, not_, or_, true

from ..config.expressions import CONSTANTS, Expression


class Unsupported(ValueError):
    """The expression uses something a SQL condition cannot say."""


def condition(expression: Expression, table: Table) -> ColumnElement[bool]:
    """The SQL condition ``expression`` states over the columns of ``table``."""
    return _bool(expression.tree.body, table)


def _bool(node: ast.AST, table: Table) -> ColumnElement[bool]:
    if isinstance(node, ast.BoolOp):
        parts = [_bool(value, table) for value in node.values]
        return and_(*parts) if isinstance(node.op, ast.And) else or_(*parts)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return not_(_bool(node.operand, table))
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        return _compare(node.left, node.ops[0], node.comparators[0], table)
    if isinstance(node, ast.Name) and node.id not in CONSTANTS:
        column = _column(node, table)
        return and_(column.is_not(None), column == true()) if _boolean(column) else and_(
            column.is_not(None), column != literal(""))
    if isinstance(node, ast.Constant) or (isinstance(node, ast.Name)):
        return true() if _constant(node) else false()
    raise Unsupported(f"'{ast.unparse(node)}' cannot select entries in SQL")


def _compare(left: ast.AST, op: ast.cmpop, right: ast.AST, table: Table) -> ColumnElement[bool]:
    if not isinstance(left, ast.Name) or left.id in CONSTANTS:
        left, right = right, left
        op = _MIRROR.get(type(op), op)
    if not isinstance(left, ast.Name) or left.id in CONSTANTS:
        raise Unsupported("a comparison selects entries by a field")
    column = _column(left, table)
    if isinstance(op, (ast.In, ast.NotIn)):
        if not isinstance(right, (ast.List, ast.Tuple, ast.Set)):
            raise Unsupported("'in' compares a field with a list")
        values = [_constant(item) for item in right.elts]
        if isinstance(op, ast.In):
            return column.in_(values)
        return or_(column.is_(None), column.not_in(values))
    value = _constant(right)
    if value is None:
        if isinstance(op, (ast.Eq, ast.Is)):
            return column.is_(None)
        if isinstance(op, (ast.NotEq, ast.IsNot)):
            return column.is_not(None)
        raise Unsupported("only == and != compare with null")
    if isinstance(op, (ast.Eq, ast.Is)):
        return and_(column.is_not(None), column == value)
    if isinstance(op, (ast.NotEq, ast.IsNot)):
        return or_(column.is_(None), column != value)
    operators = {ast.Lt: column.__lt__, ast.LtE: column.__le__, ast.Gt: column.__gt__,
                 ast.GtE: column.__ge__}
    if type(op) in operators:
        return and_(column.is_not(None), operators[type(op)](value))
    raise Unsupported(f"'{ast.unparse(op)}' cannot select entries in SQL")  # type: ignore[arg-type]


_MIRROR: dict[type, ast.cmpop] = {ast.Lt: ast.Gt(), ast.Gt: ast.Lt(), ast.LtE: ast.GtE(),
                                  ast.GtE: ast.LtE()}


def _column(node: ast.Name, table: Table) -> Any:
    if node.id not in table.c:
        raise Unsupported(f"'{node.id}' is not a column of {table.name}")
    return table.c[node.id]


def _boolean(column: Any) -> bool:
    try:
        return column.type.python_type is bool
    except NotImplementedError:
        return False


def _constant(node: ast.AST) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name) and node.id in CONSTANTS:
        return CONSTANTS[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_constant(node.operand)
    raise Unsupported(f"'{ast.unparse(node)}' is not a constant")
