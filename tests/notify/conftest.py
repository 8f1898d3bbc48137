"""Fixtures for the notification suite: the community deployment migrated once per database
(SQLite and PostgreSQL); each test starts with an empty outbox and no users."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from notify_support import (
    Clock,
    Database,
    Hook,
    Mailbox,
    clear,
    self_signed,
    smtp_server,
    webhook_server,
)
from support import CONFIGS

from gridwork.config import Deployment, load_deployment
from gridwork.storage import make_engine, migrate


@pytest.fixture(scope="session")
def community() -> Deployment:
    """The shipped community deployment (Chinese templates, a 30-minute digest)."""
    return load_deployment(CONFIGS / "community")


@pytest.fixture(scope="session")
def databases(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
              community: Deployment) -> Iterator[Callable[[str], Database]]:
    """Migrate (once per session) the community deployment onto a backend."""
    made: dict[str, Database] = {}

    def database(backend: str) -> Database:
        if backend not in made:
            if backend == "sqlite":
                url = f"sqlite:///{tmp_path_factory.mktemp('notify') / 'community.sqlite3'}"
            else:
                url = request.getfixturevalue("pg_database")
            migrate(url, community, echo=lambda _: None)
            made[backend] = Database(url, make_engine(url), community, backend)
        return made[backend]

    yield database
    for db in made.values():
        db.engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, databases: Callable[[str], Database]) -> Database:
    """An empty-outbox database, on SQLite and on PostgreSQL."""
    found = databases(request.param)
    clear(found.engine)
    return found


@pytest.fixture
def sqlite_db(databases: Callable[[str], Database]) -> Database:
    """The SQLite database only, for tests whose subject is not the database."""
    found = databases("sqlite")
    clear(found.engine)
    return found


@pytest.fixture
def pg_db(databases: Callable[[str], Database]) -> Database:
    """The PostgreSQL database only (row locking between workers)."""
    found = databases("postgresql")
    clear(found.engine)
    return found


@pytest.fixture
def clock() -> Clock:
    """A fixed clock at the suite's start time."""
    return Clock()


@pytest.fixture
def mailbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Mailbox]:
    """A plain SMTP server on loopback, named by GRIDWORK_SMTP_URL."""
    box = Mailbox()
    server = smtp_server(box)
    monkeypatch.setenv("GRIDWORK_SMTP_URL", f"smtp://127.0.0.1:{server.port}")
    monkeypatch.setenv("GRIDWORK_SMTP_FROM", "grid@example.org")
    yield box
    server.stop()


@pytest.fixture
def tls_mailbox(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Mailbox]:
    """An SMTP server on loopback that requires STARTTLS and a password."""
    import ssl

    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    box = Mailbox()
    server = smtp_server(box, tls=context, login=("grid", "p@ss word"))
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    monkeypatch.setenv("GRIDWORK_SMTP_URL",
                       f"smtp://grid:p%40ss%20word@127.0.0.1:{server.port}")
    yield box
    server.stop()


@pytest.fixture
def hook() -> Iterator[Hook]:
    """A webhook receiver on loopback."""
    found = Hook()
    server = webhook_server(found)
    yield found
    server.shutdown()
    server.server_close()
