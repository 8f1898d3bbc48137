"""The expression language's own functions (`len`, `days_between`, `id_card_sex`, …),
offered through `gridwork_expression_functions` like a plugin's, so the runtime's
catalogue and `gridwork check` list them with the plugins' (and a plugin may override
one by name)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .config.expressions import BUILTIN_FUNCTIONS
from .plugins import hookimpl


@hookimpl
def gridwork_expression_functions() -> dict[str, Callable[..., Any]]:
    """The built-in functions by name."""
    return dict(BUILTIN_FUNCTIONS)
