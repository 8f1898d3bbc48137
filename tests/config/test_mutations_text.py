"""Random text mutations of valid configs never make `gridwork check` crash.

Whatever the administrator's editor leaves behind — a deleted line, a stray character,
a bad indent — the answer is a list of located problems, not a traceback.
"""

from __future__ import annotations

import shutil

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mutation_support import BASES, EXAMPLES, assert_reported, copy, files


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_text_mutations_are_reported_not_raised(data: st.DataObject) -> None:
    root = copy(data.draw(st.sampled_from(BASES), label="base"))
    try:
        path = data.draw(st.sampled_from(files(root)), label="file")
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
        assert_reported(root)
    finally:
        shutil.rmtree(root.parent, ignore_errors=True)
