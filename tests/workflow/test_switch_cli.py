"""`gridwork switch set|list`: the command line sets a switch for a subtree as a named user
with a reason, refuses one outside their area, and lists what is set and why."""

from __future__ import annotations

from pathlib import Path

from support import CONFIGS, run_cli

from gridwork.config import load_deployment
from gridwork.demo.seed import demo_branch


def test_set_and_list_a_switch_from_the_command_line(tmp_path: Path) -> None:
    folder, db = str(CONFIGS / "community"), f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    assert run_cli("migrate", folder, "--db", db)[0] == 0
    assert run_cli("seed", folder, "--demo", "--db", db, "--records", "5")[0] == 0
    deployment = load_deployment(CONFIGS / "community")
    levels = {n.code: n.level for n in deployment.nodes}
    street = next(c for c in demo_branch(deployment) if levels[c] == "street")
    other = next(n.code for n in deployment.nodes if n.level == "street" and n.code != street)

    code, out, _ = run_cli("switch", "set", folder, "event_flow:revisit", street, "off",
                           "--as", "street_officer", "--reason", "回访人手不足", "--db", db)
    assert (code, out.strip()) == (0, f"event_flow:revisit off at {street} (was on)")
    code, _, err = run_cli("switch", "set", folder, "event_flow:revisit", other, "off",
                           "--as", "street_officer", "--reason", "越权", "--db", db)
    assert code == 1 and f"may not set switches at '{other}'" in err
    code, _, err = run_cli("switch", "set", folder, "event_flow:revisits", street, "on",
                           "--as", "street_officer", "--reason", "x", "--db", db)
    assert code == 1 and "no switch 'revisits'" in err

    code, out, _ = run_cli("switch", "list", folder, "--db", db)
    assert code == 0
    assert "event_flow:revisit on (config)" in out
    assert f"event_flow:revisit off at {street} since " in out
    assert "by street_officer: 回访人手不足" in out
