"""The keys of runtime switches in broken configs: the `switch` permission and a ladder
step's `if:`/`unless:` are reported where they are written, with what to write instead."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import FIXTURES, run_check

BASE = (FIXTURES / "minimal" / "deployment.yaml").read_text(encoding="utf-8")
STEP = "    - {after: 0, notify: [grid_leader]}\n"
LEADER = "    can: [view, supervise]\n"
SWITCHES = "    switches: {auto_dispatch: true}\n"

CASES = [
    ("step_if_unknown_switch",
     [(STEP, STEP.replace("]}", "], if: auto_dispach}"))],
     ["deployment.yaml:80:45: error: unknown switch 'auto_dispach'; did you mean "
      "'auto_dispatch'?"]),
    ("step_unless_unknown_switch",
     [(STEP, STEP.replace("]}", "], unless: emergency}"))],
     ["deployment.yaml:80:49: error: unknown switch 'emergency'; expected one of: auto_dispatch"]),
    ("permission_misspelt",
     [(LEADER, LEADER.replace("supervise]", "supervise, swtch]"))],
     ["deployment.yaml:29:28: error: unknown permission 'swtch'; did you mean 'switch'?"]),
    ("switch_for_one_register",
     [(LEADER, LEADER.replace("supervise]", "supervise, 'switch:event']"))],
     ["deployment.yaml:29:28: error: 'switch' applies to the whole deployment, not to one "
      "register; write 'switch'"]),
    ("switch_without_switches",
     [(LEADER, LEADER.replace("supervise]", "supervise, switch]")), (SWITCHES, "")],
     ["deployment.yaml:29:28: error: 'switch' lets a role turn workflow switches on and off, "
      "but no workflow has 'switches:'; add them or remove 'switch'"]),
]


@pytest.mark.parametrize(("edits", "expected"), [pytest.param(e, x, id=i) for i, e, x in CASES])
def test_a_broken_switch_key_is_reported_where_it_is_written(
        tmp_path: Path, edits: list[tuple[str, str]], expected: list[str]) -> None:
    text = BASE
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    (tmp_path / "deployment.yaml").write_text(text, encoding="utf-8")
    code, report = run_check(tmp_path)
    assert code == 1
    assert [line for line in report if ": error:" in line] == expected


def test_switch_keys_as_written_pass(tmp_path: Path) -> None:
    text = BASE.replace(LEADER, LEADER.replace("supervise]", "supervise, switch]"))
    text = text.replace(STEP, STEP.replace("]}", "], if: auto_dispatch}") + STEP.replace(
        "]}", "], unless: auto_dispatch}"))
    (tmp_path / "deployment.yaml").write_text(text, encoding="utf-8")
    code, report = run_check(tmp_path)
    assert code == 0, report
