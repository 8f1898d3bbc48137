"""Fixtures for the assessment suite: the scored deployment migrated once per database
(SQLite and PostgreSQL) with its people; tests write their own records and history."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator

import pytest
from assessment_support import SCORED, Scored, people
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url

from gridwork.config import load_deployment
from gridwork.storage import build_schema, make_engine, migrate


@pytest.fixture(scope="session")
def scored_worlds(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                  ) -> Iterator[Callable[[str], Scored]]:
    made: dict[str, Scored] = {}
    engines: list[Engine] = []
    deployment = load_deployment(SCORED)

    def world(backend: str) -> Scored:
        if backend not in made:
            if backend == "sqlite":
                url = f"sqlite:///{tmp_path_factory.mktemp('scored') / 'scored.sqlite3'}"
            else:
                server = request.getfixturevalue("pg_database")
                name = f"as_{secrets.token_hex(3)}"
                admin = create_engine(server, isolation_level="AUTOCOMMIT")
                with admin.connect() as conn:
                    conn.exec_driver_sql(f'CREATE SCHEMA "{name}"')
                admin.dispose()
                url = make_url(server).update_query_dict(
                    {"options": f"-csearch_path={name}"}).render_as_string(hide_password=False)
            migrate(url, deployment, echo=lambda _: None)
            engine = make_engine(url)
            engines.append(engine)
            schema = build_schema(deployment)
            made[backend] = Scored(url, engine, deployment, schema, people(engine, schema))
        return made[backend]

    yield world
    for engine in engines:
        engine.dispose()


@pytest.fixture(params=("sqlite", "postgresql"))
def scored(request: pytest.FixtureRequest, scored_worlds: Callable[[str], Scored]) -> Scored:
    """The scored world on each backend, its records and history emptied."""
    world = scored_worlds(request.param)
    world.clear()
    return world
