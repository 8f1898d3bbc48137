"""The plugin author's tutorial (plugins/README.md) is real: its files, copied out of the
page, are under 40 lines of code, their test passes, and a deployment can use the type."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from support import FIXTURES, ROOT, run_check

GUIDE = ROOT / "plugins" / "README.md"
BLOCK = re.compile(r"<!-- file: (\S+) -->\n```\w*\n(.*?)```", re.DOTALL)


def _files() -> dict[str, str]:
    return dict(BLOCK.findall(GUIDE.read_text(encoding="utf-8")))


def test_the_tutorial_is_under_40_lines_of_code() -> None:
    files = _files()
    assert set(files) == {"pyproject.toml", "gridwork_plate.py", "test_plate.py",
                          "deployment-snippet.yaml"}
    code = [line for name in ("pyproject.toml", "gridwork_plate.py", "test_plate.py")
            for line in files[name].splitlines() if line.strip()]
    assert len(code) < 40


def test_the_tutorial_test_passes(tmp_path: Path) -> None:
    for name, text in _files().items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_plate.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
        env={"PYTHONPATH": f"{tmp_path}:{ROOT / 'platform'}", "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout


def test_a_deployment_uses_the_tutorials_field_type(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "gridwork_plate.py").write_text(_files()["gridwork_plate.py"], encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    text = (FIXTURES / "minimal" / "deployment.yaml").read_text(encoding="utf-8")
    text = text.replace("assessment:\n", "plugins: [gridwork_plate]\nassessment:\n")
    text = text.replace("      - {name: kind, type: choice, choices: [food, retail]}\n",
                        "      - {name: kind, type: choice, choices: [food, retail]}\n"
                        "      - {name: plate, type: plate, required: true, unique: true}\n")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "deployment.yaml").write_text(text, encoding="utf-8")
    assert run_check(tmp_path / "d") == (0, [])
