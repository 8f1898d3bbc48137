"""Every hook, called by the gridwork code path that invokes it (a check, an engine call, a
sweep, a page, a command) with a plugin registered for the test, seen as a user sees it.

`workshop` (tests/fixtures/plugins) is the plugin world's own plugin; `signals`, written
here into the test's folder, adds a field type, a routing strategy, a channel type and a
message template to a copy of that world.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from plugin_world import NOW, PASSWORD, WORLD, World, make_world
from sqlalchemy import select
from starlette.testclient import TestClient
from support import FIXTURES, run_check, run_cli, runtime_of

from gridwork import hookspecs, plugins
from gridwork.commands.plugins import plugin_cli
from gridwork.sweep.sweep import sweep
from gridwork.web import create_app
from gridwork.workflow import Invalid, available_actions, create_record, load_user

ROOT = Path(__file__).parents[2]
LATER = NOW + dt.timedelta(hours=3)
"""Past the record's 2-working-hour limit: the ladder's first step is due."""

SIGNALS = '''
from sqlalchemy import select

from gridwork.config.models.outputs import MessageTemplate
from gridwork.config.types import Label
from gridwork.notify.channels import ChannelType
from gridwork.forms import FieldType
from gridwork.plugins import hookimpl
from gridwork.workflow import Route

PAGED = []


def _page(message):
    PAGED.append((message.address, message.subject))
    return "paged"


def _pager(value, spec):
    if not str(value).isdigit():
        raise ValueError("a pager number is digits only")
    return str(value)


def _second_worker(conn, schema, record, rule):
    users = schema.system("users")
    return Route("cg", conn.execute(select(users.c.id).where(users.c.username == "worker2"))
                 .scalar_one())


class _Pager(FieldType):
    """A pager number: digits only."""

    name = "pager"
    python_type = str

    def validate(self, value, spec):
        return _pager(value, spec)


@hookimpl
def gridwork_field_types():
    return [_Pager()]


@hookimpl
def gridwork_routing_strategies():
    return {"second_worker": _second_worker}


@hookimpl
def gridwork_channel_types():
    return [ChannelType("pager", _page, lambda user, channel: user["username"])]


@hookimpl
def gridwork_message_templates():
    return {"escalation": MessageTemplate(subject=Label(zh="呼叫：{{ record.title }}"),
                                          body=Label(zh="请回电"))}
'''


@pytest.fixture
def signals(tmp_path: Path) -> Iterator[World]:
    """A copy of the plugin world that also loads `signals`, migrated on SQLite."""
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "signals.py").write_text(SIGNALS, encoding="utf-8")
    sys.path.insert(0, str(folder))
    root = tmp_path / "world"
    shutil.copytree(WORLD, root)
    main = root / "deployment.yaml"
    text = main.read_text(encoding="utf-8")
    for old, new in [
        ("      - {name: result, type: textarea}\n",
         "      - {name: result, type: textarea}\n      - {name: pager, type: pager}\n"),
        ("      - {name: close,", "      - {name: send, from: reported, to: handling, "
                                  "by: grid_leader, actions: [{dispatch: true}]}\n"
                                  "      - {name: close,"),
        ("    switches: {auto_dispatch: true}\n",
         "    switches: {auto_dispatch: true}\n    routing: [{strategy: second_worker}]\n"),
        ("    inbox: {type: inbox}\n",
         "    inbox: {type: inbox}\n    pager: {type: pager}\n  roles: {grid_leader: [pager]}\n"),
        ("  - module: workshop\n", "  - signals\n  - module: workshop\n"),
    ]:
        assert old in text
        text = text.replace(old, new)
    main.write_text(text, encoding="utf-8")
    world = make_world(f"sqlite:///{tmp_path / 'signals.sqlite3'}", root)
    try:
        yield world
    finally:
        world.engine.dispose()
        sys.path.remove(str(folder))
        sys.modules.pop("signals", None)


def test_plugin_hooks_have_tests() -> None:
    hooks = {name for name in vars(hookspecs) if name.startswith("gridwork_")}
    tested = set()
    for path in [*ROOT.glob("tests/**/test_*.py"), *ROOT.glob("plugins/*/tests/test_*.py")]:
        tested |= set(re.findall(r"^def test_hook_(\w+)\(", path.read_text(encoding="utf-8"),
                                 re.MULTILINE))
    assert len(hooks) >= 10
    assert sorted(h for h in hooks if h.removeprefix("gridwork_") not in tested) == []


def test_hook_field_types(signals: World) -> None:
    assert run_check(signals.deployment.root) == (0, [])
    with signals.engine.connect() as conn:
        worker = load_user(conn, signals.schema, "worker1")
    with pytest.raises(Invalid) as invalid:
        create_record(signals.engine, signals.runtime, worker, "event", "S1C1G1",
                      {"title": "井盖缺失", "category": "litter", "pager": "12a"},
                      clock=lambda: NOW)
    assert invalid.value.errors == {"pager": ["a pager number is digits only"]}
    made = create_record(signals.engine, signals.runtime, worker, "event", "S1C1G1",
                         {"title": "井盖缺失", "category": "litter", "pager": "955"},
                         clock=lambda: NOW)
    assert made.values["pager"] == "955"


def test_hook_expression_functions(world: World) -> None:
    quiet, loud = world.create("worker1", "no"), world.create("worker1", "井盖缺失")
    with world.engine.connect() as conn:
        leader = load_user(conn, world.schema, "leader")
        offered = [[a.name for a in available_actions(conn, world.runtime, leader, "event",
                                                      record.id, clock=lambda: NOW)]
                   for record in (quiet, loud)]
    # The guard `shout(title) != 'NO!'` calls the plugin's function.
    assert offered == [["accept"], ["accept", "hurry"]]


def test_hook_routing_strategies(signals: World) -> None:
    record = signals.act("leader", signals.create("worker1", "井盖缺失"), "send")
    users = signals.schema.system("users")
    with signals.engine.connect() as conn:
        chosen = conn.execute(select(users.c.username).where(users.c.id == record.assignee))
        assert (record.department, chosen.scalar_one()) == ("cg", "worker2")


def test_hook_workflow_actions(world: World) -> None:
    accepted = world.act("leader", world.create("worker1", "井盖缺失"), "accept")
    assert (accepted.state, accepted.priority) == ("handling", "urgent")


def test_hook_escalation_actions(world: World) -> None:
    record = world.create("worker1", "井盖缺失")
    assert sweep(world.engine, world.runtime, now=LATER).failed == []
    assert world.history(record)[-2:] == ["escalate", "hotline"]


def test_hook_channel_types(signals: World) -> None:
    signals.create("worker1", "井盖缺失")
    sweep(signals.engine, signals.runtime, now=LATER)
    code, out, _ = run_cli("deliver", str(signals.deployment.root), "--db",
                        str(signals.engine.url))
    assert code == 0 and out.startswith("sent 1 ")
    assert sys.modules["signals"].PAGED == [("leader", "呼叫：井盖缺失")]


def test_hook_message_templates(signals: World) -> None:
    record = signals.create("worker1", "井盖缺失")
    sweep(signals.engine, signals.runtime, now=LATER)
    outbox = signals.schema.system("outbox")
    with signals.engine.connect() as conn:
        subjects = set(conn.execute(select(outbox.c.subject).where(
            outbox.c.record == record.id, outbox.c.cause == "escalation")).scalars())
    assert subjects == {"呼叫：井盖缺失"}


def test_hook_pages(world: World, tmp_path: Path) -> None:
    world.create("worker1", "一号网格的事件")
    app = create_app(runtime_of(world.deployment), engine=world.engine, clock=lambda: NOW,
                     secret="plugin-test-secret-" + "x" * 20, data_dir=tmp_path)
    with TestClient(app) as client:
        token = client.get("/signin").text.split('name="csrf" value="')[1].split('"')[0]
        client.post("/signin", data={"csrf": token, "username": "worker1",
                                     "password": PASSWORD, "next": "/"})
        assert client.get("/plugins/workshop/api/mine").json() == {"titles": ["一号网格的事件"]}


def test_hook_cli_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    info = tmp_path / "site" / "gridwork_workshop-1.2.3.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: gridwork-workshop\n"
                                   "Version: 1.2.3\n")
    (info / "entry_points.txt").write_text("[gridwork.plugins]\nworkshop = workshop\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.syspath_prepend(str(FIXTURES / "plugins"))
    plugins.default_manager.cache_clear()  # the installed plugins are read once a process
    try:
        hello, = [c for c in plugin_cli({"check"}) if c.name == "workshop-hello"]
        assert CliRunner().invoke(hello).output == "hello from the workshop\n"
    finally:
        plugins.default_manager.cache_clear()


def test_hook_config_loaded(tmp_path: Path) -> None:
    root = tmp_path / "world"
    shutil.copytree(WORLD, root)
    main = root / "deployment.yaml"
    main.write_text(main.read_text(encoding="utf-8").replace(
        "settings: {limit: 5}", "settings: {require_role: warden}"), encoding="utf-8")
    assert run_check(root) == (1, [
        "deployment.yaml:103:5: error: plugin 'workshop': role 'warden' does not exist"])
