"""The shipped deployments' demo: a user for every department events go to, every open
record something a demo user can do from its page, and timers that remind and escalate."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from starlette.testclient import TestClient
from storage_support import quiet
from support import CONFIGS, SHIPPED, run_cli, runtime_of

from gridwork.config import Deployment, load_deployment
from gridwork.storage import build_schema, make_engine, migrate
from gridwork.demo.seed import routed_departments, seed_demo
from gridwork.sweep.sweep import sweep
from gridwork.web import create_app
from gridwork.workflow import available_actions, load_user

NOW = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC)
"""A Wednesday, 10:00 in Shanghai: the seed's now."""
RECORDS = 160


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], tuple[Deployment, Path]]:
    """Each shipped deployment migrated and seeded once onto a SQLite file."""
    made: dict[str, tuple[Deployment, Path]] = {}

    def get(name: str) -> tuple[Deployment, Path]:
        if name not in made:
            deployment = load_deployment(CONFIGS / name)
            path = tmp_path_factory.mktemp("demo") / f"{name}.sqlite3"
            migrate(f"sqlite:///{path}", deployment, echo=quiet)
            engine = make_engine(f"sqlite:///{path}")
            seed_demo(engine, deployment, records=RECORDS, now=NOW, echo=quiet)
            engine.dispose()
            made[name] = deployment, path
        return made[name]
    return get


@pytest.fixture
def engines() -> Iterator[Callable[[str], Engine]]:
    made: list[Engine] = []

    def make(url: str) -> Engine:
        made.append(make_engine(url))
        return made[-1]
    yield make
    for engine in made:
        engine.dispose()


@pytest.mark.parametrize("name", SHIPPED)
def test_every_routed_department_has_a_user_with_an_address(
        name: str, seeded: Callable[[str], tuple[Deployment, Path]],
        engines: Callable[[str], Engine]) -> None:
    deployment, path = seeded(name)
    schema = build_schema(deployment)
    users, grants, departments = (schema.system(n) for n in ("users", "grants", "departments"))
    routed = routed_departments(deployment)
    assert len(routed) >= 8
    with engines(f"sqlite:///{path}").connect() as conn:
        codes = dict(conn.execute(select(departments.c.id, departments.c.code)).all())
        for code in routed:
            user = conn.execute(select(users).where(users.c.username == code)).one()
            held = conn.execute(select(grants.c.department).where(grants.c.user == user.id))
            assert {codes[d] for d in held.scalars()} == {code}
        addresses = conn.execute(select(users.c.username, users.c.email)).all()
    assert all(email == f"{u}@example.org" for u, email in addresses)
    assert set(deployment.roles) | set(routed) == {u for u, _ in addresses}


def _signed_in(deployment: Deployment, engine: Engine, username: str) -> TestClient:
    client = TestClient(create_app(runtime_of(deployment), engine=engine, clock=lambda: NOW,
                                   secret="test-secret-" + "x" * 20))
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/signin").text)
    assert token is not None
    answer = client.post("/signin", data={"csrf": token.group(1), "username": username,
                                          "password": "demo", "next": "/"})
    assert "退出" in answer.text or answer.status_code == 200
    return client


@pytest.mark.parametrize("name", SHIPPED)
def test_every_open_record_has_a_step_a_demo_user_can_take_on_its_page(
        name: str, seeded: Callable[[str], tuple[Deployment, Path]],
        engines: Callable[[str], Engine]) -> None:
    deployment, path = seeded(name)
    engine = engines(f"sqlite:///{path}")
    schema = build_schema(deployment)
    users = schema.system("users")
    todo: dict[str, list[tuple[str, int, str]]] = {}
    with engine.connect() as conn:
        people = [load_user(conn, schema, u) for u in conn.execute(
            select(users.c.username).order_by(users.c.id)).scalars()]
        for register, spec in deployment.registers.items():
            if spec.workflow is None:
                continue
            final = [s for s, st in deployment.workflows[spec.workflow].states.items()
                     if st.final]
            table = schema.table(register)
            for record in conn.execute(select(table.c.id).where(
                    table.c.state.not_in(final))).scalars():
                actor = next(((p.username, found[0].name) for p in people if (found := [
                    a for a in available_actions(conn, runtime_of(deployment), p, register, record,
                                                 clock=lambda: NOW)])), None)
                assert actor is not None, f"nobody can act on {register} #{record}"
                todo.setdefault(actor[0], []).append((register, record, actor[1]))
    assert sum(len(v) for v in todo.values()) >= 20
    for username, records in todo.items():
        client = _signed_in(deployment, engine, username)
        for register, record, action in records:
            page = client.get(f"/registers/{register}/{record}")
            assert page.status_code == 200
            assert f'data-action="{action}"' in page.text, (username, register, record)


def test_seeded_events_look_like_real_ones(
        seeded: Callable[[str], tuple[Deployment, Path]],
        engines: Callable[[str], Engine]) -> None:
    deployment, path = seeded("community")
    schema = build_schema(deployment)
    event = schema.table("event")
    labels = {c.code: c.label.zh for c, _ in deployment.all_categories()}
    with engines(f"sqlite:///{path}").connect() as conn:
        rows = conn.execute(select(event)).all()
    assert rows
    for row in rows:
        assert row.title.endswith(labels[row.category]), row.title
        assert row.address.startswith("西湖区"), row.address
        if row.state in ("dispatching", "accepting", "rejected", "handling", "paused"):
            assert (row.result, row.satisfaction, row.revisit_note) == (None, None, None)
        if row.state == "revisiting":
            assert row.result is not None and row.satisfaction is None
        if row.state == "archived":
            assert row.result is not None
        assert row.created_at <= row.updated_at <= NOW
    assert min(row.created_at for row in rows) < NOW - dt.timedelta(days=2)


@pytest.mark.parametrize("name", SHIPPED)
def test_seeded_timers_remind_and_escalate_on_a_later_sweep(
        name: str, seeded: Callable[[str], tuple[Deployment, Path]], tmp_path: Path) -> None:
    deployment, original = seeded(name)
    path = tmp_path / "copy.sqlite3"
    shutil.copy(original, path)
    schema = build_schema(deployment)
    timers = schema.system("timers")
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            overdue = conn.execute(select(func.count()).where(timers.c.due_at <= NOW)).scalar()
            coming = conn.execute(select(func.count()).where(timers.c.due_at > NOW)).scalar()
    finally:
        engine.dispose()
    assert overdue and coming, (overdue, coming)
    later = (NOW + dt.timedelta(days=2)).isoformat()
    code, out, _ = run_cli("sweep", str(CONFIGS / name), "--db", f"sqlite:///{path}",
                           "--now", later)
    assert code == 0
    assert " escalation 1 (" in out and " deadline (" in out


def test_seeding_on_postgresql_plans_timers_the_sweep_fires(
        pg_schema: Callable[[], str], engines: Callable[[str], Engine]) -> None:
    deployment = load_deployment(CONFIGS / "community")
    url = pg_schema()
    migrate(url, deployment, echo=quiet)
    engine = engines(url)
    seed_demo(engine, deployment, records=80, now=NOW, echo=quiet)
    report = sweep(engine, runtime_of(deployment), now=NOW + dt.timedelta(days=2))
    kinds = {fired.kind for fired in report.fired}
    assert {"deadline", "escalation"} <= kinds
    assert not report.failed
