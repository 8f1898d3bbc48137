"""Fixtures for the service tests: the sweep deployment on PostgreSQL (or on each backend),
and real brokers: Redis (db 15, emptied first) and RabbitMQ. Without GRIDWORK_TEST_PG_URL,
GRIDWORK_TEST_BROKER_URL or GRIDWORK_TEST_AMQP_URL the tests that need them are skipped."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from timers.sweep_world import SweepWorld, make_world, world_on

BROKER_ENV = "GRIDWORK_TEST_BROKER_URL"


@pytest.fixture
def pg_world(pg_schema: Callable[[], str], tmp_path: Path) -> Iterator[SweepWorld]:
    """A fresh PostgreSQL schema with the sweep deployment (sweeping every second)."""
    made = make_world(pg_schema(), tmp_path / "deployment", interval="1s")
    yield made
    made.engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SweepWorld]:
    """The sweep deployment on each backend."""
    made = world_on(request.param, request, tmp_path)
    yield made
    made.engine.dispose()


BROKERS = {"redis": BROKER_ENV, "rabbitmq": "GRIDWORK_TEST_AMQP_URL"}
"""Where each broker is (e.g. redis://127.0.0.1:6379/15, amqp://guest:guest@127.0.0.1//)."""


@pytest.fixture(params=list(BROKERS))
def broker(request: pytest.FixtureRequest) -> str:
    """Each broker's URL (Redis emptied first); skipped when its variable is not set."""
    url = os.environ.get(BROKERS[request.param])
    if not url:
        pytest.skip(f"{BROKERS[request.param]} is not set")
    if request.param == "redis":
        import redis

        client = redis.Redis.from_url(url)
        client.flushdb()
        client.close()
    return url
