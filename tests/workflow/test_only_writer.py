"""The workflow package is the only writer of records and history: every statement that
inserts, updates or deletes rows of a register's table or of the history table, whatever
path caused it (a page's new record and edit, an API edit, an import, demo data, the
sweep), is executed by code in `gridwork.workflow` — on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from sqlalchemy import Engine, event, insert, select
from starlette.testclient import TestClient
from support import CONFIGS

from gridwork.runtime import Runtime
from gridwork.auth import create_token
from gridwork.config import load_deployment
from gridwork.storage import build_schema, make_engine, migrate
from gridwork.exchange.importer import import_file
from gridwork.demo.seed import seed_demo
from gridwork.sweep.sweep import sweep
from gridwork.web import create_app

WRITE = re.compile(r'(INSERT INTO|UPDATE|DELETE FROM)\s+"?(history|r_\w+)"?\b', re.IGNORECASE)
"""A statement writing the history table or a register's table (anywhere in it: the
sweep's claim writes history inside a WITH)."""
CLAIM = "gridwork.sweep.claim"
"""The sweep's claim on PostgreSQL writes the `overdue` rows of the deadlines it claims
in its own statement (one round trip for a batch); the rows are built by
`workflow.history.overdue_rows` and `insert_selected`, the statement runs in the claim."""
NOW = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)


class Writers:
    """Who executed each write of a register or of history: the innermost gridwork module."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def __call__(self, conn: Any, cursor: Any, statement: str, params: Any, context: Any,
                 many: bool) -> None:
        found = WRITE.search(statement)
        if found is not None:
            self.seen.append((found.group(2), _caller(sys._getframe(1))))

    def outside_workflow(self, dialect: str) -> list[tuple[str, str]]:
        allowed = {CLAIM} if dialect == "postgresql" else set()
        return [(table, module) for table, module in self.seen
                if not module.startswith("gridwork.workflow") and module not in allowed]


def _caller(frame: FrameType | None) -> str:
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.startswith("gridwork."):
            return str(module)
        frame = frame.f_back
    return "(not gridwork)"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'writers.sqlite3'}"
        return
    yield request.getfixturevalue("pg_schema")()


def _watch(engine: Engine) -> Writers:
    writers = Writers()
    event.listen(engine, "before_cursor_execute", writers)
    return writers


def test_only_the_workflow_package_writes_records_and_history(db_url: str,
                                                              tmp_path: Path) -> None:
    deployment = load_deployment(CONFIGS / "community")
    schema = build_schema(deployment)
    migrate(db_url, deployment, echo=lambda _: None)
    engine = make_engine(db_url)
    writers = _watch(engine)
    try:
        seed_demo(engine, deployment, records=60, echo=lambda _: None, now=NOW)
        seeded = len(writers.seen)

        app = create_app(Runtime.build(deployment), engine=engine, clock=lambda: NOW,
                         secret="test-secret-" + "x" * 20, data_dir=tmp_path / "data")
        page = TestClient(app)
        _sign_in(page, "grid_worker")
        form = {"csrf": _csrf(page, "/"), "node": _home(engine, schema, "grid_worker"),
                "category": "dispute_neighbour", "title": "楼道堆物", "description": "堆满杂物",
                "source": "patrol", "address": "三单元"}
        made = page.post("/registers/event/new", data=form, follow_redirects=False)
        assert made.status_code == 303, made.text
        record_id = int(made.headers["location"].rsplit("/", 1)[1])

        editor = TestClient(app)
        _sign_in(editor, "community_worker")
        edited = editor.post(f"/registers/event/{record_id}/edit", follow_redirects=False,
                             data={**form, "csrf": _csrf(editor, "/"), "version": "1",
                                   "title": "楼道堆物（已核实）"})
        assert edited.status_code == 303, edited.text

        with engine.begin() as conn:
            secret = create_token(conn, schema, "community_worker", NOW)[1]
        api = TestClient(app, headers={"Authorization": f"Bearer {secret}"})
        fields = {k: v for k, v in form.items() if k not in ("csrf", "node", "category")}
        patched = api.patch(f"/api/v1/registers/event/records/{record_id}",
                            json={"version": 2, "values": {"address": "四单元"}})
        assert patched.status_code == 200, patched.text

        building = next(n.code for n in deployment.nodes if n.level == "building")
        csv = tmp_path / "households.csv"
        csv.write_text("node,address,head_name,visit_class\n"
                       f"{building},测试小区1幢101室,王五,3\n", encoding="utf-8")
        assert import_file(engine, deployment, "household", csv, now=NOW) == 1

        report = sweep(engine, Runtime.build(deployment), now=NOW + dt.timedelta(days=400))
        assert report.fired
    finally:
        event.remove(engine, "before_cursor_execute", writers)
        engine.dispose()

    tables = {table for table, _ in writers.seen}
    assert {"history", "r_event", "r_household"} <= tables
    assert seeded and len(writers.seen) > seeded
    assert {module for _, module in writers.seen} >= {"gridwork.workflow.history"}
    assert writers.outside_workflow(engine.dialect.name) == []


def test_a_write_from_elsewhere_is_caught(tmp_path: Path) -> None:
    deployment = load_deployment(CONFIGS / "community")
    schema = build_schema(deployment)
    url = f"sqlite:///{tmp_path / 'elsewhere.sqlite3'}"
    migrate(url, deployment, echo=lambda _: None)
    engine = make_engine(url)
    writers = _watch(engine)
    try:
        with engine.begin() as conn:
            conn.execute(insert(schema.system("history")).values(
                register="event", record=1, at=NOW, action="edit", kind="edited"))
    finally:
        engine.dispose()
    assert writers.outside_workflow("sqlite") == [("history", "(not gridwork)")]


def _sign_in(client: TestClient, username: str) -> None:
    answer = client.post("/signin", data={"csrf": _csrf(client, "/signin"),
                                          "username": username, "password": "demo",
                                          "next": "/"})
    assert answer.status_code == 200, answer.text


def _csrf(client: TestClient, path: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def _home(engine: Engine, schema: Any, username: str) -> str:
    users, grants, nodes = (schema.system("users"), schema.system("grants"),
                            schema.system("nodes"))
    with engine.connect() as conn:
        return str(conn.execute(select(nodes.c.code).join(grants, grants.c.node == nodes.c.id)
                                .join(users, users.c.id == grants.c.user)
                                .where(users.c.username == username)).scalar_one())
