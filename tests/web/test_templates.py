"""Where pages come from: the templates installed with gridwork, or the deployment's own."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from starlette.testclient import TestClient
from support import CONFIGS, runtime_of
from web_support import sign_in

import gridwork
from gridwork.config import load_deployment
from gridwork.storage import make_engine
from gridwork.web import create_app
from gridwork.web.site import BUILTIN_TEMPLATES

ROOT = Path(__file__).resolve().parents[2]


def test_the_built_in_templates_are_part_of_the_package() -> None:
    package = Path(gridwork.__file__).parent
    assert BUILTIN_TEMPLATES == package / "templates"
    shipped = {path.name for path in (ROOT / "templates").glob("*.html")}
    assert {"base.html", "signin.html", "form.html"} <= shipped
    assert {path.name for path in BUILTIN_TEMPLATES.glob("*.html")} == shipped


def test_a_deployments_own_template_replaces_the_built_in_one(
        tmp_path: Path, seeded: Callable[[str], Path]) -> None:
    folder = tmp_path / "community"
    shutil.copytree(CONFIGS / "community", folder)
    (folder / "templates").mkdir()
    (folder / "templates" / "signin.html").write_text(
        '{% extends "base.html" %}{% block main %}<p id="ours">{{ _("Sign in") }} · 本社区专用'
        '</p><form method="post" action="/signin"><input type="hidden" name="csrf" '
        'value="{{ csrf }}"><input name="username"><input name="password"></form>'
        '{% endblock %}', encoding="utf-8")
    shutil.copy(seeded("community"), tmp_path / "db.sqlite3")
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    try:
        client = TestClient(create_app(runtime_of(load_deployment(folder)), engine=engine,
                                       secret="s" * 32, data_dir=tmp_path / "data"))
        signin = client.get("/signin").text
        assert '<p id="ours">登录 · 本社区专用</p>' in signin
        assert '<link rel="stylesheet" href="/static/gridwork.css">' in signin
        home = sign_in(client, "grid_worker")
        assert home.url.path == "/" and 'id="ours"' not in home.text
    finally:
        engine.dispose()
