"""Which database a command uses, and engines that behave alike on SQLite and PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url

from ..config import Deployment
from .writes import LOCK_WAIT_SECONDS, WRITE_OPTION, writing

ENV_VAR = "GRIDWORK_DB"


def default_sqlite_path(deployment: Deployment) -> Path:
    """The embedded database file, under the deployment's data folder."""
    info = deployment.about
    return deployment.root / info.data_dir / f"{info.name}.sqlite3"


def database_url(deployment: Deployment, cli_value: str | None = None) -> str:
    """The database to use: ``--db``, else ``$GRIDWORK_DB``, else the SQLite default."""
    if cli_value:
        return cli_value
    if os.environ.get(ENV_VAR):
        return os.environ[ENV_VAR]
    return f"sqlite:///{default_sqlite_path(deployment)}"


def normalized_url(url: str | URL) -> URL:
    """Parse ``url``, reaching PostgreSQL through psycopg 3 when no driver is named."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


class WritingEngine(Engine):
    """An engine whose ``begin()`` opens a write transaction (`writes.writing`): code reads
    through ``connect()`` and writes through ``begin()``, so on SQLite every write begins
    IMMEDIATE and waits its turn for the lock."""

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        with writing(self) as conn:
            yield conn


def make_engine(url: str | URL, *, foreign_keys: bool = True, **options: Any) -> Engine:
    """Create an engine; on SQLite turn on foreign keys, make DDL transactional, keep a
    write-ahead log and begin write transactions IMMEDIATE; on PostgreSQL test pooled
    connections before use, so a restarted server is reconnected to by itself.

    Migrations pass ``foreign_keys=False``: SQLite rebuilds altered tables by copying them,
    which foreign keys would block; the migration checks them itself before committing.
    """
    parsed = normalized_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, **{"pool_pre_ping": True, **options})
    on_disk = bool(parsed.database) and parsed.database != ":memory:"
    if on_disk:
        Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, **options)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin, so that
        # CREATE/ALTER/DROP run inside them and roll back with everything else.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
        cursor.execute(f"PRAGMA busy_timeout = {LOCK_WAIT_SECONDS * 1000}")
        if on_disk:
            # Write-ahead log: pages read while the sweep or an import writes, and a commit
            # appends to the log instead of syncing the database twice; NORMAL still
            # survives a killed process (not a power cut mid-commit).
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    # A write takes the lock up front (waiting busy_timeout for it); a deferred BEGIN that
    # later wrote would be refused at once if another writer came first. The dialect's own
    # BEGIN, not a "begin" event: a statement event makes SQLAlchemy dispatch events around
    # every statement, which costs more than the BEGIN itself.
    def _begin(dbapi_connection: Any) -> None:
        write = dbapi_connection.info.get(WRITE_OPTION, False)
        dbapi_connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")

    engine.dialect.do_begin = _begin  # type: ignore[method-assign]
    engine.__class__ = WritingEngine  # create_engine takes no engine class
    return engine


def shown_url(engine: Engine) -> str:
    """The engine's URL as a user may see it (password hidden)."""
    return engine.url.render_as_string(hide_password=True)
