"""A config expression as SQL over a register's table: the `where:` and `of:` of metrics,
a schedule's `where` and `fill`, so that counting and generation run in the database, never
row by row in Python.

Only what SQL can say the same way as the expression language is translated: comparisons,
`in`, `and`, `or`, `not`, arithmetic, `x or default` and `a if c else b` over columns and
constants. A missing value is unequal to every value (`status != 'closed'` holds for a row
with no status) and a bare name is true when the field is set and truthy, as in Python.
Anything else is refused with what to write instead."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, case, false, func, literal, not_, null, or_, true

from .expressions import CONSTANTS, Expression


class NotInSQL(ValueError):
    """An expression SQL cannot say as the expression language means it."""


_COMPARE = {ast.Eq: "__eq__", ast.NotEq: "__ne__", ast.Lt: "__lt__", ast.LtE: "__le__",
            ast.Gt: "__gt__", ast.GtE: "__ge__"}
_ARITHMETIC = {ast.Add: "__add__", ast.Sub: "__sub__", ast.Mult: "__mul__",
               ast.Div: "__truediv__"}


def condition(expression: Expression, table: Table) -> ColumnElement[bool]:
    """``expression`` as a WHERE condition over ``table`` (unknown names read as null)."""
    return _Translator(table, expression.source).condition(expression.tree.body)


def value(expression: Expression, table: Table,
          names: Mapping[str, ColumnElement[Any]] | None = None) -> ColumnElement[Any]:
    """``expression`` as a value computed from the columns of ``table`` (and ``names``,
    which stand for values other than the table's columns)."""
    return _Translator(table, expression.source, names).value(expression.tree.body)


class _Translator:
    def __init__(self, table: Table, source: str,
                 names: Mapping[str, ColumnElement[Any]] | None = None) -> None:
        self.table = table
        self.source = source
        self.names = names or {}

    def refuse(self, node: ast.AST, why: str) -> NotInSQL:
        return NotInSQL(f"'{ast.unparse(node)}' in \"{self.source.strip()}\": {why}")

    def condition(self, node: ast.expr) -> ColumnElement[bool]:
        if isinstance(node, ast.BoolOp):
            parts = [self.condition(value) for value in node.values]
            return and_(*parts) if isinstance(node.op, ast.And) else or_(*parts)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            # Python's `not` of a missing value is true; SQL's NOT NULL is unknown.
            return not_(func.coalesce(self.condition(node.operand), false()))
        if isinstance(node, ast.Compare):
            if len(node.ops) != 1:
                raise self.refuse(node, "write chained comparisons with 'and'")
            return self.compare(node.left, node.ops[0], node.comparators[0])
        if isinstance(node, ast.Name):
            if node.id in CONSTANTS:
                return true() if CONSTANTS[node.id] else false()
            return _truthy(self.column(node))
        if isinstance(node, ast.Constant) and isinstance(node.value, bool):
            return true() if node.value else false()
        raise self.refuse(node, "a condition must be a comparison, 'and', 'or', 'not' "
                          "or a yes/no field")

    def compare(self, left: ast.expr, op: ast.cmpop, right: ast.expr) -> ColumnElement[bool]:
        if isinstance(op, ast.In | ast.NotIn):
            if not isinstance(right, ast.List | ast.Tuple | ast.Set):
                raise self.refuse(right, "'in' needs a list of values, e.g. ['A', 'B']")
            values = [self.constant(item) for item in right.elts]
            column = self.value(left)
            if isinstance(op, ast.In):
                return column.in_(values)
            return or_(column.is_(None), column.not_in(values))
        if isinstance(op, ast.Is | ast.IsNot):
            op = ast.Eq() if isinstance(op, ast.Is) else ast.NotEq()
        if _is_null(right) or _is_null(left):
            other = left if _is_null(right) else right
            value = self.value(other)
            return value.is_(None) if isinstance(op, ast.Eq) else value.is_not(None)
        name = _COMPARE.get(type(op))
        if name is None:
            raise self.refuse(right, "unsupported comparison")
        a, b = self.value(left), self.value(right)
        compared: ColumnElement[bool] = getattr(a, name)(b)
        if isinstance(op, ast.NotEq):
            # Python: a missing value differs from any text; SQL: unknown.
            return or_(a.is_(None), b.is_(None), compared) if not _constant(left) else or_(
                b.is_(None), compared)
        return compared

    def value(self, node: ast.expr) -> ColumnElement[Any]:
        if isinstance(node, ast.Name):
            if node.id in CONSTANTS:
                return null() if CONSTANTS[node.id] is None else literal(CONSTANTS[node.id])
            return self.column(node)
        if isinstance(node, ast.Constant):
            return literal(node.value)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -self.value(node.operand)
        if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
            return getattr(self.value(node.left), _ARITHMETIC[type(node.op)])(
                self.value(node.right))
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            # `deaths or 0`: the first value that is there.
            return func.coalesce(*(self.value(value) for value in node.values))
        if isinstance(node, ast.IfExp):
            return case((self.condition(node.test), self.value(node.body)),
                        else_=self.value(node.orelse))
        if isinstance(node, ast.Compare | ast.BoolOp | ast.UnaryOp):
            return self.condition(node)
        raise self.refuse(node, "only fields, constants and + - * / can be computed in SQL")

    def constant(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name) and node.id in CONSTANTS:
            return CONSTANTS[node.id]
        raise self.refuse(node, "a list after 'in' holds constants only")

    def column(self, node: ast.Name) -> ColumnElement[Any]:
        if node.id in self.names:
            return self.names[node.id]
        if node.id not in self.table.c:
            raise self.refuse(node, f"no column '{node.id}' in table {self.table.name} "
                              "(a field of several columns cannot be compared)")
        return self.table.c[node.id]


def _truthy(column: ColumnElement[Any]) -> ColumnElement[bool]:
    """Python's truth of a field: set, and not false, zero or empty text."""
    try:
        kind = column.type.python_type
    except NotImplementedError:
        kind = object
    if kind is bool:
        return and_(column.is_not(None), column == true())
    if kind in (int, float):
        return and_(column.is_not(None), column != 0)
    if kind is str:
        return and_(column.is_not(None), column != literal(""))
    return column.is_not(None)


def _is_null(node: ast.expr) -> bool:
    return (isinstance(node, ast.Name) and node.id in CONSTANTS and CONSTANTS[node.id] is None) \
        or (isinstance(node, ast.Constant) and node.value is None)


def _constant(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) or (isinstance(node, ast.Name) and node.id in CONSTANTS)
