"""Every value that names a code is checked: `set:` values, texts compared in guards and
`where:`, constant `fill:` values. A misspelt priority or department must not pass `check`
and surface only when a record takes the transition."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import FIXTURES, run_check

BASE = (FIXTURES / "minimal" / "deployment.yaml").read_text(encoding="utf-8")
ACCEPT = "      - {name: accept, from: reported, to: handling, by: dept_staff}\n"

CASES = [
    ("set_priority_not_a_code",
     (ACCEPT, ACCEPT.replace("}\n", ", actions: [{set: {priority: urgnt}}]}\n")),
     ["deployment.yaml:69:97: error: unknown code 'urgnt' of 'priority'; did you mean "
      "'urgent'?"]),
    ("set_department_misspelt",
     (ACCEPT, ACCEPT.replace("}\n", ", actions: [{set: {department: cgg}}]}\n")),
     ["deployment.yaml:69:99: error: unknown code 'cgg' of 'department'; did you mean 'cg'?"]),
    ("guard_compares_unknown_severity",
     (ACCEPT, ACCEPT.replace("}\n", ", guard: \"severity in ['major', 'majr']\"}\n")),
     ["deployment.yaml:69:100: error: unknown code 'majr' of 'severity'; did you mean "
      "'major'?"]),
    ("schedule_where_unknown_option",
     ("where: \"kind == 'food'\"", "where: \"kind == 'foods'\""),
     ["deployment.yaml:87:21: error: unknown code 'foods' of 'kind'; did you mean 'food'?"]),
    ("schedule_fill_unknown_option",
     ("    creates: event\n", "    creates: shop\n    fill: {kind: \"'retial'\"}\n"),
     ["deployment.yaml:90:18: error: unknown code 'retial' of 'kind'; did you mean "
      "'retail'?"]),
]


@pytest.mark.parametrize(("edit", "expected"), [pytest.param(e, x, id=i) for i, e, x in CASES])
def test_a_misspelt_code_is_reported_where_it_is_written(
        tmp_path: Path, edit: tuple[str, str], expected: list[str]) -> None:
    old, new = edit
    assert BASE.count(old) == 1
    (tmp_path / "deployment.yaml").write_text(BASE.replace(old, new), encoding="utf-8")
    code, report = run_check(tmp_path)
    assert code == 1
    assert report == expected


def test_the_codes_as_written_pass(tmp_path: Path) -> None:
    text = BASE.replace(ACCEPT, ACCEPT.replace(
        "}\n", ", guard: \"severity != 'major'\", actions: [{set: {priority: urgent}}]}\n"))
    text = text.replace("    creates: event\n", "    creates: shop\n    fill: {kind: \"'retail'\"}\n")
    (tmp_path / "deployment.yaml").write_text(text, encoding="utf-8")
    code, report = run_check(tmp_path)
    assert code == 0
    assert not [line for line in report if ": error:" in line]


def test_check_reads_the_scenario_files(tmp_path: Path) -> None:
    (tmp_path / "deployment.yaml").write_text(BASE, encoding="utf-8")
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "late.yaml").write_text(
        "report: {category: litter, time: 2026-11-06 17:00}\n"
        "steps:\n"
        "  - {at: 2026-11-09 09:45, by: dept_staf, action: accept}\n"
        "  - {at: 2026-11-09 10:00, by: dept_staff, action: close, values: {department: cgg}}\n"
        "expect:\n"
        "  - {at: 2026-11-06 17:00, kind: transition, state: reported}\n", encoding="utf-8")
    code, report = run_check(tmp_path)
    assert report == [
        "scenarios/late.yaml:3:32: error: unknown role 'dept_staf'; did you mean 'dept_staff'?",
        "scenarios/late.yaml:4:80: error: unknown code 'cgg' of 'department'; did you mean "
        "'cg'?"]
    assert code == 1


def test_a_limit_rule_that_categories_always_beat_is_reported(tmp_path: Path) -> None:
    text = BASE.replace("    limits: {handling: {general: 3wd, major: 1wd}}\n",
                        "    limits: {handling: {general: 3wd, major: 1wd}, reported: 4wh}\n")
    (tmp_path / "deployment.yaml").write_text(text, encoding="utf-8")
    code, report = run_check(tmp_path)
    assert code == 0
    assert [line for line in report if "never applies" in line] == [
        "deployment.yaml:75:5: warning: this rule never applies: every category it covers has "
        "its own limit for 'reported' (e.g. 'city'), which comes first; add 'override: true' "
        "to make the rule beat the categories' limits, or remove it"]
    overriding = text.replace("  - {state: reported, within: 2wh}\n",
                              "  - {state: reported, within: 2wh, override: true}\n")
    (tmp_path / "deployment.yaml").write_text(overriding, encoding="utf-8")
    assert not [line for line in run_check(tmp_path)[1] if "never applies" in line]
