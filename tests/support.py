"""Helpers the test suites share: fixture paths and running `gridwork` in-process."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from gridwork.cli import main
from gridwork.config import Deployment
from gridwork.runtime import Runtime

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CONFIGS = ROOT / "configs"
SHIPPED = ("community", "safety", "environment")
CHECK_TODAY = "2025-06-01"
"""The day `run_check` checks as on: this year and the next have holiday data, so a report
does not change with the day the tests run."""


def run_cli(*args: str) -> tuple[int, str, str]:
    """Run `gridwork ARGS…` in-process; return exit code, stdout and stderr."""
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def run_check(path: Path) -> tuple[int, list[str]]:
    """Run `gridwork check -q PATH` as on ``CHECK_TODAY``; return the exit code and the
    report's lines."""
    code, out, _ = run_cli("check", "-q", "--today", CHECK_TODAY, str(path))
    return code, out.splitlines()


_RUNTIMES: dict[int, tuple[Deployment, Runtime]] = {}


def runtime_of(deployment: Deployment) -> Runtime:
    """The runtime of a deployment, built once per deployment object (as a process builds
    it once at start-up), so tests can hand it to the engine call by call."""
    entry = _RUNTIMES.get(id(deployment))
    if entry is None or entry[0] is not deployment:
        entry = _RUNTIMES[id(deployment)] = (deployment, Runtime.build(deployment))
    return entry[1]
