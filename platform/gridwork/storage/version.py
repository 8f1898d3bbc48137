"""Which config version a database was last migrated to, and refusing to run behind it."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, inspect, select

from .. import __version__
from ..config import Deployment
from .engine import shown_url
from .schema import Schema, build_schema
from .system import SYSTEM_TABLES


class DatabaseBehind(RuntimeError):
    """The database does not match its config; `gridwork migrate` must run first."""


def record_version(conn: Connection, schema: Schema, at: dt.datetime,
                   by: str | None = None) -> None:
    """Note that the database now matches ``schema``'s config, keeping its files."""
    d = schema.deployment
    conn.execute(schema.system("config_versions").insert().values(
        hash=d.source_hash, applied_at=at, deployment=d.about.name,
        engine_version=__version__, applied_by=by, source=pack(d.source_files)))


@dataclass(frozen=True)
class AppliedConfig:
    """A configuration the database was set to run: when, by whom, and its files."""

    hash: str
    applied_at: dt.datetime
    applied_by: str | None
    files: dict[str, bytes]
    """Empty for versions recorded before the files were kept."""


def pack(files: dict[str, bytes]) -> bytes:
    """The files as one zip."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as packed:
        for name in sorted(files):
            packed.writestr(name, files[name])
    return buffer.getvalue()


def applied_config(conn: Connection, schema: Schema) -> AppliedConfig | None:
    """The configuration the database was last set to run, or None if never."""
    if not inspect(conn).has_table("config_versions"):
        return None
    table = schema.system("config_versions")
    have = {c["name"] for c in inspect(conn).get_columns("config_versions")}
    columns = [table.c.hash, table.c.applied_at,
               *(table.c[n] for n in ("applied_by", "source") if n in have)]
    row = conn.execute(select(*columns).order_by(table.c.id.desc()).limit(1)).first()
    if row is None:
        return None
    values = row._mapping
    files: dict[str, bytes] = {}
    if values.get("source"):
        with zipfile.ZipFile(io.BytesIO(values["source"])) as packed:
            files = {name: packed.read(name) for name in packed.namelist()}
    return AppliedConfig(values["hash"], values["applied_at"], values.get("applied_by"), files)


def applied_hash(conn: Connection, schema: Schema) -> str | None:
    """The config hash the database was last migrated to, or None if never."""
    if not inspect(conn).has_table("config_versions"):
        return None
    table = schema.system("config_versions")
    return conn.execute(select(table.c.hash).order_by(table.c.id.desc()).limit(1)).scalar()


def missing_system(conn: Connection, schema: Schema) -> list[str]:
    """The engine's own tables, and columns of them, that this version of gridwork needs and
    the database lacks (it was migrated by an older version)."""
    inspector = inspect(conn)
    present = set(inspector.get_table_names())
    missing: list[str] = []
    for name in SYSTEM_TABLES:
        if name not in present:
            missing.append(name)
            continue
        have = {column["name"] for column in inspector.get_columns(name)}
        missing += [f"{name}.{c.name}" for c in schema.system(name).c if c.name not in have]
    return missing


def ensure_current(engine: Engine, deployment: Deployment, schema: Schema | None = None) -> None:
    """Raise DatabaseBehind, naming the command to run, unless the database matches the config
    and has every table and column of the engine's own this version needs."""
    schema = schema or build_schema(deployment)
    with engine.connect() as conn:
        applied = applied_hash(conn, schema)
        missing = missing_system(conn, schema) if applied is not None else []
    if applied == deployment.source_hash and not missing:
        return
    if applied is None:
        state = "has never been migrated"
    elif applied != deployment.source_hash:
        state = f"was migrated to config {applied[:12]}, not {deployment.source_hash[:12]}"
    else:
        state = (f"lacks what this version of gridwork keeps ({', '.join(missing[:5])}"
                 f"{', …' if len(missing) > 5 else ''})")
    raise DatabaseBehind(
        f"the database {shown_url(engine)} {state}; run: "
        f"gridwork migrate {deployment.root} --db {shown_url(engine)}")
