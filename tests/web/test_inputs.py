"""Numbers a request sends are read strictly: a character `str.isdigit()` accepts but `int()`
refuses (`²`), digits of another script, or a number past the column's range get 404 (ids in
paths) or 400/422 (queries, forms, bodies), never a 500; so do malformed JSON bodies."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from starlette.testclient import TestClient
from web_support import sign_in, token
from support import runtime_of

from gridwork.auth import create_token
from gridwork.config import Deployment
from gridwork.storage import make_engine, migrate
from gridwork.demo.seed import seed_demo
from gridwork.web import create_app

HUGE = str(2**63)
BAD_NUMBERS = ("²", "١٢", HUGE, "1" + "0" * 30)


def _grid(engine: Engine, client: TestClient) -> str:
    nodes = client.app.state.site.schema.system("nodes")  # type: ignore[attr-defined]
    with engine.connect() as conn:
        return str(conn.execute(select(nodes.c.code).where(nodes.c.level == "grid")
                                .order_by(nodes.c.id)).scalars().first())


def _answers(client: TestClient, engine: Engine, bad: str) -> dict[str, int]:
    """The status of every input that once answered 500, sent ``bad`` as its number."""
    site = client.app.state.site  # type: ignore[attr-defined]
    with engine.begin() as conn:
        _token, secret = create_token(conn, site.schema, "admin", site.clock())
    api = {"Authorization": f"Bearer {secret}"}
    csrf = token(client)
    grid = _grid(engine, client)
    answers = {
        "record id": client.get(f"/registers/event/{bad}").status_code,
        "record edit": client.post(f"/registers/event/{bad}/edit",
                                   data={"csrf": csrf}).status_code,
        "list page": client.get("/registers/event", params={"page": bad}).status_code,
        "messages page": client.get("/messages", params={"page": bad}).status_code,
        "inbox page": client.get("/inbox", params={"page": bad}).status_code,
        "queue page": client.get("/queues/to_dispatch", params={"page": bad}).status_code,
        "inbox read id": client.post("/inbox/read", data={"csrf": csrf, "id": bad}
                                     ).status_code,
        "inbox read page": client.post("/inbox/read", data={"csrf": csrf, "page": bad}
                                       ).status_code,
        "action version": client.post("/registers/event/1/actions/accept", data={
            "csrf": csrf, "version": bad}).status_code,
        "api record id": client.get(f"/api/v1/registers/event/records/{bad}",
                                    headers=api).status_code,
        "api list page": client.get("/api/v1/registers/event/records", params={"page": bad},
                                    headers=api).status_code,
        "api messages page": client.get("/api/v1/messages", params={"page": bad},
                                        headers=api).status_code,
        "api action version": client.post(
            "/api/v1/registers/event/records/1/actions/accept", headers=api,
            content=f'{{"version": {bad if bad.isascii() else json.dumps(bad)}}}').status_code,
        "api household": client.post("/api/v1/registers/visit/records", headers=api, json={
            "node": grid, "values": {"household": bad, "kind": "routine"}}).status_code,
    }
    visit = client.post("/registers/visit/new", data={
        "csrf": csrf, "node": grid, "household": bad, "kind": "routine"})
    answers["visit household"] = visit.status_code
    assert visit.status_code != 422 or 'id="error-household"' in visit.text
    return answers


def test_bad_numbers_never_answer_500(make_client: Callable[..., TestClient]) -> None:
    client = make_client(username="admin")
    engine = client.app.state.site.engine  # type: ignore[attr-defined]
    for bad in BAD_NUMBERS:
        answers = _answers(client, engine, bad)
        wrong = {name: status for name, status in answers.items()
                 if status not in (400, 404, 422)}
        assert not wrong, f"{bad!r}: {wrong}"
        assert answers["record id"] == answers["api record id"] == 404
        assert answers["list page"] == answers["inbox page"] == 400
        assert answers["api list page"] == answers["api messages page"] == 422
        assert answers["api household"] == answers["visit household"] == 422


def test_good_numbers_still_work(make_client: Callable[..., TestClient]) -> None:
    client = make_client(username="admin")
    assert client.get("/registers/event", params={"page": "2"}).status_code == 200
    assert client.get("/registers/event/1").status_code == 200
    assert client.get("/inbox", params={"page": "1"}).status_code == 200


def test_json_bodies_that_are_not_plain_get_400(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    site = client.app.state.site  # type: ignore[attr-defined]
    with site.engine.begin() as conn:
        _token, secret = create_token(conn, site.schema, "grid_worker", site.clock())
    api = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    path = "/api/v1/registers/event/records"
    bodies: dict[str, bytes] = {
        "lone surrogate": b'{"node": "\\ud800", "values": {}}',
        "deep nesting": b'{"values": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        "too big": json.dumps({"values": {"title": "x" * (2 * 1024 * 1024)}}).encode(),
        "not UTF-8": b'{"node": "\xff"}',
    }
    for name, body in bodies.items():
        response = client.post(path, content=body, headers=api)
        assert response.status_code == 400, name
        assert "error" in response.json(), name
    nested: Any = {}
    for _ in range(40):
        nested = {"x": nested}
    assert client.post(path, json={"values": nested}, headers=api).status_code == 400


def test_a_web_edit_without_a_version_is_refused(
        make_client: Callable[..., TestClient]) -> None:
    client = make_client(username="grid_leader")
    engine = client.app.state.site.engine  # type: ignore[attr-defined]

    def event(**values: str) -> dict[str, str]:
        return {"csrf": token(client), "node": _grid(engine, client),
                "category": "dispute_neighbour", "title": "楼上漏水",
                "description": "楼上漏水到楼下", "source": "patrol", "address": "一单元 302",
                **values}
    path = client.post("/registers/event/new", data=event(),
                       follow_redirects=False).headers["location"]
    version = re.search(r'name="version" value="(\d+)"', client.get(path + "/edit").text)
    assert version
    for sent in ({}, {"version": ""}, {"version": "²"}):
        refused = client.post(path + "/edit", data=event(title="悄悄覆盖", **sent),
                              follow_redirects=False)
        assert refused.status_code == 409, sent
        assert "悄悄覆盖" not in client.get(path).text
    saved = client.post(path + "/edit", data=event(title="楼上漏水已修",
                                                   version=version.group(1)),
                        follow_redirects=False)
    assert saved.status_code == 303
    assert "楼上漏水已修" in client.get(path).text


def test_overflowing_numbers_on_postgresql(pg_schema: Callable[[], str], tmp_path: Path,
                                           deployments: dict[str, Deployment]) -> None:
    url = pg_schema()
    deployment = deployments["community"]
    migrate(url, deployment, echo=lambda _: None)
    engine = make_engine(url)
    try:
        seed_demo(engine, deployment, records=40, echo=lambda _: None)
        client = TestClient(create_app(runtime_of(deployment), engine=engine, secret="p" * 32,
                                       data_dir=tmp_path))
        sign_in(client, "admin")
        for bad in (HUGE, str(2**31), "1" + "0" * 30):
            answers = _answers(client, engine, bad)
            wrong = {name: status for name, status in answers.items()
                     if status not in (400, 404, 422)}
            assert not wrong, f"{bad!r}: {wrong}"
    finally:
        engine.dispose()
