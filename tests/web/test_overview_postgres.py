"""The dashboard, statistics and map on PostgreSQL: the same numbers as the lists they link
to, over exactly the user's scope, as on SQLite."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from starlette.testclient import TestClient
from support import runtime_of
from test_overview import dashboard_agrees_with_its_lists, stats_agree_with_the_lists
from web_support import sign_in

from gridwork.config import Deployment
from gridwork.storage import make_engine, migrate
from gridwork.demo.seed import seed_demo
from gridwork.web import create_app


def test_overview_on_postgresql(pg_schema: Callable[[], str], tmp_path: Path,
                                deployments: dict[str, Deployment]) -> None:
    url, deployment = pg_schema(), deployments["community"]
    migrate(url, deployment, echo=lambda _: None)
    engine = make_engine(url)
    try:
        seed_demo(engine, deployment, records=300, echo=lambda _: None)
        for username in ("admin", "grid_worker"):
            client = TestClient(create_app(runtime_of(deployment), engine=engine,
                                           secret="p" * 32, data_dir=tmp_path))
            sign_in(client, username)
            dashboard_agrees_with_its_lists(client)
            stats_agree_with_the_lists(client, username)
            low = client.get("/map/layers/event", params={"zoom": "4"}).json()["features"]
            high = client.get("/map/layers/event", params={"zoom": "19"}).json()["features"]
            assert sum(f["properties"]["count"] for f in low) == sum(
                f["properties"]["count"] for f in high) > 0
            assert len(low) <= len(high)
            measures = client.get("/map/measures", params={"register": "event",
                                                           "measure": "overdue"})
            assert measures.status_code == 200 and measures.json()["values"]
    finally:
        engine.dispose()
