"""What the config mutation tests share: the bases they mutate, copying one, and the check
that a mutated folder is reported, not raised on. The text and the value mutations are two
files so that `pytest -n` runs them side by side."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from support import CONFIGS, FIXTURES, SHIPPED

from gridwork.config import check

EXAMPLES = 60
"""Mutations per test: each is a whole `check` of a deployment (up to a second for the
community YAML on a slow machine), so 60 keep both tests near a minute of `make test`."""
LINE = re.compile(r"^[^:]+:\d+:\d+: (error|warning): .+$")
BASES = [FIXTURES / "minimal"] + [CONFIGS / n for n in SHIPPED if (CONFIGS / n).is_dir()]


def assert_reported(root: Path) -> None:
    """`check` the folder: it must not raise, and each problem must be located."""
    result = check(root)  # must not raise
    for problem in result.problems:
        assert LINE.match(problem.format()), problem.format()
        assert problem.line and problem.line >= 1 and problem.col and problem.col >= 1
    assert (result.deployment is None) == bool(result.errors)


def copy(base: Path) -> Path:
    """A throw-away copy of ``base`` to mutate (the caller removes its parent)."""
    root = Path(tempfile.mkdtemp(prefix="gw-mut-")) / base.name
    shutil.copytree(base, root, ignore=shutil.ignore_patterns("data"))
    return root


def files(root: Path) -> list[Path]:
    """The files of a deployment folder a mutation may touch."""
    return sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".csv", ".geojson"))
