"""Fixtures for the web suite: each shipped deployment migrated and seeded once, copied per test."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from support import CONFIGS, SHIPPED, quick_passwords, runtime_of
from web_support import Clock, sign_in

from gridwork.config import Deployment, load_deployment
from gridwork.storage import make_engine, migrate
from gridwork.demo.seed import seed_demo
from gridwork.web import create_app

SEED_RECORDS = 600


@pytest.fixture(scope="session")
def deployments() -> dict[str, Deployment]:
    """The shipped deployments, loaded once."""
    return {name: load_deployment(CONFIGS / name) for name in SHIPPED}


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory,
           deployments: dict[str, Deployment]) -> Callable[[str], Path]:
    """A migrated, seeded SQLite file per deployment, made on first use."""
    made: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in made:
            path = tmp_path_factory.mktemp("seeded") / f"{name}.sqlite3"
            migrate(f"sqlite:///{path}", deployments[name], echo=lambda _: None)
            engine = make_engine(f"sqlite:///{path}")
            seed_demo(engine, deployments[name], records=SEED_RECORDS, echo=lambda _: None)
            quick_passwords(engine, deployments[name])
            engine.dispose()
            made[name] = path
        return made[name]
    return get


@pytest.fixture
def clock() -> Clock:
    """A clock the test moves by hand."""
    return Clock(dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC))


@pytest.fixture
def make_client(tmp_path: Path, seeded: Callable[[str], Path],
                deployments: dict[str, Deployment],
                clock: Clock) -> Iterator[Callable[..., TestClient]]:
    """Build a TestClient on a private copy of a deployment's database, signed in or not."""
    engines = []

    def make(deployment: str = "community", username: str | None = None) -> TestClient:
        db = tmp_path / f"{deployment}.sqlite3"
        if not db.exists():
            shutil.copy(seeded(deployment), db)
        engine = make_engine(f"sqlite:///{db}")
        engines.append(engine)
        app = create_app(runtime_of(deployments[deployment]), engine=engine, clock=clock,
                         secret="test-secret-" + "x" * 20, data_dir=tmp_path / "data")
        client = TestClient(app)
        if username is not None:
            sign_in(client, username)
        return client
    yield make
    for engine in engines:
        engine.dispose()
