"""Helpers the form model tests share: a posted form and a fixed date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

from gridwork.config.expressions import BUILTIN_FUNCTIONS

TODAY = dt.date(2026, 3, 15)
FUNCTIONS = {**BUILTIN_FUNCTIONS, "today": lambda: TODAY}
"""Expression functions with a fixed date, as the injectable clock will give them."""

ID_CARD = "11010519491231002X"
CREDIT_CODE = "91110000600037341L"
PHONE = "13800138000"


class FormData(Mapping[str, Any]):
    """A posted form as Starlette gives it: repeated keys, the last one wins on lookup."""

    def __init__(self, items: list[tuple[str, Any]]) -> None:
        self._items = items

    def getlist(self, key: str) -> list[Any]:
        """Every value posted under ``key``."""
        return [value for name, value in self._items if name == key]

    def __getitem__(self, key: str) -> Any:
        values = self.getlist(key)
        if not values:
            raise KeyError(key)
        return values[-1]

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(name for name, _ in self._items))

    def __len__(self) -> int:
        return len({name for name, _ in self._items})
