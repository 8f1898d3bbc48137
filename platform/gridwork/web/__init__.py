"""The web pages: sign-in, registers, generated forms (Starlette, Jinja2, htmx).

`create_app` is loaded on first use, so `gridwork check` (which registers `serve`)
does not pay for importing Starlette.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app as create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name != "create_app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from .app import create_app

    return create_app
