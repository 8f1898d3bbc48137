"""Translate between XLSForm's XPath expressions and gridwork's expression language.

Both directions go through Python's ``ast``: an XPath expression is parsed into the tree
gridwork's own expression would have, so ``${age} >= 18 and selected(${tags}, 'a')``
becomes ``age >= 18 and 'a' in (tags or [])``. What has no counterpart on the other
side raises `Untranslatable` with the reason.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping

_TOKEN_RE = re.compile(r"""\s*(?:
    (?P<ref>\$\{(?P<refname>[^}\s]+)\})
  | (?P<str>'[^']*'|"[^"]*")
  | (?P<num>\d+(?:\.\d+)?|\.\d+)
  | (?P<parent>\.\./(?P<parentname>[A-Za-z_][\w.-]*))
  | (?P<op><=|>=|!=|=|<|>|\+|-|\*|\(|\)|,)
  | (?P<self>\.)
  | (?P<word>[A-Za-z_][\w.-]*)
)""", re.VERBOSE)

_COMPARE = {"=": ast.Eq, "!=": ast.NotEq, "<": ast.Lt, "<=": ast.LtE, ">": ast.Gt,
            ">=": ast.GtE}
_XPATH_COMPARE = {ast.Eq: "=", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">",
                  ast.GtE: ">="}
_ARITHMETIC = {"+": ast.Add, "-": ast.Sub, "*": ast.Mult, "div": ast.Div, "mod": ast.Mod}
_XPATH_ARITHMETIC = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "div", ast.Mod: "mod"}
_SAME_CALLS = ("today", "now", "int", "round", "abs")
"""Functions both languages have under the same name."""


class Untranslatable(ValueError):
    """An expression that has no counterpart in the other language."""


Types = Mapping[str, str]
"""Field name → gridwork field type, for what ``selected()`` and yes/no mean."""


# --- XLSForm → gridwork ---------------------------------------------------------------


def from_xpath(text: str, types: Types, current: str | None = None) -> str:
    """The gridwork expression of an XLSForm expression; ``current`` is what ``.`` reads."""
    return _unparse(_fold(_Parser(text, types, current).parse()))


def tidy(source: str) -> str:
    """A gridwork expression written with only the brackets it needs."""
    return _unparse(ast.parse(source.strip(), mode="eval").body)


def _unparse(node: ast.expr) -> str:
    """``ast.unparse``, but ``a or b or c or d`` without brackets around its later terms
    (``ast.unparse`` raises the precedence with each term of a long and/or)."""
    if isinstance(node, ast.BoolOp):
        joiner = " and " if isinstance(node.op, ast.And) else " or "
        return joiner.join(f"({_unparse(v)})" if isinstance(v, (ast.BoolOp, ast.IfExp))
                           else _unparse(v) for v in node.values)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = _unparse(node.operand)
        return f"not ({inner})" if isinstance(node.operand, ast.BoolOp) else f"not {inner}"
    return ast.unparse(node)


class _Parser:
    """Recursive descent over XPath's precedence: or, and, equality, relational,
    additive, multiplicative, unary minus, then calls, references and literals."""

    def __init__(self, text: str, types: Types, current: str | None) -> None:
        self.tokens: list[tuple[str, str]] = []
        self.types, self.current = types, current
        position, text = 0, text.strip()
        while position < len(text):
            match = _TOKEN_RE.match(text, position)
            if not match or match.end() == position:
                raise Untranslatable(f"cannot read '{text[position:]}'")
            kind = match.lastgroup or ""
            value = match.group(kind)
            if kind == "ref":
                value = match.group("refname")
            elif kind == "parent":
                kind, value = "ref", match.group("parentname")
            self.tokens.append((kind, value))
            position = match.end()
        self.at = 0

    def parse(self) -> ast.expr:
        if not self.tokens:
            raise Untranslatable("the expression is empty")
        node = self._or()
        if self.at < len(self.tokens):
            raise Untranslatable(f"unexpected '{self.tokens[self.at][1]}'")
        _no_stray_dates(node)
        return node

    def _peek(self) -> tuple[str, str]:
        return self.tokens[self.at] if self.at < len(self.tokens) else ("end", "")

    def _take(self, value: str) -> bool:
        if self._peek()[1] == value and self._peek()[0] in ("op", "word"):
            self.at += 1
            return True
        return False

    def _expect(self, value: str) -> None:
        if not self._take(value):
            raise Untranslatable(f"expected '{value}' before '{self._peek()[1] or 'the end'}'")

    def _or(self) -> ast.expr:
        values = [self._and()]
        while self._take("or"):
            values.append(self._and())
        return values[0] if len(values) == 1 else ast.BoolOp(ast.Or(), values)

    def _and(self) -> ast.expr:
        values = [self._equality()]
        while self._take("and"):
            values.append(self._equality())
        return values[0] if len(values) == 1 else ast.BoolOp(ast.And(), values)

    def _equality(self) -> ast.expr:
        return self._comparison(("=", "!="), self._relational)

    def _relational(self) -> ast.expr:
        return self._comparison(("<", "<=", ">", ">="), self._additive)

    def _comparison(self, ops: tuple[str, ...], operand: object) -> ast.expr:
        left = operand()  # type: ignore[operator]
        while self._peek()[0] == "op" and self._peek()[1] in ops:
            op = self.tokens[self.at][1]
            self.at += 1
            right = operand()  # type: ignore[operator]
            left = self._compare(left, op, right)
        return left  # type: ignore[no-any-return]

    def _compare(self, left: ast.expr, op: str, right: ast.expr) -> ast.expr:
        """``x = ''`` is a test for an empty answer; a yes/no field compares with
        true and false."""
        left, right = self._yes_no(left, right), self._yes_no(right, left)
        return ast.Compare(left, [_COMPARE[op]()], [right])

    def _yes_no(self, node: ast.expr, other: ast.expr) -> ast.expr:
        if (isinstance(node, ast.Constant) and node.value in ("yes", "no")
                and isinstance(other, ast.Name) and self.types.get(other.id) == "boolean"):
            return ast.Name("true" if node.value == "yes" else "false")
        return node

    def _additive(self) -> ast.expr:
        return self._arithmetic(("+", "-"), self._multiplicative)

    def _multiplicative(self) -> ast.expr:
        return self._arithmetic(("*", "div", "mod"), self._unary)

    def _arithmetic(self, ops: tuple[str, ...], operand: object) -> ast.expr:
        left = operand()  # type: ignore[operator]
        while self._peek()[1] in ops and self._peek()[0] in ("op", "word"):
            op = self.tokens[self.at][1]
            self.at += 1
            right = operand()  # type: ignore[operator]
            days = _days_between(left, right) if op == "-" else None
            left = days or ast.BinOp(left, _ARITHMETIC[op](), right)
        return left  # type: ignore[no-any-return]

    def _unary(self) -> ast.expr:
        if self._take("-"):
            return ast.UnaryOp(ast.USub(), self._unary())
        return self._primary()

    def _primary(self) -> ast.expr:
        kind, value = self._peek()
        self.at += 1
        if kind == "ref":
            return ast.Name(value)
        if kind == "self":
            if self.current is None:
                raise Untranslatable("'.' (this question's value) is allowed only in a constraint")
            return ast.Name(self.current)
        if kind == "str":
            # The empty text is how XPath says "no answer".
            return ast.Constant(value[1:-1]) if len(value) > 2 else ast.Name("null")
        if kind == "num":
            return ast.Constant(float(value) if "." in value else int(value))
        if kind == "op" and value == "(":
            node = self._or()
            self._expect(")")
            return node
        if kind == "word" and self._take("("):
            args: list[ast.expr] = []
            if not self._take(")"):
                args.append(self._or())
                while self._take(","):
                    args.append(self._or())
                self._expect(")")
            return self._call(value, args)
        if kind == "word":
            raise Untranslatable(f"the path '{value}' is not a reference; write ${{{value}}}")
        raise Untranslatable(f"unexpected '{value or 'end of the expression'}'")

    def _call(self, name: str, args: list[ast.expr]) -> ast.expr:
        def arity(count: int) -> None:
            if len(args) != count:
                raise Untranslatable(f"{name}() takes {count} argument(s)")

        if name in ("true", "false"):
            arity(0)
            return ast.Name(name)
        if name == "not":
            arity(1)
            return ast.UnaryOp(ast.Not(), args[0])
        if name == "selected":
            arity(2)
            field, code = args
            if isinstance(field, ast.Name) and self.types.get(field.id) == "multichoice":
                return ast.Compare(code, [ast.In()], [_or_empty(field, ast.List([]))])
            return self._compare(field, "=", code)
        if name == "count-selected":
            arity(1)
            return ast.Call(ast.Name("len"), [_or_empty(args[0], ast.List([]))], [])
        if name == "string-length":
            arity(1)
            return ast.Call(ast.Name("len"), [_or_empty(args[0], ast.Constant(""))], [])
        if name == "if":
            arity(3)
            return ast.IfExp(args[0], args[1], args[2])
        if name == "decimal-date-time":
            arity(1)
            return ast.Call(ast.Name("decimal-date-time"), args, [])
        if name in _SAME_CALLS:
            return ast.Call(ast.Name(name), args, [])
        raise Untranslatable(f"the function {name}() has no gridwork counterpart")


def _or_empty(node: ast.expr, empty: ast.expr) -> ast.expr:
    return ast.BoolOp(ast.Or(), [node, empty])


def _days_between(left: ast.expr, right: ast.expr) -> ast.expr | None:
    """``decimal-date-time(b) - decimal-date-time(a)`` counts the days from a to b."""
    if all(isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
           and n.func.id == "decimal-date-time" for n in (left, right)):
        return ast.Call(ast.Name("days_between"),
                        [right.args[0], left.args[0]], [])  # type: ignore[attr-defined]
    return None


def _no_stray_dates(node: ast.expr) -> None:
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and child.id == "decimal-date-time":
            raise Untranslatable("decimal-date-time() is carried only as the difference "
                                 "of two dates (days_between)")


def _fold(node: ast.expr) -> ast.expr:
    """Write ``x = 'a' or x = 'b'`` as ``x in ['a', 'b']`` and ``not (x in L)`` as
    ``x not in L``, the way a config says them."""
    for parent in ast.walk(node):
        for name, value in ast.iter_fields(parent):
            if isinstance(value, ast.AST):
                setattr(parent, name, _fold_one(value))  # type: ignore[arg-type]
            elif isinstance(value, list):
                setattr(parent, name, [_fold_one(v) if isinstance(v, ast.expr) else v
                                       for v in value])
    return _fold_one(node)


def _fold_one(node: ast.expr) -> ast.expr:
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
        names = {_equals_name(v) for v in node.values}
        name = names.pop() if len(names) == 1 else None
        if name is not None and len(node.values) > 1:
            codes = [v.comparators[0] for v in node.values if isinstance(v, ast.Compare)]
            return ast.Compare(ast.Name(name), [ast.In()], [ast.List(codes)])
    if (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)
            and isinstance(node.operand, ast.Compare) and len(node.operand.ops) == 1
            and isinstance(node.operand.ops[0], ast.In)
            and isinstance(node.operand.comparators[0], ast.List)):
        return ast.Compare(node.operand.left, [ast.NotIn()], node.operand.comparators)
    return node


def _equals_name(node: ast.expr) -> str | None:
    if (isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.Eq)
            and isinstance(node.left, ast.Name) and isinstance(node.comparators[0], ast.Constant)):
        return node.left.id
    return None


# --- gridwork → XLSForm ---------------------------------------------------------------


def to_xpath(source: str, types: Types, current: str | None = None) -> str:
    """The XLSForm expression of a gridwork expression; ``current`` is written as ``.``."""
    try:
        tree = ast.parse(source.strip(), mode="eval").body
    except SyntaxError as err:
        raise Untranslatable(f"invalid expression: {err.msg}") from None
    return _Writer(types, current).write(tree)


def same_expression(first: str, second: str) -> bool:
    """Whether two gridwork expressions parse to the same tree (spacing and brackets aside)."""
    try:
        return ast.dump(ast.parse(first.strip(), mode="eval")) == ast.dump(
            ast.parse(second.strip(), mode="eval"))
    except SyntaxError:
        return False


class _Writer:
    def __init__(self, types: Types, current: str | None) -> None:
        self.types, self.current = types, current

    def write(self, node: ast.expr) -> str:
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            raise Untranslatable(f"{type(node).__name__} has no XLSForm counterpart")
        return method(node)  # type: ignore[no-any-return]

    def _wrap(self, node: ast.expr) -> str:
        text = self.write(node)
        return f"({text})" if isinstance(node, (ast.BoolOp, ast.BinOp, ast.Compare,
                                                ast.IfExp)) else text

    def _Name(self, node: ast.Name) -> str:
        if node.id in ("true", "false"):
            return f"{node.id}()"
        if node.id in ("null", "none"):
            return "''"
        if node.id not in self.types:
            raise Untranslatable(f"'{node.id}' is not a question of the form")
        return "." if node.id == self.current else f"${{{node.id}}}"

    def _Constant(self, node: ast.Constant) -> str:
        value = node.value
        if isinstance(value, bool):
            return "true()" if value else "false()"
        if value is None:
            return "''"
        if isinstance(value, str):
            if "'" in value and '"' in value:
                raise Untranslatable("a text holding both kinds of quote")
            return f'"{value}"' if "'" in value else f"'{value}'"
        return repr(value)

    def _BoolOp(self, node: ast.BoolOp) -> str:
        joiner = " and " if isinstance(node.op, ast.And) else " or "
        return joiner.join(self._wrap(value) for value in node.values)

    def _UnaryOp(self, node: ast.UnaryOp) -> str:
        if isinstance(node.op, ast.Not):
            return f"not({self.write(node.operand)})"
        if isinstance(node.op, ast.USub):
            return f"-{self._wrap(node.operand)}"
        raise Untranslatable("unary + has no XLSForm counterpart")

    def _BinOp(self, node: ast.BinOp) -> str:
        op = _XPATH_ARITHMETIC.get(type(node.op))
        if op is None:
            raise Untranslatable(f"{type(node.op).__name__} has no XLSForm counterpart")
        return f"{self._wrap(node.left)} {op} {self._wrap(node.right)}"

    def _IfExp(self, node: ast.IfExp) -> str:
        return f"if({self.write(node.test)}, {self.write(node.body)}, {self.write(node.orelse)})"

    def _Compare(self, node: ast.Compare) -> str:
        parts, left = [], node.left
        for op, right in zip(node.ops, node.comparators, strict=True):
            parts.append(self._compare_one(left, op, right))
            left = right
        return " and ".join(f"({p})" for p in parts) if len(parts) > 1 else parts[0]

    def _compare_one(self, left: ast.expr, op: ast.cmpop, right: ast.expr) -> str:
        if isinstance(op, (ast.In, ast.NotIn)):
            text = self._membership(left, right)
            return f"not({text})" if isinstance(op, ast.NotIn) else text
        if isinstance(op, (ast.Is, ast.IsNot)):
            op = ast.Eq() if isinstance(op, ast.Is) else ast.NotEq()
        return (f"{self._operand(left, right)} {_XPATH_COMPARE[type(op)]} "
                f"{self._operand(right, left)}")

    def _operand(self, node: ast.expr, other: ast.expr) -> str:
        """A yes/no field's answer is the text 'yes' or 'no'."""
        if (isinstance(other, ast.Name) and self.types.get(other.id) == "boolean"
                and (isinstance(node, ast.Name) and node.id in ("true", "false")
                     or isinstance(node, ast.Constant) and isinstance(node.value, bool))):
            truth = node.id == "true" if isinstance(node, ast.Name) else node.value
            return "'yes'" if truth else "'no'"
        return self._wrap(node)

    def _membership(self, left: ast.expr, right: ast.expr) -> str:
        field = _unwrap_or_empty(right)
        if isinstance(field, ast.Name) and self.types.get(field.id) == "multichoice":
            return f"selected({self.write(field)}, {self.write(left)})"
        if isinstance(right, (ast.List, ast.Tuple)) and right.elts:
            return " or ".join(f"{self._wrap(left)} = {self._operand(item, left)}"
                               for item in right.elts)
        raise Untranslatable("'in' is carried only for a multiple choice or a list")

    def _Call(self, node: ast.Call) -> str:
        name = node.func.id if isinstance(node.func, ast.Name) else ""
        args = node.args
        if name == "len" and len(args) == 1:
            field = _unwrap_or_empty(args[0])
            if isinstance(field, ast.Name) and self.types.get(field.id) == "multichoice":
                return f"count-selected({self.write(field)})"
            return f"string-length({self.write(field)})"
        if name == "days_between" and len(args) == 2:
            return (f"(decimal-date-time({self.write(args[1])}) - "
                    f"decimal-date-time({self.write(args[0])}))")
        if name in _SAME_CALLS:
            return f"{name}({', '.join(self.write(a) for a in args)})"
        raise Untranslatable(f"the function {name}() has no XLSForm counterpart")

    def _List(self, node: ast.List) -> str:
        raise Untranslatable("a list has no XLSForm counterpart")


def _unwrap_or_empty(node: ast.expr) -> ast.expr:
    """``x or []`` (a multiple choice that may be empty) stands for ``x``."""
    if (isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or) and len(node.values) == 2
            and isinstance(node.values[1], (ast.List, ast.Constant))):
        return node.values[0]
    return node
