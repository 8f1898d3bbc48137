"""Regional emergency mode end to end (tests/fixtures/emergency): switched on for one county,
that county's new complaints get the 2-hour limit and its cells' daily reports start; the
neighbouring county is untouched; switched off, both are back to normal."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import insert, select
from support import FIXTURES

from gridwork.config import load_deployment
from gridwork.duties.run import run_duties
from gridwork.runtime import Runtime
from gridwork.storage import make_engine, migrate
from gridwork.workflow import create_record, load_user
from gridwork.workflow.switches import set_switch

ZONE = dt.timezone(dt.timedelta(hours=8))
MONDAY = dt.datetime(2026, 6, 1, 9, 0, tzinfo=ZONE)
USERS = (("a1", "inspector", "420102001"), ("a2", "inspector", "420102002"),
         ("b1", "inspector", "420103001"), ("head", "head", "420100"))


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_emergency_mode_for_one_county(backend: str, request: pytest.FixtureRequest,
                                       tmp_path: Path) -> None:
    url = (f"sqlite:///{tmp_path / 'e.sqlite3'}" if backend == "sqlite"
           else request.getfixturevalue("pg_schema")())
    deployment = load_deployment(FIXTURES / "emergency")
    migrate(url, deployment, echo=lambda _line: None)
    engine = make_engine(url)
    runtime = Runtime.build(deployment)
    schema = runtime.schema
    users, grants, nodes = (schema.system(n) for n in ("users", "grants", "nodes"))
    with engine.begin() as conn:
        for name, role, node in USERS:
            at = conn.execute(select(nodes.c.id).where(nodes.c.code == node)).scalar_one()
            user = conn.execute(insert(users).values(
                username=name, display_name=name, active=True, created_at=MONDAY)
                .returning(users.c.id)).scalar_one()
            conn.execute(insert(grants).values(user=user, role=role, node=at, scope="subtree"))
        people = {name: load_user(conn, schema, name) for name, _, _ in USERS}
    duties = schema.system("duties")

    def complaint(who: str, cell: str, at: dt.datetime) -> dt.timedelta:
        record = create_record(engine, runtime, people[who], "complaint", cell,
                               {"title": "哄抬价格"}, clock=lambda: at)
        return record.deadline - at

    def reports(state: str = "open") -> list[tuple[str, str]]:
        with engine.connect() as conn:
            return sorted(conn.execute(select(nodes.c.code, duties.c.period)
                                       .join(nodes, nodes.c.id == duties.c.node)
                                       .where(duties.c.state == state)).all())

    def switch(on: bool, at: dt.datetime) -> None:
        set_switch(engine, runtime, people["head"], "complaint_flow", "emergency", "420102",
                   on, "节日保供稳价", clock=lambda: at)

    run_duties(engine, runtime, now=MONDAY)
    assert reports() == [] and complaint("a1", "420102001", MONDAY) == dt.timedelta(hours=24)

    on = MONDAY + dt.timedelta(hours=1)
    switch(True, on)
    assert complaint("a1", "420102001", on) == dt.timedelta(hours=2)
    assert complaint("b1", "420103001", on) == dt.timedelta(hours=24)
    run_duties(engine, runtime, now=on)
    assert reports() == [("420102001", "2026-06-01"), ("420102002", "2026-06-01")]
    report = schema.table("daily_report")
    with engine.connect() as conn:   # each cell's report is there to fill in
        assert conn.execute(select(report.c.duty).order_by(report.c.id)).scalars().all() \
            == [d for d, in conn.execute(select(duties.c.id).order_by(duties.c.id))]
    run_duties(engine, runtime, now=MONDAY + dt.timedelta(days=1))
    assert [p for _, p in reports()] == ["2026-06-02", "2026-06-02"]

    off = MONDAY + dt.timedelta(days=1, hours=2)
    switch(False, off)
    assert complaint("a2", "420102002", off) == dt.timedelta(hours=24)
    run_duties(engine, runtime, now=off)
    assert reports() == [] and [p for _, p in reports("dropped")] == ["2026-06-02"] * 2
    run_duties(engine, runtime, now=MONDAY + dt.timedelta(days=2))
    assert reports() == []
    engine.dispose()
