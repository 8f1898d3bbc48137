"""The database a deployment describes: metadata built from config, engines, migrations.

Names are loaded on first use, so `gridwork check` (which registers the database
commands) does not pay for importing SQLAlchemy and Alembic.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .engine import database_url as database_url
    from .engine import default_sqlite_path as default_sqlite_path
    from .engine import make_engine as make_engine
    from .migration import MigrationRefused as MigrationRefused
    from .migration import MigrationResult as MigrationResult
    from .migration import migrate as migrate
    from .schema import Schema as Schema
    from .schema import build_schema as build_schema
    from .version import DatabaseBehind as DatabaseBehind
    from .version import ensure_current as ensure_current

_HOMES = {
    "database_url": "engine", "default_sqlite_path": "engine", "make_engine": "engine",
    "MigrationRefused": "migration", "MigrationResult": "migration", "migrate": "migration",
    "Schema": "schema", "build_schema": "schema",
    "DatabaseBehind": "version", "ensure_current": "version",
}
__all__ = list(_HOMES)


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
