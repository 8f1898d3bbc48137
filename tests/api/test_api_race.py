"""Two users take the same record's action at the same moment through a real HTTP server on
loopback: exactly one wins (200), the other is told someone acted first (409), and history
gains exactly one row — on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import secrets
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from api_support import SECRET, build_world, make_tokens
from sqlalchemy import func, select
from workflow_scripts import COMMUNITY, SCRIPTS, values_for
from workflow_support import World, add_user
from support import runtime_of

from gridwork.config import Deployment
from gridwork.web import create_app
from gridwork.web.api_shapes import dumps

SCRIPT = SCRIPTS["environment"]
"""Dispatch is by hand there (auto_dispatch off), by the town officer."""
ROUNDS = 4


@contextmanager
def serving(world: World, data_dir: Path) -> Iterator[str]:
    """The world's app on a loopback port, served by uvicorn in a thread; its base URL."""
    app = create_app(runtime_of(world.deployment), engine=world.engine, clock=world.clock, secret=SECRET,
                     data_dir=data_dir)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off",
                                           ws="none", http="h11"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            thread.join(0.01)
            assert thread.is_alive(), "the server did not start"
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/api/v1"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def call(url: str, token: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    """GET (or POST ``body`` as JSON); the status and the JSON answer."""
    request = urllib.request.Request(url, data=None if body is None else dumps(body),
                                     headers={"Authorization": f"Bearer {token}",
                                              "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        with err:
            return err.code, json.loads(err.read())


def _history_rows(world: World, record_id: int) -> int:
    history = world.schema.system("history")
    with world.engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(
            history.c.register == SCRIPT.register, history.c.record == record_id)).scalar_one())


@pytest.fixture(params=["sqlite", "postgresql"])
def race_world(request: pytest.FixtureRequest, tmp_path: Path,
               shipped: Callable[[str], Deployment],
               ) -> Iterator[tuple[World, dict[str, str]]]:
    """The environment deployment with two town officers at the same town, with tokens."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'race.sqlite3'}"
    else:
        url = request.getfixturevalue("pg_schema")()
    world = build_world(url, shipped("environment"))
    level = world.deployment.roles[SCRIPT.dispatcher].at[0]
    twin = f"{SCRIPT.dispatcher}_{secrets.token_hex(2)}"
    add_user(world.engine, world.schema, twin, SCRIPT.dispatcher, node=world.at[level])
    world.usernames = (*world.usernames, twin)
    yield world, make_tokens(world)
    world.engine.dispose()


def _race(url: str, tokens: dict[str, str], racers: list[str], departments: list[str],
          version: int) -> dict[str, tuple[int, Any]]:
    """Each racer dispatches (to their own department) at the same moment; their answers."""
    start = threading.Barrier(len(racers))
    answers: dict[str, tuple[int, Any]] = {}

    def race(who: str, department: str) -> None:
        body = {"version": version, "values": {"department": department}}
        start.wait()
        answers[who] = call(url, tokens[who], body)

    threads = [threading.Thread(target=race, args=pair)
               for pair in zip(racers, departments, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return answers


def test_two_users_acting_at_once_one_wins_one_gets_409(
        race_world: tuple[World, dict[str, str]], tmp_path: Path) -> None:
    world, tokens = race_world
    racers = [SCRIPT.dispatcher, world.usernames[-1]]
    departments = [d.code for d in world.deployment.departments][:2]
    level = (world.deployment.registers[SCRIPT.register].attach_to
             or world.deployment.hierarchy.levels[-1].key)
    with serving(world, tmp_path / "data") as base:
        records = f"{base}/registers/{SCRIPT.register}/records"
        for _ in range(ROUNDS):
            status, made = call(records, tokens[SCRIPT.reporter],
                                {"node": world.at[level], "values": values_for(world, SCRIPT)})
            assert status == 201 and made["state"] == SCRIPT.states["new"], made
            for who in racers:  # each sees the move offered at this version
                seen = call(f"{records}/{made['id']}", tokens[who])[1]
                assert "dispatch" in {a["name"] for a in seen["actions"]}
            rows = _history_rows(world, made["id"])
            answers = _race(f"{records}/{made['id']}/actions/dispatch", tokens, racers,
                            departments, made["version"])
            assert sorted(status for status, _ in answers.values()) == [200, 409], answers
            winner = next(body for status, body in answers.values() if status == 200)
            loser = next(body for status, body in answers.values() if status == 409)
            assert set(loser) == {"error"}
            assert _history_rows(world, made["id"]) == rows + 1
            final = call(f"{records}/{made['id']}", tokens[SCRIPT.dispatcher])[1]
            assert (final["state"], final["version"], final["department"]) == (
                winner["state"], winner["version"], winner["department"])
            assert final["history"][-1]["actor"] in racers


@pytest.fixture(params=["sqlite", "postgresql"])
def editors_world(request: pytest.FixtureRequest, tmp_path: Path,
                  shipped: Callable[[str], Deployment],
                  ) -> Iterator[tuple[World, dict[str, str]]]:
    """The community deployment with two community workers (who may edit events) at the
    same community, with tokens."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'edit.sqlite3'}"
    else:
        url = request.getfixturevalue("pg_schema")()
    world = build_world(url, shipped("community"))
    editor = COMMUNITY.dispatcher
    level = world.deployment.roles[editor].at[0]
    twin = f"{editor}_{secrets.token_hex(2)}"
    add_user(world.engine, world.schema, twin, editor, node=world.at[level])
    world.usernames = (*world.usernames, twin)
    yield world, make_tokens(world)
    world.engine.dispose()


def patch(url: str, token: str, body: dict[str, Any]) -> tuple[int, Any]:
    """PATCH ``body`` as JSON; the status and the JSON answer."""
    request = urllib.request.Request(url, data=dumps(body), method="PATCH",
                                     headers={"Authorization": f"Bearer {token}",
                                              "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        with err:
            return err.code, json.loads(err.read())


def test_two_users_editing_the_same_version_one_wins_one_gets_409(
        editors_world: tuple[World, dict[str, str]], tmp_path: Path) -> None:
    world, tokens = editors_world
    editors = [COMMUNITY.dispatcher, world.usernames[-1]]
    level = (world.deployment.registers[COMMUNITY.register].attach_to
             or world.deployment.hierarchy.levels[-1].key)
    history = world.schema.system("history")
    with serving(world, tmp_path / "data") as base:
        records = f"{base}/registers/{COMMUNITY.register}/records"
        status, made = call(records, tokens[COMMUNITY.reporter],
                            {"node": world.at[level], "values": values_for(world, COMMUNITY)})
        assert status == 201, made
        url, version = f"{records}/{made['id']}", made["version"]
        fields = {k: v for k, v in values_for(world, COMMUNITY).items()
                  if k not in ("category", "severity")}
        start = threading.Barrier(len(editors))
        answers: dict[str, tuple[int, Any]] = {}

        def edit(who: str) -> None:
            body = {"version": version, "values": {**fields, "address": f"{who} 写的地址"}}
            start.wait()
            answers[who] = patch(url, tokens[who], body)

        threads = [threading.Thread(target=edit, args=(who,)) for who in editors]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sorted(status for status, _ in answers.values()) == [200, 409], answers
        winner = next(who for who, (status, _) in answers.items() if status == 200)
        final = call(url, tokens[COMMUNITY.dispatcher])[1]
        assert final["version"] == version + 1
        assert final["values"]["address"] == f"{winner} 写的地址"
        assert final["history"][-1]["kind"] == "edited"
        assert final["history"][-1]["actor"] == winner
        with world.engine.connect() as conn:
            edits = conn.execute(select(func.count()).where(
                history.c.record == made["id"], history.c.kind == "edited")).scalar_one()
        assert edits == 1
        stale = patch(url, tokens[winner], {"version": version, "values": fields})
        assert stale[0] == 409 and call(url, tokens[winner])[1]["version"] == version + 1
