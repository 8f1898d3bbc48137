"""The pages on PostgreSQL: the same queries (scope, filters, search, export, insert) as on SQLite."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from web_support import sign_in, token
from support import runtime_of

from gridwork.config import Deployment
from gridwork.storage import make_engine, migrate
from gridwork.demo.seed import seed_demo
from gridwork.web import create_app


@pytest.fixture
def pg_url(pg_schema: Callable[[], str]) -> str:
    """A fresh PostgreSQL schema, dropped afterwards."""
    return pg_schema()


def test_pages_on_postgresql(pg_url: str, tmp_path: Path,
                             deployments: dict[str, Deployment]) -> None:
    deployment = deployments["community"]
    migrate(pg_url, deployment, echo=lambda _: None)
    engine = make_engine(pg_url)
    try:
        seed_demo(engine, deployment, records=200, echo=lambda _: None)
        client = TestClient(create_app(runtime_of(deployment), engine=engine, secret="p" * 32,
                                       data_dir=tmp_path))
        sign_in(client, "grid_worker")
        listing = client.get("/registers/event?q=a&sort=-title&from=2000-01-01")
        assert listing.status_code == 200
        grid = re.search(r'<option value="(\w+)" selected>',
                         client.get("/registers/event/new").text).group(1)  # type: ignore[union-attr]
        created = client.post("/registers/event/new", follow_redirects=False, data={
            "csrf": token(client), "node": grid, "category": "dispute_neighbour",
            "title": "PG 测试", "description": "d", "source": "patrol", "address": "a",
            "party_a_phone": "13812345678"})
        assert created.status_code == 303
        assert "PG 测试" in client.get("/registers/event?q=pg").text
        leader = TestClient(create_app(runtime_of(deployment), engine=engine, secret="p" * 32,
                                       data_dir=tmp_path))
        sign_in(leader, "grid_leader")
        assert leader.get("/registers/event/export.xlsx?category=dispute").status_code == 200
    finally:
        engine.dispose()
