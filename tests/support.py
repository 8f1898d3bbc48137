"""Helpers the test suites share: fixture paths and running `gridwork` in-process."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import TypeVar

from argon2 import PasswordHasher
from click.testing import CliRunner
from sqlalchemy import Engine, update

from gridwork.cli import main
from gridwork.config import Deployment
from gridwork.runtime import Runtime
from gridwork.storage import build_schema

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


QUICK_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
"""argon2id at a small cost, for the passwords of the users tests make. `gridwork` verifies a
hash with the parameters written in it, so a sign-in still runs the production check, in a
millisecond instead of about half a second per attempt. Production hashes keep the library
defaults (tests/storage/test_seed.py and the user-import tests check those)."""


def quick_hash(password: str) -> str:
    """``password`` hashed with QUICK_HASHER, for users that tests sign in as."""
    return QUICK_HASHER.hash(password)


def quick_passwords(engine: Engine, deployment: Deployment, password: str = "demo") -> None:
    """Store every user's ``password`` (the demo one) as a quick hash, after `seed_demo`."""
    users = build_schema(deployment).system("users")
    with engine.begin() as conn:
        conn.execute(update(users).where(users.c.password_hash.is_not(None))
                     .values(password_hash=quick_hash(password)))


_RUNTIMES: dict[int, tuple[Deployment, Runtime]] = {}


def runtime_of(deployment: Deployment) -> Runtime:
    """The runtime of a deployment, built once per deployment object (as a process builds
    it once at start-up), so tests can hand it to the engine call by call."""
    entry = _RUNTIMES.get(id(deployment))
    if entry is None or entry[0] is not deployment:
        entry = _RUNTIMES[id(deployment)] = (deployment, Runtime.build(deployment))
    return entry[1]


T = TypeVar("T")
_TEMPLATES: dict[Hashable, tuple[Path, object]] = {}
_TEMPLATE_DIR = tempfile.TemporaryDirectory(prefix="gw-templates-")
"""Where this process keeps its template databases (removed when it exits)."""


def sqlite_from_template(key: Hashable, url: str, build: Callable[[str], T]) -> T:
    """Make the SQLite database at ``url`` as ``build(url)`` makes it, returning what it
    returns: the first call with a given ``key`` builds a template file (migrating is the slow
    part of most fixtures), later ones copy that file. ``key`` must name everything ``build``
    depends on."""
    if key not in _TEMPLATES:
        template = Path(_TEMPLATE_DIR.name) / f"{len(_TEMPLATES)}.sqlite3"
        _TEMPLATES[key] = template, build(f"sqlite:///{template}")
    template, made = _TEMPLATES[key]
    shutil.copyfile(template, url.removeprefix("sqlite:///"))
    return made  # type: ignore[return-value]
