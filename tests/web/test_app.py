"""The app factory and `gridwork serve`: no side effects on import, refusal when behind,
demo data on first run, templates a deployment overrides."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from support import CONFIGS, ROOT, run_cli, runtime_of
from web_support import sign_in

from gridwork.config import load_deployment
from gridwork.storage import make_engine, migrate
from gridwork.web import create_app


def test_the_command_line_does_not_load_the_web_stack() -> None:
    code = "import sys, gridwork.cli; print('starlette' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT, env={"PYTHONPATH": str(ROOT / "platform")})
    assert out.stdout.strip() == "False"


def test_serve_refuses_a_database_behind_its_config(tmp_path: Path) -> None:
    code, _, err = run_cli("serve", str(CONFIGS / "community"), "--db",
                           f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    assert code == 1
    assert "has never been migrated" in err and "gridwork migrate" in err


def test_serve_demo_seeds_only_an_empty_database(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[Any] = []
    monkeypatch.setattr("uvicorn.run", lambda app, **options: served.append(options))
    monkeypatch.setenv("GRIDWORK_SECRET_KEY", "k" * 32)  # keep the key out of configs/
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    migrate(url, load_deployment(CONFIGS / "community"), echo=lambda _: None)
    code, out, _ = run_cli("serve", str(CONFIGS / "community"), "--db", url, "--demo",
                           "--port", "8123")
    assert code == 0 and "demo users" in out
    assert served == [{"host": "127.0.0.1", "port": 8123, "log_level": "info"}]
    code, out, _ = run_cli("serve", str(CONFIGS / "community"), "--db", url, "--demo")
    assert code == 0 and "demo users" not in out


def test_a_deployment_overrides_a_template(tmp_path: Path,
                                           seeded: Callable[[str], Path]) -> None:
    root = tmp_path / "community"
    shutil.copytree(CONFIGS / "community", root, ignore=shutil.ignore_patterns("data"))
    (root / "templates").mkdir()
    (root / "templates" / "home.html").write_text(
        '{% extends "base.html" %}{% block main %}<p>本地首页</p>{% endblock %}',
        encoding="utf-8")
    shutil.copy(seeded("community"), tmp_path / "db.sqlite3")  # the signed-in session stays here
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    try:
        client = TestClient(create_app(runtime_of(load_deployment(root)), engine=engine, secret="s" * 32,
                                       data_dir=tmp_path / "data"))
        sign_in(client, "grid_worker", "wrong")  # the copy's database must stay unlocked
        assert "本地首页" in sign_in(client, "grid_worker").text
    finally:
        engine.dispose()
