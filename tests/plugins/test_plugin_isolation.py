"""A plugin cannot corrupt a record or see past the user's scope."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from plugin_world import NOW, PASSWORD, World
from starlette.testclient import TestClient
from support import runtime_of

from gridwork.web import create_app
from gridwork.workflow import PluginFailed


def test_a_plugin_action_runs_inside_the_transition(world: World) -> None:
    record = world.create("worker1", "井盖缺失")
    accepted = world.act("leader", record, "accept")
    assert (accepted.state, accepted.priority) == ("handling", "urgent")
    assert world.history(accepted) == ["create", "accept"]


def test_a_raising_plugin_action_rolls_the_transition_back(
        world: World, caplog: pytest.LogCaptureFixture) -> None:
    record = world.create("worker1", "井盖缺失")
    before = world.row(record)
    with caplog.at_level(logging.ERROR, logger="gridwork.plugins"), \
            pytest.raises(PluginFailed) as failed:
        world.act("leader", record, "hurry")
    assert str(failed.value) == ("plugin 'workshop' failed in action 'explode': the boiler is "
                                 "on fire; nothing was changed — tell your administrator")
    assert world.row(record) == before  # state, priority and version as they were
    assert world.history(record) == ["create"]
    assert "RuntimeError: the boiler is on fire" in caplog.text
    assert "Traceback" in caplog.text
    # The record can still move on: nothing was left half done.
    assert world.act("leader", record, "accept").state == "handling"


def test_a_plugin_page_sees_only_the_signed_in_users_records(world: World,
                                                             tmp_path: Path) -> None:
    world.create("worker1", "一号网格的事件")
    world.create("worker2", "二号网格的事件", node="S1C1G2")
    app = create_app(runtime_of(world.deployment), engine=world.engine, clock=lambda: NOW,
                     secret="plugin-test-secret-" + "x" * 20, data_dir=tmp_path)
    with TestClient(app) as client:
        assert client.get("/plugins/workshop/mine", follow_redirects=False).status_code == 303
        token = client.get("/signin").text.split('name="csrf" value="')[1].split('"')[0]
        client.post("/signin", data={"csrf": token, "username": "worker1",
                                     "password": PASSWORD, "next": "/"})
        page = client.get("/plugins/workshop/mine")
        listed = client.get("/plugins/workshop/api/mine").json()
    assert page.status_code == 200
    assert "一号网格的事件" in page.text and "二号网格的事件" not in page.text
    assert listed == {"titles": ["一号网格的事件"]}
