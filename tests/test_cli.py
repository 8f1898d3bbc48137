"""The `gridwork` command: help everywhere, exit codes, summaries."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from support import CHECK_TODAY, CONFIGS, FIXTURES, run_cli

from gridwork.tools.bench import FIGURES, generate_tree
from gridwork.cli import main


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_subcommand_has_help(command: str) -> None:
    code, out, _ = run_cli(command, "--help")
    assert code == 0
    assert f"Usage: main {command}" in out or f"Usage: gridwork {command}" in out
    assert len(out.splitlines()) > 3


def test_top_level_help_lists_the_subcommands() -> None:
    code, out, _ = run_cli("--help")
    assert code == 0
    for command in ("check", "schema", "bench"):
        assert command in out


def test_check_prints_a_summary_for_a_valid_deployment() -> None:
    code, out, err = run_cli("check", "--today", CHECK_TODAY, str(FIXTURES / "minimal"))
    assert (code, out) == (0, "")
    assert err.strip() == "minimal: valid — 3 nodes, 2 registers, 1 workflows"


def test_check_counts_errors_for_an_invalid_deployment(tmp_path: Path) -> None:
    (tmp_path / "deployment.yaml").write_text("deployment: {name: x}\n")
    code, out, err = run_cli("check", str(tmp_path))
    assert code == 1
    assert out.splitlines() == [
        "deployment.yaml:1:1: error: missing required key 'title'",
        "deployment.yaml:1:1: error: missing required key 'hierarchy'",
        "deployment.yaml:1:1: error: missing required key 'roles'",
        "deployment.yaml:1:1: error: missing required key 'registers'",
    ]
    assert err.strip() == "4 errors, 0 warnings"


def test_the_installed_command_runs_as_a_module() -> None:
    done = subprocess.run([sys.executable, "-m", "gridwork", "check", str(FIXTURES / "minimal")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_bench_tree_generator_makes_a_valid_deployment(tmp_path: Path) -> None:
    nodes = generate_tree(tmp_path / "d", streets=2, communities=2, grids=3)
    assert nodes == 1 + 2 + 4 + 12
    code, out, err = run_cli("check", str(tmp_path / "d"))
    assert code == 0, out
    assert "config_check_20k_nodes" in FIGURES


def test_bench_rejects_an_unknown_figure() -> None:
    code, _, err = run_cli("bench", "--only", "nope")
    assert code != 0
    assert "unknown figure nope" in err


def test_schema_markdown_is_the_reference_page() -> None:
    code, out, _ = run_cli("schema", "--markdown")
    assert code == 0 and out.startswith("# Configuration reference")
    assert json.loads(run_cli("schema")[1])["properties"]["include"]["type"] == "array"


def test_a_checker_bug_still_reads_like_a_report(monkeypatch: pytest.MonkeyPatch) -> None:
    import gridwork.config

    def broken(path: object, **_: object) -> None:
        raise KeyError("oops")

    monkeypatch.setattr(gridwork.config, "check", broken)
    code, out, _ = run_cli("check", str(FIXTURES / "minimal"))
    assert code == 1
    assert out.startswith("deployment.yaml:1:1: error: internal error while checking (KeyError")


def test_an_unreachable_database_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    code, _, err = run_cli("migrate", str(CONFIGS / "community"), "--db",
                           "postgresql://nobody@127.0.0.1:1/nothing")
    assert code == 1
    assert err.startswith("Error: cannot reach the database: connection failed")
    assert "Traceback" not in err
    code, _, err = run_cli("migrate", str(CONFIGS / "community"), "--db",
                           f"sqlite:///{tmp_path}")  # a folder, not a file
    assert code == 1 and err.startswith("Error: cannot reach the database: unable to open")
