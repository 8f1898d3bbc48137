"""Fixtures for the workflow suite: each shipped deployment migrated once per database
(SQLite and PostgreSQL) with its users; tests make their own records."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from support import CONFIGS, SHIPPED
from workflow_support import World, populate, variant

from gridwork.config import Deployment, load_deployment
from gridwork.storage import build_schema, make_engine, migrate

BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def shipped() -> dict[str, Deployment]:
    """The shipped deployments as written."""
    return {name: load_deployment(CONFIGS / name) for name in SHIPPED}


@pytest.fixture(scope="session")
def worlds(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           shipped: dict[str, Deployment]) -> Iterator[Callable[[str, str], World]]:
    """Make (once per session) the world of a deployment on a backend."""
    made: dict[tuple[str, str], World] = {}
    engines: list[Engine] = []

    def world(name: str, backend: str) -> World:
        if (name, backend) not in made:
            if backend == "sqlite":
                url = f"sqlite:///{tmp_path_factory.mktemp('wf') / f'{name}.sqlite3'}"
            else:
                server = request.getfixturevalue("pg_database")
                schema = f"wf_{name}_{secrets.token_hex(3)}"
                admin = create_engine(server, isolation_level="AUTOCOMMIT")
                with admin.connect() as conn:
                    conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
                admin.dispose()
                url = make_url(server).update_query_dict(
                    {"options": f"-csearch_path={schema}"}).render_as_string(
                    hide_password=False)
            deployment = shipped[name]
            migrate(url, deployment, echo=lambda _: None)
            engine = make_engine(url)
            engines.append(engine)
            at, far, names = populate(engine, deployment)
            made[name, backend] = World(engine, deployment, build_schema(deployment), at, far,
                                        names)
        return made[name, backend]

    yield world
    for engine in engines:
        engine.dispose()


@pytest.fixture(scope="session")
def variants(tmp_path_factory: pytest.TempPathFactory,
             ) -> Callable[[str, dict[str, bool]], Deployment]:
    """Load (once per session) a shipped deployment with some switches changed."""
    made: dict[tuple[str, tuple[tuple[str, bool], ...]], Deployment] = {}

    def load(name: str, switches: dict[str, bool]) -> Deployment:
        key = (name, tuple(sorted(switches.items())))
        if key not in made:
            target = tmp_path_factory.mktemp("variant") / name
            made[key] = variant(CONFIGS / name, target, switches)
        return made[key]

    return load


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each test runs on SQLite and on PostgreSQL."""
    return str(request.param)


