"""One safe expression language for show_if, guards, routing, computed fields, selectors, scores.

Expressions are parsed once, when the config loads: syntax errors and forbidden
constructs are config errors, and the names an expression reads are known up front
so ``gridwork check`` can compare them with the fields in scope. Evaluation goes
through simpleeval with the already-parsed tree; nothing is re-parsed per record.
"""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError
from simpleeval import EvalWithCompoundTypes
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

_ALLOWED_NODES = (
    ast.Expression, ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.Compare, ast.IfExp, ast.Call,
    ast.Constant, ast.Name, ast.Load, ast.List, ast.Tuple, ast.Set, ast.Subscript, ast.Slice,
    ast.And, ast.Or, ast.Not, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Mod, ast.FloorDiv,
    ast.Pow, ast.USub, ast.UAdd, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE,
    ast.In, ast.NotIn, ast.Is, ast.IsNot,
)

CONSTANTS: dict[str, Any] = {"true": True, "false": False, "null": None, "none": None}


def _days_between(start: dt.date, end: dt.date) -> int:
    return (_as_date(end) - _as_date(start)).days


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _id_card_number(value: Any) -> str | None:
    """An 18-character ID-card number with a real birth date, compacted; else None."""
    if value is None:
        return None
    number = ric.compact(str(value))
    if len(number) != 18 or not number[:17].isdigit():
        return None
    try:
        ric.get_birth_date(number)
    except StdnumError:
        return None
    return str(number)


def _id_card_birth_date(value: Any) -> dt.date | None:
    """The birth date an 18-character ID-card number holds (characters 7-14); else null."""
    number = _id_card_number(value)
    return None if number is None else ric.get_birth_date(number)


def _id_card_sex(value: Any) -> str | None:
    """The sex an ID-card number holds, as GB/T 2261.1 codes it: '1' male (odd 17th
    digit), '2' female (even); else null."""
    number = _id_card_number(value)
    return None if number is None else ("1" if int(number[16]) % 2 else "2")


BUILTIN_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "len": len, "min": min, "max": max, "abs": abs, "round": round, "sum": sum,
    "int": int, "float": float, "str": str, "bool": bool, "any": any, "all": all,
    "today": dt.date.today, "now": lambda: dt.datetime.now().astimezone(),
    "days_between": _days_between,
    "id_card_birth_date": _id_card_birth_date, "id_card_sex": _id_card_sex,
}
"""Functions every expression may call; plugins add more through a hook."""


class ExpressionError(ValueError):
    """An expression that cannot be parsed; ``offset`` is the 0-based column in its text."""

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.offset = offset


@dataclass(frozen=True)
class Expression:
    """A parsed expression and the names it reads."""

    source: str
    tree: ast.Expression = field(repr=False, compare=False)
    names: tuple[tuple[str, int], ...] = ()
    """Each name the expression reads (not a function or constant), with its column."""
    calls: tuple[tuple[str, int], ...] = ()
    """Each function the expression calls, with its column."""

    def evaluate(
        self,
        values: Mapping[str, Any],
        functions: Mapping[str, Callable[..., Any]] | None = None,
    ) -> Any:
        """Evaluate against ``values`` (a record's fields); unknown names read as None.

        ``functions`` add to (or replace, by name) the built-ins, e.g. a ``today`` that
        reads the injectable clock.
        """
        names = dict(CONSTANTS)
        names.update({name: values.get(name) for name, _ in self.names})
        evaluator = EvalWithCompoundTypes(
            names=names, functions={**BUILTIN_FUNCTIONS, **(functions or {})}
        )
        return evaluator.eval(self.source, previously_parsed=self.tree.body)

    def compared(self) -> tuple[tuple[str, str, int], ...]:
        """Each text a name is compared with (``state == 'open'``, ``grade in ['A', 'B']``),
        as (name, text, column of the text), so a check can tell a misspelt code."""
        lead = len(self.source) - len(self.source.replace("\n", " ").lstrip())
        found: list[tuple[str, str, int]] = []
        for node in ast.walk(self.tree):
            if not isinstance(node, ast.Compare) or len(node.comparators) != 1:
                continue
            left, right = node.left, node.comparators[0]
            if isinstance(right, ast.Name) and isinstance(left, ast.Constant):
                left, right = right, left
            if not isinstance(left, ast.Name):
                continue
            items = right.elts if isinstance(right, (ast.List, ast.Tuple, ast.Set)) else [right]
            found.extend((left.id, item.value, lead + item.col_offset) for item in items
                         if isinstance(item, ast.Constant) and isinstance(item.value, str))
        return tuple(found)

    def __str__(self) -> str:
        return self.source


def parse_expression(value: Any) -> Expression:
    """Parse and vet an expression; raise ExpressionError pointing at the bad part."""
    if isinstance(value, Expression):
        return value
    if isinstance(value, bool):
        value = "true" if value else "false"
    if isinstance(value, (int, float)):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise ExpressionError("expected an expression, e.g. \"risk_grade in ['A', 'B']\"")
    source = value
    # A block scalar (`score: |`) keeps its line breaks; read them as spaces, which keeps
    # every column an offset into the whole text.
    flat = source.replace("\n", " ")
    try:
        tree = ast.parse(flat.strip(), mode="eval")
    except SyntaxError as err:
        offset = max((err.offset or 1) - 1, 0) + (len(flat) - len(flat.lstrip()))
        raise ExpressionError(f"invalid expression: {err.msg}", offset) from None
    names: list[tuple[str, int]] = []
    calls: list[tuple[str, int]] = []
    lead = len(flat) - len(flat.lstrip())
    for node in ast.walk(tree):
        col = lead + getattr(node, "col_offset", 0)
        if not isinstance(node, _ALLOWED_NODES):
            raise ExpressionError(f"{_describe(node)} is not allowed in an expression", col)
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.keywords:
                raise ExpressionError("only plain calls like len(x) are allowed", col)
            calls.append((node.func.id, col))
        elif isinstance(node, ast.Name) and node.id not in CONSTANTS:
            names.append((node.id, col))
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    names = [
        (name, col) for (name, col), node in zip(names, _names(tree), strict=True)
        if id(node) not in called
    ]
    return Expression(source=source, tree=tree, names=tuple(names), calls=tuple(calls))


def _names(tree: ast.AST) -> list[ast.Name]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id not in CONSTANTS]


def _describe(node: ast.AST) -> str:
    kinds = {
        ast.Attribute: "attribute access ('a.b')", ast.Lambda: "lambda",
        ast.ListComp: "a comprehension", ast.GeneratorExp: "a comprehension",
        ast.DictComp: "a comprehension", ast.SetComp: "a comprehension",
        ast.NamedExpr: "assignment (':=')", ast.Dict: "a mapping literal",
        ast.JoinedStr: "an f-string", ast.Await: "await",
    }
    return kinds.get(type(node), type(node).__name__)


def _validate(value: Any) -> Expression:
    try:
        return parse_expression(value)
    except ExpressionError as err:
        # Carry the column inside the expression to the error report.
        raise PydanticCustomError("expression", str(err), {"offset": err.offset}) from None


ExpressionType = Annotated[
    Expression,
    BeforeValidator(_validate),
    PlainSerializer(str),
    WithJsonSchema({"type": "string", "description": "A safe expression, e.g. risk_grade in ['A', 'B']"}),
]
