"""Fixtures for the storage suite: every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from storage_support import Config, quiet

from gridwork.config import Deployment
from gridwork.storage import make_engine, migrate

FIXTURES = Path(__file__).parent.parent / "fixtures"
PG_ENV = "GRIDWORK_TEST_PG_URL"


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """A database of its own for this test run, dropped afterwards."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set")
    name = f"gw_test_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield make_url(base).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"
        return
    server = request.getfixturevalue("pg_server_url")
    schema = f"t_{secrets.token_hex(4)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    yield make_url(server).update_query_dict(
        {"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on the test database, disposed afterwards."""
    made = make_engine(db_url)
    yield made
    made.dispose()


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """The storage fixture deployment, copied so a test can change it."""
    root = tmp_path / "deployment"
    shutil.copytree(FIXTURES / "storage", root)
    return Config(root)


@pytest.fixture
def migrated(config: Config, db_url: str) -> Deployment:
    """The fixture deployment, migrated onto the test database."""
    deployment = config.load()
    migrate(db_url, deployment, echo=quiet)
    return deployment
