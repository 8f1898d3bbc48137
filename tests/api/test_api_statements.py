"""What one API request costs the database: one connection and one transaction, in which the
token, its user and grants are read with one statement, an action's record once (the
engine's locked read), and the answer is built from what the engine wrote."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from starlette.testclient import TestClient

from gridwork.auth import create_token
from gridwork.tools.lifecycle_bench import counting, world
from gridwork.web.app import create_app

RECORDS = "/api/v1/registers/event/records"


@pytest.fixture
def served(database: str | None, tmp_path: Path) -> Iterator[tuple[Any, TestClient,
                                                                  dict[str, str]]]:
    """The lifecycle deployment's world, a client of its app, and a token per user."""
    with world(database) as w:
        with w.engine.begin() as conn:
            tokens = {role: create_token(conn, w.runtime.schema, role,
                                         dt.datetime.now(dt.UTC), name="t")[1]
                      for role in w.users}
        app = create_app(w.runtime, engine=w.engine, clock=w.clock, secret="test",
                         data_dir=tmp_path)
        with TestClient(app) as client:
            yield w, client, {role: f"Bearer {token}" for role, token in tokens.items()}


def test_a_request_is_one_transaction_of_a_few_statements(
        served: tuple[Any, TestClient, dict[str, str]]) -> None:
    w, client, tokens = served
    table = w.runtime.schema.table("event").name
    for role in ("grid_worker", "dispatcher"):  # a token's first use is noted once
        assert client.get("/api/v1/me", headers={"Authorization": tokens[role]}).is_success
    checkouts: list[object] = []

    def checkout(*_args: object) -> None:
        checkouts.append(None)

    event.listen(w.engine, "checkout", checkout)
    try:
        with counting(w.engine) as created:
            made = client.post(RECORDS, json={"node": "S1G1", "values": {"title": "one"}},
                               headers={"Authorization": tokens["grid_worker"]})
        assert made.status_code == 201, made.text
        assert len(checkouts) == 1
        with counting(w.engine) as dispatched:
            moved = client.post(f"{RECORDS}/{made.json()['id']}/actions/dispatch",
                                json={"version": 1, "values": {"department": "cg"}},
                                headers={"Authorization": tokens["dispatcher"]})
        assert moved.status_code == 200, moved.text
        assert len(checkouts) == 2
    finally:
        event.remove(w.engine, "checkout", checkout)
    body = moved.json()
    assert body["state"] == "accepting" and body["department"] == "cg"
    assert body["version"] == 2 and [h["action"] for h in body["history"]] == [
        "create", "dispatch"]
    # The token (one statement), the node, the record, its history row and timer, and the
    # history the answer shows: no savepoint, no second read of anything.
    assert len(created) == 6, created
    reads = [s for s in dispatched if s.lstrip().upper().startswith("SELECT") and table in s]
    assert len(reads) == 1, reads
    assert not any("SAVEPOINT" in s.upper() for s in created + dispatched)


def test_a_refused_action_leaves_nothing_and_a_hidden_record_is_not_found(
        served: tuple[Any, TestClient, dict[str, str]]) -> None:
    w, client, tokens = served
    made = client.post(RECORDS, json={"node": "S1G1", "values": {"title": "two"}},
                       headers={"Authorization": tokens["grid_worker"]}).json()
    # Outside the department staff's scope until dispatched to them: not found, as if the
    # record did not exist; a dispatch without its department is refused and writes nothing.
    hidden = client.post(f"{RECORDS}/{made['id']}/actions/accept", json={"version": 1},
                         headers={"Authorization": tokens["dept_staff"]})
    assert hidden.status_code == 404, hidden.text
    refused = client.post(f"{RECORDS}/{made['id']}/actions/dispatch", json={"version": 1},
                          headers={"Authorization": tokens["dispatcher"]})
    assert refused.status_code == 422 and "department" in refused.json()["errors"]
    stale = client.post(f"{RECORDS}/{made['id']}/actions/dispatch",
                        json={"version": 2, "values": {"department": "cg"}},
                        headers={"Authorization": tokens["dispatcher"]})
    assert stale.status_code == 409
    read = client.get(f"{RECORDS}/{made['id']}",
                      headers={"Authorization": tokens["dispatcher"]}).json()
    assert read["version"] == 1 and read["state"] == "dispatching"
    assert [h["action"] for h in read["history"]] == ["create"]
