"""Helpers for the workflow page tests: the community deployment with manual dispatch on a
copy of the seeded database, more users who can sign in, and acting through the pages."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select
from starlette.testclient import TestClient
from support import CONFIGS, quick_hash, runtime_of
from web_support import Clock, sign_in, token

from gridwork.config import Deployment, load_deployment
from gridwork.storage import make_engine
from gridwork.web import create_app
from gridwork.web.site import Site

FlowClient = Callable[..., TestClient]
_VERSION = re.compile(r'name="version" value="(\d+)"')


def with_switches(target: Path, switches: dict[str, bool]) -> Deployment:
    """The community deployment copied to ``target`` with its workflow switches set."""
    shutil.copytree(CONFIGS / "community", target)
    path = target / "workflows.yaml"
    text = path.read_text(encoding="utf-8")
    for name, on in switches.items():
        text, found = re.subn(rf"(\b{name}:\s*)(true|false)", rf"\g<1>{str(on).lower()}",
                              text, count=1)
        assert found == 1, name
    path.write_text(text, encoding="utf-8")
    return load_deployment(target)


@pytest.fixture(scope="session")
def manual_dispatch(tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    """The community deployment with manual dispatch, loaded once."""
    return with_switches(tmp_path_factory.mktemp("flow") / "community",
                         {"auto_dispatch": False})


@pytest.fixture
def flow_client(tmp_path: Path, seeded: Callable[[str], Path], clock: Clock,
                manual_dispatch: Deployment) -> Iterator[FlowClient]:
    """Signed-in clients on one private database of the community deployment with manual
    dispatch (records wait in 待分发 until someone dispatches them)."""
    deployment = manual_dispatch
    db = tmp_path / "flow.sqlite3"
    shutil.copy(seeded("community"), db)
    engine = make_engine(f"sqlite:///{db}")
    app = create_app(runtime_of(deployment), engine=engine, clock=clock,
                     secret="test-secret-" + "x" * 20, data_dir=tmp_path / "data")

    def make(username: str) -> TestClient:
        client = TestClient(app)
        sign_in(client, username)
        return client
    yield make
    engine.dispose()


def site_of(client: TestClient) -> Site:
    """The site behind a client."""
    site: Site = client.app.state.site  # type: ignore[attr-defined]
    return site


def add_person(client: TestClient, username: str, role: str, *, node: str | None = None,
               department: str | None = None) -> None:
    """A user with password `demo` holding ``role`` at ``node`` or for ``department``."""
    site = site_of(client)
    users, grants = site.schema.system("users"), site.schema.system("grants")
    departments = site.schema.system("departments")
    node_id = site.node_by_code(node).id if node else None  # type: ignore[union-attr]
    with site.engine.begin() as conn:
        dept_id = conn.execute(select(departments.c.id).where(
            departments.c.code == department)).scalar() if department else None
        user_id = conn.execute(insert(users).values(
            username=username, display_name=username, password_hash=quick_hash("demo"),
            active=True, created_at=site.clock(), department=dept_id,
        ).returning(users.c.id)).scalar_one()
        conn.execute(insert(grants).values(user=user_id, role=role, node=node_id,
                                           department=dept_id,
                                           scope=site.deployment.roles[role].scope))


def home_node(client: TestClient, username: str) -> str:
    """The code of the node a user's grant sits at."""
    site = site_of(client)
    grants, users = site.schema.system("grants"), site.schema.system("users")
    with site.engine.connect() as conn:
        node = conn.execute(select(grants.c.node).join(users, users.c.id == grants.c.user)
                            .where(users.c.username == username)).scalar_one()
    return site.nodes()[node].code


def department_of(client: TestClient, username: str) -> str:
    """The code of the department a user works for."""
    site = site_of(client)
    users, departments = site.schema.system("users"), site.schema.system("departments")
    with site.engine.connect() as conn:
        return str(conn.execute(select(departments.c.code).join(
            users, users.c.department == departments.c.id).where(
            users.c.username == username)).scalar_one())


def report(client: TestClient, **values: Any) -> int:
    """Report an event through the form (as a user at a grid); return its id."""
    form = {"csrf": token(client), "node": home_node(client, "grid_worker"),
            "category": "dispute_neighbour", "title": "楼道堆物", "description": "楼道堆满杂物",
            "source": "patrol", "address": "三单元", **values}
    response = client.post("/registers/event/new", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def version_on(html: str) -> str:
    """The record version an opened action form carries."""
    found = _VERSION.search(html)
    assert found, "no version on the form"
    return found.group(1)


def act(client: TestClient, record_id: int, action: str, **data: Any) -> Any:
    """Open an action's form on the record page and post it with ``data``."""
    opened = client.get(f"/registers/event/{record_id}/actions/{action}")
    assert opened.status_code == 200, opened.text
    form = {"csrf": token(client), "version": version_on(opened.text), **data}
    return client.post(f"/registers/event/{record_id}/actions/{action}", data=form,
                       follow_redirects=False)


def record_row(client: TestClient, record_id: int) -> Any:
    """The event's stored row."""
    site = site_of(client)
    table = site.schema.table("event")
    with site.engine.connect() as conn:
        return conn.execute(select(table).where(table.c.id == record_id)).one()


def history_actions(client: TestClient, record_id: int) -> list[str]:
    """The actions of the event's history, oldest first."""
    site = site_of(client)
    history = site.schema.system("history")
    with site.engine.connect() as conn:
        return list(conn.execute(select(history.c.action).where(
            history.c.register == "event", history.c.record == record_id)
            .order_by(history.c.id)).scalars())
