"""What a question's cells mean as field options: the bounds a constraint states, a default.

A constraint ``. >= 0 and . <= 120 and regex(., '[0-9]+')`` says what gridwork writes as
``min``, ``max`` and ``pattern``; only the rest of it needs a rule.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from .xlsform_types import BOOLEAN_CHOICES

_BOUND_RE = re.compile(r"^\.\s*(>=|<=)\s*(.+)$")
_LENGTH_RE = re.compile(r"^string-length\(\s*\.\s*\)\s*(>=|<=)\s*(\d+)$")
_REGEX_RE = re.compile(r"""^regex\(\s*\.\s*,\s*(?:'([^']*)'|"([^"]*)")\s*\)$""")
_DATE_RE = re.compile(r"""^date\(\s*['"](\d{4}-\d{2}-\d{2})['"]\s*\)$""")
_NUMBER_RE = re.compile(r"^-?\d+(\.\d+)?$")
_ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_RANGED = ("integer", "decimal", "date", "datetime")
_TEXTUAL = ("text", "textarea", "phone", "email", "id_card", "credit_code")


def conjuncts(text: str) -> list[str]:
    """Split at each ``and`` outside brackets and quotes."""
    parts, depth, quote, start = [], 0, "", 0
    index = 0
    while index < len(text):
        char = text[index]
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif depth == 0 and text.startswith(" and ", index):
            parts.append(text[start:index])
            start = index + 5
            index += 4
        index += 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def take_bound(part: str, spec: dict[str, Any]) -> bool:
    """Set the field option a constraint part states (``. >= 0``, ``string-length(.) <= 30``,
    ``regex(., '…')``); False when the part is not one of those."""
    kind = spec["type"]
    match = _BOUND_RE.match(part)
    if match and kind in _RANGED:
        op, value = match.groups()
        key = "min" if op == ">=" else "max"
        value = value.strip()
        date = _DATE_RE.match(value)
        if value == "today()" and kind in ("date", "datetime"):
            spec[key] = "today"
        elif value == "now()" and kind == "datetime":
            spec[key] = "now"
        elif date and kind in ("date", "datetime"):
            spec[key] = dt.date.fromisoformat(date.group(1))
        elif _NUMBER_RE.match(value) and kind in ("integer", "decimal"):
            spec[key] = float(value) if "." in value else int(value)
        else:
            return False
        return True
    match = _LENGTH_RE.match(part)
    if match and kind in _TEXTUAL:
        spec["min_length" if match.group(1) == ">=" else "max_length"] = int(match.group(2))
        return True
    match = _REGEX_RE.match(part)
    if match and kind in _TEXTUAL:
        spec["pattern"] = match.group(1) if match.group(1) is not None else match.group(2)
        return True
    return False


def default_value(value: str, kind: str) -> Any:
    """The config value of an XLSForm default; ValueError for an expression."""
    if "${" in value or "(" in value:
        raise ValueError(f"'{value}' is an expression; only a plain value can be carried")
    if kind == "boolean":
        return value == BOOLEAN_CHOICES[0]
    if kind == "multichoice":
        return value.split()
    if kind == "integer" and _NUMBER_RE.match(value) and "." not in value:
        return int(value)
    if kind == "decimal" and _NUMBER_RE.match(value):
        return float(value)
    if kind == "date" and _ISO_DATE_RE.match(value):
        return dt.date.fromisoformat(value)
    return value
