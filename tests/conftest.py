"""Fixtures every suite shares: a PostgreSQL database of the run's own, and fresh schemas in it.

PostgreSQL comes from GRIDWORK_TEST_PG_URL (.ci/run sets it); without it, PostgreSQL tests
are skipped and the SQLite ones still run.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

PG_ENV = "GRIDWORK_TEST_PG_URL"

SLOW = ("browser", "services")
"""Folders whose tests drive a real Chromium or real servers and brokers: marked ``slow``,
so ``pytest -m "not slow"`` is the quick loop while editing (``make test`` runs them all)."""
SLOW_FILES = ("test_openapi_fuzz.py",)


TESTS = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        path = item.path
        if TESTS in path.parents and (path.relative_to(TESTS).parts[0] in SLOW
                                      or path.name in SLOW_FILES):
            item.add_marker(pytest.mark.slow)
    # The slow files run first: `-n 2 --dist loadfile` hands files out in this order, so the
    # run ends on short files rather than one worker finishing a long one alone.
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A PostgreSQL database of this run's own, dropped afterwards."""
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


@pytest.fixture
def pg_schema(pg_database: str) -> Iterator[Callable[[], str]]:
    """Make fresh schemas in the run's database (as URLs that search them); drop them after."""
    admin = create_engine(pg_database, isolation_level="AUTOCOMMIT")
    made: list[str] = []

    def schema() -> str:
        name = f"t_{secrets.token_hex(4)}"
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{name}"')
        made.append(name)
        return make_url(pg_database).update_query_dict(
            {"options": f"-csearch_path={name}"}).render_as_string(hide_password=False)

    yield schema
    with admin.connect() as conn:
        for name in made:
            conn.exec_driver_sql(f'DROP SCHEMA "{name}" CASCADE')
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest) -> str | None:
    """Each test on both databases: None for a temporary SQLite file, else a fresh
    PostgreSQL schema's URL."""
    if request.param == "sqlite":
        return None
    make: Callable[[], str] = request.getfixturevalue("pg_schema")
    return make()
