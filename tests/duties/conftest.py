"""The duty world on each backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from duty_world import DutyWorld, world_on


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DutyWorld]:
    """A fresh database of the duty deployment, on each backend."""
    made = world_on(request.param, request, tmp_path)
    yield made
    made.engine.dispose()
