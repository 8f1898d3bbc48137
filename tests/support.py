"""Helpers the test suites share: fixture paths and running `gridwork` in-process."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from gridwork.cli import main

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CONFIGS = ROOT / "configs"
SHIPPED = ("community", "safety", "environment")


def run_cli(*args: str) -> tuple[int, str, str]:
    """Run `gridwork ARGS…` in-process; return exit code, stdout and stderr."""
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def run_check(path: Path) -> tuple[int, list[str]]:
    """Run `gridwork check -q PATH`; return the exit code and the report's lines."""
    code, out, _ = run_cli("check", "-q", str(path))
    return code, out.splitlines()
