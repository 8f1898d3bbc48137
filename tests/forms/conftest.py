"""Deployments for the form model tests, loaded once per run."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridwork.config import Deployment, load_deployment

HERE = Path(__file__).parent


@pytest.fixture(scope="session")
def every_type() -> Deployment:
    """A deployment whose `sample` register has a field of every built-in type."""
    return load_deployment(HERE / "fixtures" / "every_type")


@pytest.fixture(scope="session")
def shipped() -> dict[str, Deployment]:
    """The three deployments under configs/."""
    root = HERE.parents[1] / "configs"
    return {name: load_deployment(root / name) for name in ("community", "safety", "environment")}
