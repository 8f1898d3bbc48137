"""Random value mutations of valid configs never make `gridwork check` crash.

A value of the wrong kind, a deleted or renamed key: the answer is a list of located
problems, not a traceback.
"""

from __future__ import annotations

import shutil
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mutation_support import BASES, EXAMPLES, assert_reported, copy, files
from ruamel.yaml import YAML

odd_values = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 10**6), st.floats(allow_nan=True),
    st.text(max_size=12), st.sampled_from(["3wd", "25%", "grid", "{{", "a.b", "x ==", "*"]),
    st.lists(st.text(max_size=4), max_size=3), st.dictionaries(st.text(max_size=4),
                                                               st.integers(), max_size=2),
    st.dates(),
)


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
    root = copy(data.draw(st.sampled_from(BASES), label="base"))
    try:
        path = data.draw(st.sampled_from([p for p in files(root) if p.suffix == ".yaml"]),
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
        assert_reported(root)
    finally:
        shutil.rmtree(root.parent, ignore_errors=True)
