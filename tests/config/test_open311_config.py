"""The `open311:` block is checked like the rest of the config: every name it uses must
exist and fit, each problem reported at its place with what to write instead."""

from __future__ import annotations

import shutil
from pathlib import Path

from support import CONFIGS, run_check

COMMUNITY = CONFIGS / "community"


def _with_open311(tmp_path: Path, edits: list[tuple[str, str]]) -> Path:
    root = tmp_path / "community"
    shutil.copytree(COMMUNITY, root, ignore=shutil.ignore_patterns("data"))
    path = root / "open311.yaml"
    text = path.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return root


def _errors(lines: list[str]) -> list[str]:
    return [line for line in lines if ": error: " in line]


def test_every_wrong_name_is_reported_at_its_place(tmp_path: Path) -> None:
    root = _with_open311(tmp_path, [
        ("    - city_green\n", "    - city_gren\n"),
        ("description: description", "description: descripton"),
        ("location: location", "location: address"),
        ("values: {source: wechat}", "values: {sourc: wechat}"),
        ("revisit_ok, archive]", "revisit_ok, archiv]"),
        ('fallback_node: "330106001001001"', 'fallback_node: "330106001001"'),
    ])
    code, lines = run_check(root)
    assert code == 1
    assert _errors(lines) == [
        "open311.yaml:17:7: error: unknown category 'city_gren'; did you mean 'city_green'?",
        "open311.yaml:25:18: error: unknown field 'descripton'; did you mean 'description'?",
        "open311.yaml:27:15: error: field 'address' is a text; `location` fills a field of "
        "type geo_point",
        "open311.yaml:30:12: error: unknown field 'sourc'; did you mean 'source'?",
        "open311.yaml:31:66: error: unknown action 'archiv'; did you mean 'archive'?",
        "open311.yaml:32:18: error: node '330106001001' is a community; event records sit at "
        "a grid",
    ]


def test_the_register_must_take_categorized_workflow_records(tmp_path: Path) -> None:
    code, lines = run_check(_with_open311(tmp_path, [("register: event", "register: resident")]))
    assert code == 1
    assert _errors(lines) == [
        "open311.yaml:10:13: error: register 'resident' needs a workflow and "
        "`categorized: true` to take public requests"]
    code, lines = run_check(_with_open311(tmp_path / "2", [("register: event",
                                                             "register: evnt")]))
    assert _errors(lines) == [
        "open311.yaml:10:13: error: unknown register 'evnt'; did you mean 'event'?"]


def test_shape_errors_say_what_is_allowed(tmp_path: Path) -> None:
    root = _with_open311(tmp_path, [("rate_limit: {requests: 30, per: 1h}",
                                     "rate_limit: {requests: 0, per: 2wd}"),
                                    ("jurisdiction:", "jurisdiction_id:")])
    code, lines = run_check(root)
    assert code == 1
    errors = _errors(lines)
    assert any(line.startswith("open311.yaml:11:3: error: unknown key 'jurisdiction_id'; "
                               "did you mean 'jurisdiction'?") for line in errors), errors
    assert any(line.startswith("open311.yaml:33:26: error:") and "greater than or equal to 1"
               in line for line in errors), errors
    assert any(line.startswith("open311.yaml:33:34: error: '2wd' must be a positive calendar "
                               "time") for line in errors), errors
