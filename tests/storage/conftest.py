"""Fixtures for the storage suite: every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from storage_support import Config, quiet

from gridwork.config import Deployment
from gridwork.storage import make_engine, migrate

FIXTURES = Path(__file__).parent.parent / "fixtures"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"
        return
    yield request.getfixturevalue("pg_schema")()


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
