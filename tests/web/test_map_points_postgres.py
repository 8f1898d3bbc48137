"""The map picker's endpoints and the flagged save on PostgreSQL: the same scope query as on
SQLite decides which nodes are named."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from starlette.testclient import TestClient
from test_map_points import IN_NEXT, NEXT_GRID, OWN_GRID, locate
from web_support import sign_in, token
from support import runtime_of

from gridwork.config import Deployment
from gridwork.storage import make_engine, migrate
from gridwork.demo.seed import seed_demo
from gridwork.web import create_app


def test_locate_and_the_flagged_save_on_postgresql(
        pg_schema: Callable[[], str], tmp_path: Path,
        deployments: dict[str, Deployment]) -> None:
    url, deployment = pg_schema(), deployments["community"]
    migrate(url, deployment, echo=lambda _: None)
    engine = make_engine(url)
    try:
        seed_demo(engine, deployment, records=20, echo=lambda _: None)

        def client(username: str) -> TestClient:
            made = TestClient(create_app(runtime_of(deployment), engine=engine, secret="p" * 32,
                                         data_dir=tmp_path))
            sign_in(made, username)
            return made
        worker, community = client("grid_worker"), client("community_worker")
        assert locate(worker, IN_NEXT, node=OWN_GRID, level="grid")["offer"] is None
        assert locate(community, IN_NEXT, node=OWN_GRID, level="grid")["offer"]["code"] \
            == NEXT_GRID
        form = {"csrf": token(worker), "node": OWN_GRID, "category": "dispute_neighbour",
                "title": "PG 定位", "description": "d", "source": "patrol", "address": "a",
                "location_lat": str(IN_NEXT[0]), "location_lon": str(IN_NEXT[1])}
        assert worker.post("/registers/event/new", data=form).status_code == 422
        assert worker.post("/registers/event/new", data={**form, "location_confirm": "1"},
                           follow_redirects=False).status_code == 303
    finally:
        engine.dispose()
