"""A text that matches a field's `pattern`, so a refusal can show the shape it wants
("e.g. 42010201") rather than the regular expression itself."""

from __future__ import annotations

import re
from functools import cache
from itertools import count
from typing import Any

from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]

_LETTERS = "abcdefghijklmnopqrstuvwxyz"


class _Unsupported(Exception):
    """A construct (a back reference, a look-around) an example cannot be built from."""


@cache
def pattern_example(pattern: str) -> str | None:
    """A short text the whole of which ``pattern`` matches, or None when none is found."""
    try:
        parsed = sre_parse.parse(pattern)
        text = _Builder().items(parsed)
    except (_Unsupported, re.error, RecursionError, ValueError):
        return None
    return text if text and re.fullmatch(pattern, text) else None


class _Builder:
    """Walks a parsed pattern; digits run 1, 2, 3… and letters a, b, c… so that an example
    reads as one (`420102`, not `000000`)."""

    def __init__(self) -> None:
        self._digits = count(1)
        self._letters = count(0)

    def digit(self) -> str:
        return str(next(self._digits) % 10)

    def letter(self) -> str:
        return _LETTERS[next(self._letters) % 26]

    def items(self, items: Any) -> str:
        return "".join(self.item(op, arg) for op, arg in items)

    def item(self, op: Any, arg: Any) -> str:
        if op is sre.LITERAL:
            return chr(arg)
        if op is sre.NOT_LITERAL:
            return "a" if chr(arg) != "a" else "b"
        if op is sre.ANY:
            return self.letter()
        if op is sre.AT:
            return ""
        if op is sre.IN:
            return self.one_of(arg)
        if op is sre.CATEGORY:
            return self.category(arg)
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, getattr(sre, "POSSESSIVE_REPEAT", None)):
            low, _high, sub = arg
            return "".join(self.items(sub) for _ in range(low))
        if op is sre.SUBPATTERN:
            return self.items(arg[-1])
        if op is sre.ATOMIC_GROUP:
            return self.items(arg)
        if op is sre.BRANCH:
            return self.items(arg[1][0])
        raise _Unsupported(str(op))

    def category(self, name: Any) -> str:
        if name is sre.CATEGORY_DIGIT:
            return self.digit()
        if name is sre.CATEGORY_WORD:
            return self.letter()
        if name is sre.CATEGORY_SPACE:
            return " "
        if name is sre.CATEGORY_NOT_DIGIT:
            return self.letter()
        if name in (sre.CATEGORY_NOT_SPACE, sre.CATEGORY_NOT_WORD):
            return "-" if name is sre.CATEGORY_NOT_WORD else self.letter()
        raise _Unsupported(str(name))

    def one_of(self, members: Any) -> str:
        if members and members[0][0] is sre.NEGATE:
            raise _Unsupported("negated set")
        op, arg = members[0]
        if op is sre.RANGE:
            low, high = arg
            if low <= ord("0") and ord("9") <= high or (ord("0") <= low and high <= ord("9")):
                digit = self.digit()
                return digit if low <= ord(digit) <= high else chr(low)
            return chr(low)
        return self.item(op, arg)
