"""The committed JSON Schema and reference page match the models, and the schema is right."""

from __future__ import annotations

import json

import jsonschema
import pytest
from ruamel.yaml import YAML
from support import CONFIGS, ROOT, SHIPPED, run_cli

from gridwork.config.reference import json_schema, markdown_reference, scenario_schema


def test_reference_page_is_fresh() -> None:
    committed = (ROOT / "docs" / "config-reference.md").read_text(encoding="utf-8")
    assert committed == markdown_reference(), "run: gridwork schema --markdown > docs/config-reference.md"


def test_json_schema_is_fresh() -> None:
    committed = json.loads((ROOT / "schema" / "gridwork.schema.json").read_text(encoding="utf-8"))
    assert committed == json_schema(), "run: gridwork schema > schema/gridwork.schema.json"


def test_scenario_schema_is_fresh_and_takes_every_shipped_scenario() -> None:
    path = ROOT / "schema" / "scenario.schema.json"
    committed = json.loads(path.read_text(encoding="utf-8"))
    assert committed == scenario_schema(), "run: gridwork schema --scenario > " + str(path)
    files = sorted(CONFIGS.glob("*/scenarios/*.yaml"))
    assert len(files) >= 5
    for file in files:
        text = file.read_text(encoding="utf-8")
        assert text.startswith("# yaml-language-server: $schema=../../../schema/scenario.schema.json")
        jsonschema.validate(json.loads(json.dumps(YAML(typ="safe").load(text), default=str)),
                            committed)


def test_schema_command_prints_the_schema() -> None:
    code, out, _ = run_cli("schema")
    assert code == 0
    assert json.loads(out) == json_schema()


def test_reference_documents_every_key_with_a_description() -> None:
    page = markdown_reference()
    rows = [line for line in page.splitlines() if line.startswith("| `")]
    assert len(rows) > 150
    assert all(line.split(" | ")[3].strip() for line in rows), "every key has a description"
    assert "| `state` | name | required | The state whose time is limited." in page


@pytest.mark.parametrize("name", SHIPPED)
def test_editor_schema_accepts_every_shipped_file(name: str) -> None:
    validator = jsonschema.Draft202012Validator(json_schema())
    for path in sorted((CONFIGS / name).glob("*.yaml")):
        data = json.loads(json.dumps(YAML(typ="safe").load(path.read_text(encoding="utf-8")),
                                     default=str))
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
                  for e in validator.iter_errors(data)]
        assert errors == [], path.name


def test_editor_schema_flags_a_misspelt_key() -> None:
    validator = jsonschema.Draft202012Validator(json_schema())
    errors = list(validator.iter_errors({"deployment": {"name": "x", "titel": "y"}}))
    assert any("titel" in e.message for e in errors)
