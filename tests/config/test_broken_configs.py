"""Broken configs: each folder under ``fixtures/broken`` is a whole deployment with one
mistake, and its ``expected.txt`` is exactly what `gridwork check` prints for it, one
FILE:LINE:COL: severity: message per line. The check exits 1 when a line is an error and 0
when all are warnings.

To add a case, copy ``fixtures/minimal`` to a new folder, make the mistake, and write the
report an administrator should read into ``expected.txt``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support import FIXTURES, run_check

BROKEN = FIXTURES / "broken"
CASES = sorted(path for path in BROKEN.iterdir() if path.is_dir())


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_broken_config_is_reported_at_its_place(case: Path) -> None:
    expected = (case / "expected.txt").read_text(encoding="utf-8").splitlines()
    exit_code, report = run_check(case)
    assert report == expected
    assert exit_code == (1 if any(": error: " in line for line in expected) else 0)


def test_there_are_at_least_forty_broken_cases_and_each_has_its_report() -> None:
    assert len([case for case in CASES
                if ": error: " in (case / "expected.txt").read_text(encoding="utf-8")]) >= 40
    assert all((case / "deployment.yaml").is_file() for case in CASES)
