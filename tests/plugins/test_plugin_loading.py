"""Plugins load from installed entry points and from a deployment's `plugins:` list; bad
settings and a plugin's own objections are config errors at its entry."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from plugin_world import WORLD
from support import FIXTURES, run_check, run_cli

from gridwork import plugins
from gridwork.commands.plugins import plugin_cli


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """`workshop` installed as a distribution with a `gridwork.plugins` entry point."""
    info = tmp_path / "site" / "gridwork_workshop-1.2.3.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: gridwork-workshop\n"
                                   "Version: 1.2.3\n")
    (info / "entry_points.txt").write_text("[gridwork.plugins]\nworkshop = workshop\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    plugins.default_manager.cache_clear()
    yield
    plugins.default_manager.cache_clear()


def _world(tmp_path: Path, settings: str) -> Path:
    target = tmp_path / "world"
    shutil.copytree(WORLD, target)
    main = target / "deployment.yaml"
    main.write_text(main.read_text(encoding="utf-8").replace(
        "settings: {limit: 5}", f"settings: {settings}"), encoding="utf-8")
    return target


def test_plugins_lists_what_a_deployment_loads() -> None:
    code, out, _ = run_cli("plugins", str(WORLD))
    assert code == 0
    assert ("workshop  -  [config]  cli_commands, config_loaded, escalation_actions, "
            "expression_functions, pages, workflow_actions") in out.splitlines()
    assert "gridwork.forms.fieldtypes  -  [built-in]  field_types" in out.splitlines()


@pytest.mark.usefixtures("installed")
def test_an_installed_plugin_loads_from_its_entry_point() -> None:
    code, out, _ = run_cli("plugins", str(FIXTURES / "minimal"))
    assert code == 0
    assert ("workshop  1.2.3  [entry point]  cli_commands, config_loaded, escalation_actions, "
            "expression_functions, pages, workflow_actions") in out.splitlines()
    hello, = [c for c in plugin_cli({"check"}) if c.name == "workshop-hello"]
    assert CliRunner().invoke(hello).output == "hello from the workshop\n"
    # A plugin command cannot replace a command gridwork already has.
    assert "workshop-hello" not in {c.name for c in plugin_cli({"workshop-hello"})}


def test_an_installed_plugin_needing_settings_is_skipped_until_configured(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    info = tmp_path / "site" / "needy-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: needy\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[gridwork.plugins]\nneedy = needy\n")
    (tmp_path / "site" / "needy.py").write_text(
        "from pydantic import BaseModel\nclass Settings(BaseModel):\n    url: str\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    manager = plugins.plugin_manager()
    assert manager.get_plugin("needy") is None
    assert manager.skipped["needy"] == "needs settings: name it under 'plugins:' with them"


@pytest.mark.parametrize(("settings", "report"), [
    ("{limt: 5}", ["deployment.yaml:104:16: error: unknown setting 'limt'; did you mean "
                   "'limit'? (settings of 'workshop': priority, limit, require_role)"]),
    ("{limit: many}", ["deployment.yaml:104:23: error: expected a whole number, got 'many'"]),
    ("{require_role: grid_workr}", ["deployment.yaml:103:5: error: plugin 'workshop': role "
                                    "'grid_workr' does not exist"]),
])
def test_bad_settings_are_located_at_the_plugin_entry(tmp_path: Path, settings: str,
                                                      report: list[str]) -> None:
    assert run_check(_world(tmp_path, settings)) == (1, report)


def test_plugin_names_are_unknown_without_the_plugin(tmp_path: Path) -> None:
    world = _world(tmp_path, "{}")
    main = world / "deployment.yaml"
    main.write_text(main.read_text(encoding="utf-8").replace(
        "plugins:\n  - module: workshop\n    settings: {}\n", ""), encoding="utf-8")
    assert run_check(world) == (1, [
        "deployment.yaml:71:82: error: unknown action 'stamp'; expected one of: assign, "
        "dispatch, notify, set, start_timer, stop_timer, supervise",
        "deployment.yaml:72:77: error: unknown function 'shout'",
        "deployment.yaml:73:21: error: unknown action 'stamp'; expected one of: assign, "
        "dispatch, notify, set, start_timer, stop_timer, supervise",
        "deployment.yaml:73:38: error: unknown action 'explode'; expected one of: assign, "
        "dispatch, notify, set, start_timer, stop_timer, supervise",
        "deployment.yaml:84:52: error: unknown escalation action 'call_hotline'; none is "
        "defined"])


def test_an_unknown_escalation_action_is_reported(tmp_path: Path) -> None:
    world = _world(tmp_path, "{}")
    main = world / "deployment.yaml"
    main.write_text(main.read_text(encoding="utf-8").replace("call_hotline", "call_hotlne"),
                    encoding="utf-8")
    assert run_check(world) == (1, [
        "deployment.yaml:84:52: error: unknown escalation action 'call_hotlne'; did you mean "
        "'call_hotline'?"])


def test_a_broken_installed_plugin_is_a_warning_not_a_crash(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    info = tmp_path / "site" / "broken-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[gridwork.plugins]\nbroken = broken_plugin\n")
    (tmp_path / "site" / "broken_plugin.py").write_text("raise ImportError('no gateway lib')\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    assert run_check(FIXTURES / "minimal") == (0, [
        "deployment.yaml:1:1: warning: installed plugin 'broken_plugin' failed to load: "
        "ImportError: no gateway lib; it is not loaded"])
