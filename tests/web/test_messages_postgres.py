"""The inbox, the message log and the tree picker on PostgreSQL: the same queries as on SQLite."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from messages_support import escalate
from starlette.testclient import TestClient
from web_support import Clock, sign_in, token
from support import runtime_of

from gridwork.config import Deployment
from gridwork.storage import make_engine, migrate
from gridwork.demo.seed import seed_demo
from gridwork.web import create_app


def test_inbox_log_and_tree_picker_on_postgresql(
        pg_schema: Callable[[], str], tmp_path: Path, clock: Clock,
        deployments: dict[str, Deployment]) -> None:
    url = pg_schema()
    deployment = deployments["community"]
    migrate(url, deployment, echo=lambda _: None)
    engine = make_engine(url)
    try:
        seed_demo(engine, deployment, records=5, echo=lambda _: None)

        def client(username: str) -> TestClient:
            made = TestClient(create_app(runtime_of(deployment), engine=engine, clock=clock,
                                         secret="p" * 32, data_dir=tmp_path))
            sign_in(made, username)
            return made

        worker, admin = client("grid_worker"), client("admin")
        escalate(worker, clock, ["grid_worker"], 7)
        clock.advance(days=1)
        worker, admin = client("grid_worker"), client("admin")  # a day later: signed in again
        escalate(worker, clock, ["grid_worker"], 8, step=2)
        assert worker.get("/inbox").text.count('class="card message unread"') == 2
        after = worker.post("/inbox/read", data={"csrf": token(worker, "/inbox")})
        assert 'class="card message unread"' not in after.text

        day = clock.now.astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()
        log = admin.get("/messages", params={"channel": "sms", "recipient": "grid_worker",
                                             "from": day, "to": day}).text
        assert "共 1 条消息" in log and "/registers/event/8" in log

        found = admin.get("/nodes/tree", params={"level": "grid", "q": "第一_网格"}).text
        assert "没有匹配的区域" in found, "_ is matched as itself, not as a wildcard"
        found = admin.get("/nodes/tree", params={"level": "grid", "q": "第一网格"}).text
        assert len(re.findall(r'class="tree-pick"', found)) > 1
        assert "330106002001001" not in worker.get(
            "/nodes/tree", params={"level": "grid", "q": "网格"}).text
    finally:
        engine.dispose()
