"""The one place a message for a user is made, so the web layer can translate it (Babel) later."""

from __future__ import annotations

from typing import Any

REQUIRED = "required"
SINGLE_VALUE = "a single value is needed"


def message(text: str, /, **params: Any) -> str:
    """Return ``text`` for the user, with ``{name}`` placeholders filled from ``params``."""
    return text.format(**params) if params else text
