"""The workflow pages on PostgreSQL: report, queue, act, conflict and timeline as on SQLite."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from flow_support import (  # noqa: F401 - manual_dispatch is a fixture
    department_of,
    manual_dispatch,
    record_row,
    report,
    version_on,
)
from starlette.testclient import TestClient
from web_support import Clock, sign_in, token
from support import runtime_of

from gridwork.config import Deployment
from gridwork.storage import make_engine, migrate
from gridwork.demo.seed import seed_demo
from gridwork.web import create_app


def test_acting_through_the_pages_on_postgresql(pg_schema: Callable[[], str], tmp_path: Path,
                                                clock: Clock,
                                                manual_dispatch: Deployment) -> None:
    url = pg_schema()
    deployment = manual_dispatch
    migrate(url, deployment, echo=lambda _: None)
    engine = make_engine(url)
    try:
        seed_demo(engine, deployment, records=20, echo=lambda _: None)
        app = create_app(runtime_of(deployment), engine=engine, clock=clock, secret="p" * 32,
                         data_dir=tmp_path / "data")

        def client(username: str) -> TestClient:
            made = TestClient(app)
            sign_in(made, username)
            return made
        record_id = report(client("grid_worker"))
        worker, head = client("community_worker"), client("community_head")
        assert f'href="/registers/event/{record_id}"' in worker.get("/queues/to_dispatch").text
        path = f"/registers/event/{record_id}/actions/dispatch"
        stale = version_on(worker.get(path).text)
        department = department_of(worker, "dept_staff")
        fresh = version_on(head.get(path).text)
        assert head.post(path, data={"csrf": token(head), "version": fresh,
                                     "department": department},
                         follow_redirects=False).status_code == 303
        late = worker.post(path, data={"csrf": token(worker), "version": stale,
                                       "department": department, "comment": "晚了一步"})
        assert late.status_code == 409 and ">晚了一步</textarea>" in late.text
        assert record_row(worker, record_id).state == "accepting"
        page = worker.get(f"/registers/event/{record_id}").text
        assert re.search(r'class="step">分发</strong>\s*<span class="move">待分发 → 待接受', page)
    finally:
        engine.dispose()
