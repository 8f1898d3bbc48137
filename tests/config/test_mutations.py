"""Random mutations of valid configs never make `gridwork check` crash.

Whatever the administrator's editor leaves behind — a deleted line, a stray character,
a value of the wrong kind — the answer is a list of located problems, not a traceback.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from support import CONFIGS, FIXTURES, SHIPPED

from gridwork.config import check

EXAMPLES = 60
"""Mutations per test: each is a whole `check` of a deployment (up to a second for the
community YAML on a slow machine), so 60 keep both tests near a minute of `make test`."""
LINE = re.compile(r"^[^:]+:\d+:\d+: (error|warning): .+$")
BASES = [FIXTURES / "minimal"] + [CONFIGS / n for n in SHIPPED if (CONFIGS / n).is_dir()]

odd_values = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 10**6), st.floats(allow_nan=True),
    st.text(max_size=12), st.sampled_from(["3wd", "25%", "grid", "{{", "a.b", "x ==", "*"]),
    st.lists(st.text(max_size=4), max_size=3), st.dictionaries(st.text(max_size=4),
                                                               st.integers(), max_size=2),
    st.dates(),
)


def _assert_reported(root: Path) -> None:
    result = check(root)  # must not raise
    for problem in result.problems:
        assert LINE.match(problem.format()), problem.format()
        assert problem.line and problem.line >= 1 and problem.col and problem.col >= 1
    assert (result.deployment is None) == bool(result.errors)


def _copy(base: Path) -> Path:
    root = Path(tempfile.mkdtemp(prefix="gw-mut-")) / base.name
    shutil.copytree(base, root, ignore=shutil.ignore_patterns("data"))
    return root


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".csv", ".geojson"))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_text_mutations_are_reported_not_raised(data: st.DataObject) -> None:
    root = _copy(data.draw(st.sampled_from(BASES), label="base"))
    try:
        path = data.draw(st.sampled_from(_files(root)), label="file")
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        for _ in range(data.draw(st.integers(1, 3), label="edits")):
            if not lines:
                break
            i = data.draw(st.integers(0, len(lines) - 1), label="line")
            kind = data.draw(st.sampled_from(["delete", "duplicate", "garble", "indent",
                                              "insert", "truncate"]), label="kind")
            if kind == "delete":
                del lines[i]
            elif kind == "duplicate":
                lines.insert(i, lines[i])
            elif kind == "garble" and lines[i].strip():
                j = data.draw(st.integers(0, max(len(lines[i]) - 2, 0)), label="col")
                char = data.draw(st.sampled_from(list(":-[]{}#&*!|>'\"%@`,\t ?x9中")), label="char")
                lines[i] = lines[i][:j] + char + lines[i][j + 1:]
            elif kind == "indent":
                lines[i] = data.draw(st.sampled_from([" ", "  ", "    "]), label="pad") + lines[i]
            elif kind == "insert":
                lines.insert(i, data.draw(st.text(max_size=20), label="text") + "\n")
            elif kind == "truncate":
                lines = lines[:i]
        path.write_text("".join(lines), encoding="utf-8")
        _assert_reported(root)
    finally:
        shutil.rmtree(root.parent, ignore_errors=True)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found.extend(_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_paths(value, (*prefix, index)))
    return found


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_value_mutations_are_reported_not_raised(data: st.DataObject) -> None:
    root = _copy(data.draw(st.sampled_from(BASES), label="base"))
    try:
        path = data.draw(st.sampled_from([p for p in _files(root) if p.suffix == ".yaml"]),
                         label="file")
        yaml = YAML()
        tree = yaml.load(path.read_text(encoding="utf-8"))
        for _ in range(data.draw(st.integers(1, 3), label="edits")):
            paths = _paths(tree)
            if not paths:
                break
            target = data.draw(st.sampled_from(paths), label="path")
            parent = tree
            for key in target[:-1]:
                parent = parent[key]
            action = data.draw(st.sampled_from(["replace", "delete", "rename"]), label="action")
            if action == "replace":
                parent[target[-1]] = data.draw(odd_values, label="value")
            elif action == "delete":
                del parent[target[-1]]
            elif isinstance(parent, dict):
                value = parent.pop(target[-1])
                parent[data.draw(st.text(max_size=10), label="key")] = value
        with path.open("w", encoding="utf-8") as handle:
            yaml.dump(tree, handle)
        _assert_reported(root)
    finally:
        shutil.rmtree(root.parent, ignore_errors=True)
