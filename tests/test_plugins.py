"""Plugins add field types through the hook; a broken plugin is a located config error."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from support import FIXTURES, run_check

from gridwork.config import load_deployment
from gridwork.plugins import field_types, plugin_manager

MINIMAL = (FIXTURES / "minimal" / "deployment.yaml").read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def _plugin_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(FIXTURES / "plugins"))


def _with(tmp_path: Path, plugin: str, field: str) -> Path:
    text = MINIMAL.replace("assessment:\n", f"plugins: [{plugin}]\nassessment:\n")
    text = text.replace("      - {name: result, type: textarea}\n",
                        f"      - {{name: result, type: textarea}}\n      - {field}\n")
    (tmp_path / "deployment.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def test_builtin_field_types_come_through_the_hook() -> None:
    types = field_types()
    assert {"text", "id_card", "credit_code", "geo_point", "reference", "user"} <= set(types)
    assert types["id_card"].validate("11010519491231002X", None) == "11010519491231002X"
    with pytest.raises(ValueError, match="checksum fails"):
        types["id_card"].validate("110105194912310021", None)


def test_a_deployment_plugin_adds_a_field_type(tmp_path: Path) -> None:
    d = load_deployment(_with(tmp_path, "plate_field", "{name: plate, type: plate}"))
    assert d.registers["event"].field("plate") is not None
    plate = field_types(plugin_manager(["plate_field"]))["plate"]
    assert plate.validate("浙a12345", None) == "浙A12345"
    with pytest.raises(ValueError, match="licence plate"):
        plate.validate("12345", None)


def test_without_the_plugin_the_field_type_is_unknown(tmp_path: Path) -> None:
    _with(tmp_path, "plate_field", "{name: plate, type: plate}")
    text = (tmp_path / "deployment.yaml").read_text(encoding="utf-8")
    (tmp_path / "deployment.yaml").write_text(text.replace("plugins: [plate_field]\n", ""))
    assert run_check(tmp_path) == (1, [
        "deployment.yaml:53:29: error: unknown field type 'plate'; did you mean 'date'?"])


def test_a_misspelt_hook_is_reported_at_the_plugin_entry(tmp_path: Path) -> None:
    code, report = run_check(_with(tmp_path, "misspelt_hook", "{name: n, type: text}"))
    assert code == 1
    assert report == ["deployment.yaml:99:11: error: plugin does not fit gridwork's hooks: "
                      "unknown hook 'gridwork_field_typs'; did you mean 'gridwork_field_types'?"]


def test_a_plugin_that_fails_to_import_is_reported(tmp_path: Path) -> None:
    broken = tmp_path / "plugins"
    broken.mkdir()
    (broken / "exploding.py").write_text("raise RuntimeError('boom')\n")
    sys.path.insert(0, str(broken))
    try:
        root = tmp_path / "d"
        root.mkdir()
        assert run_check(_with(root, "exploding", "{name: n, type: text}")) == (1, [
            "deployment.yaml:99:11: error: plugin 'exploding' failed to load: RuntimeError: boom"])
    finally:
        sys.path.remove(str(broken))


def test_id_card_numbers_whose_area_stdnum_cannot_name_still_validate() -> None:
    id_card = field_types()["id_card"]
    # python-stdnum raises KeyError naming this area; the number is well formed.
    assert id_card.validate("110007198001010013", None) == "110007198001010013"
    with pytest.raises(ValueError, match="checksum fails"):
        id_card.validate("110007198001010014", None)
