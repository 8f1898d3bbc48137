"""Fixtures for the API suite: each shipped deployment migrated into SQLite once per session,
with the workflow suite's users (on the demo branch, off it, per department), each holding
an API token."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from api_support import HttpWorld, build_world, make_tokens
from sqlalchemy import Engine
from support import CONFIGS, SHIPPED
from workflow_support import World, variant

from gridwork.config import Deployment, load_deployment


@pytest.fixture(scope="session")
def shipped() -> Callable[[str], Deployment]:
    """A shipped deployment as written (each loaded once, when first asked for)."""
    made: dict[str, Deployment] = {}

    def get(name: str) -> Deployment:
        assert name in SHIPPED
        if name not in made:
            made[name] = load_deployment(CONFIGS / name)
        return made[name]

    return get


@pytest.fixture(scope="session")
def api_worlds(tmp_path_factory: pytest.TempPathFactory, shipped: Callable[[str], Deployment],
               ) -> Iterator[Callable[[str], tuple[World, dict[str, str]]]]:
    """(Once per session) a deployment's SQLite world and every user's token."""
    made: dict[str, tuple[World, dict[str, str]]] = {}
    engines: list[Engine] = []

    def get(name: str) -> tuple[World, dict[str, str]]:
        if name not in made:
            path = tmp_path_factory.mktemp("api") / f"{name}.sqlite3"
            world = build_world(f"sqlite:///{path}", shipped(name))
            engines.append(world.engine)
            made[name] = world, make_tokens(world)
        return made[name]

    yield get
    for engine in engines:
        engine.dispose()


@pytest.fixture(scope="session")
def variants(tmp_path_factory: pytest.TempPathFactory,
             ) -> Callable[[str, dict[str, bool]], Deployment]:
    """(Once per session) a shipped deployment with some switches changed."""
    made: dict[tuple[str, tuple[tuple[str, bool], ...]], Deployment] = {}

    def load(name: str, switches: dict[str, bool]) -> Deployment:
        key = (name, tuple(sorted(switches.items())))
        if key not in made:
            made[key] = variant(CONFIGS / name, tmp_path_factory.mktemp("variant") / name,
                                switches)
        return made[key]

    return load


@pytest.fixture
def http(api_worlds: Callable[[str], tuple[World, dict[str, str]]],
         tmp_path: Path) -> Iterator[Callable[..., HttpWorld]]:
    """A deployment's world driven over HTTP (optionally a variant of its deployment)."""
    made: list[HttpWorld] = []

    def get(name: str, deployment: Deployment | None = None) -> HttpWorld:
        world, tokens = api_worlds(name)
        if deployment is not None:
            world = world.with_deployment(deployment)
        made.append(HttpWorld.over(world, tokens, tmp_path / "data"))
        return made[-1]

    yield get
    for world in made:
        world.close()
