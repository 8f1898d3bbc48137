"""The plugin suites import their test plugins from tests/fixtures/plugins."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from plugin_world import World, make_world
from support import FIXTURES


@pytest.fixture(autouse=True)
def _plugin_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(FIXTURES / "plugins"))


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """The plugin world on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'world.sqlite3'}"
    else:
        url = request.getfixturevalue("pg_schema")()
    made = make_world(url)
    yield made
    made.engine.dispose()
