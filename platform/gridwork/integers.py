"""Whole numbers from outside (paths, query strings, forms, JSON bodies), read strictly.

`str.isdigit()` accepts characters `int()` refuses (`²`) and `int()` accepts digits of
other scripts (`١٢`); neither bounds the size, and a number past a column's range makes
the database raise. Everything a request sends goes through `parse_int` instead.
"""

from __future__ import annotations

import re

INT_MAX = 2**31 - 1
"""The largest value of an `Integer` column (32 bits on PostgreSQL): ids, versions."""
INT_MIN = -(2**31)
_DIGITS = re.compile(r"-?[0-9]{1,19}")


def parse_int(value: object, *, lo: int = INT_MIN, hi: int = INT_MAX) -> int | None:
    """``value`` as an int when it is one, or ASCII digits (an optional leading minus and
    blanks around), within ``lo``..``hi``; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _DIGITS.fullmatch(value.strip(" \t")):
        number = int(value.strip(" \t"))
    else:
        return None
    return number if lo <= number <= hi else None
