"""An expression written as a block scalar (``>-`` or ``|``) is reported at the line and
column of the mistake inside it, not at its key."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import FIXTURES, run_check

BASE = (FIXTURES / "minimal" / "deployment.yaml").read_text(encoding="utf-8")
SCORE = '  score: "100 - reports"\n'


@pytest.mark.parametrize("indicator", [">-", "|", ">"])
def test_a_typo_in_a_block_is_reported_at_its_line(tmp_path: Path, indicator: str) -> None:
    assert BASE.count(SCORE) == 1
    text = BASE.replace(SCORE, f"  score: {indicator}\n    100\n      - 2 * reports\n"
                               "    - reprts\n")
    (tmp_path / "deployment.yaml").write_text(text, encoding="utf-8")
    line = text.splitlines().index("    - reprts") + 1
    code, report = run_check(tmp_path)
    assert report == [f"deployment.yaml:{line}:7: error: unknown metric 'reprts'; "
                      "did you mean 'reports'?"]
    assert code == 1
