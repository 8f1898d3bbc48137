"""Which config version a database was last migrated to, and refusing to run behind it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, Engine, inspect, select

from .. import __version__
from ..config import Deployment
from .engine import shown_url
from .schema import Schema, build_schema


class DatabaseBehind(RuntimeError):
    """The database does not match its config; `gridwork migrate` must run first."""


def record_version(conn: Connection, schema: Schema, at: dt.datetime) -> None:
    """Note that the database now matches ``schema``'s config."""
    d = schema.deployment
    conn.execute(schema.system("config_versions").insert().values(
        hash=d.source_hash, applied_at=at, deployment=d.about.name,
        engine_version=__version__))


def applied_hash(conn: Connection, schema: Schema) -> str | None:
    """The config hash the database was last migrated to, or None if never."""
    if not inspect(conn).has_table("config_versions"):
        return None
    table = schema.system("config_versions")
    return conn.execute(select(table.c.hash).order_by(table.c.id.desc()).limit(1)).scalar()


def ensure_current(engine: Engine, deployment: Deployment, schema: Schema | None = None) -> None:
    """Raise DatabaseBehind, naming the command to run, unless the database matches the config."""
    with engine.connect() as conn:
        applied = applied_hash(conn, schema or build_schema(deployment))
    if applied == deployment.source_hash:
        return
    state = ("has never been migrated" if applied is None
             else f"was migrated to config {applied[:12]}, not {deployment.source_hash[:12]}")
    raise DatabaseBehind(
        f"the database {shown_url(engine)} {state}; run: "
        f"gridwork migrate {deployment.root} --db {shown_url(engine)}")
