"""A field's `section:` (an XLSForm group, once imported) shows as a heading above it."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

from starlette.testclient import TestClient
from web_support import sign_in

from gridwork.runtime import Runtime
from gridwork.config import load_deployment
from gridwork.storage import make_engine, migrate
from gridwork.demo.seed import seed_demo
from gridwork.web import create_app

STORAGE = Path(__file__).parent.parent / "fixtures" / "storage"


def test_a_section_heads_its_first_field(tmp_path: Path) -> None:
    root = tmp_path / "deployment"
    shutil.copytree(STORAGE, root)
    main_file = root / "deployment.yaml"
    main_file.write_text(main_file.read_text(encoding="utf-8").replace(
        "{name: staff, type: integer,", "{name: staff, section: {zh: 规模, en: Size}, "
        "type: integer,"), encoding="utf-8")
    deployment = load_deployment(root)
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    migrate(url, deployment, echo=lambda _: None)
    engine = make_engine(url)
    try:
        seed_demo(engine, deployment, records=0, echo=lambda _: None)
        app = create_app(Runtime.build(deployment), engine=engine, secret="test-secret-" + "x" * 20,
                         data_dir=tmp_path / "data",
                         clock=lambda: dt.datetime(2026, 5, 1, 2, tzinfo=dt.UTC))
        client = TestClient(app)
        sign_in(client, "worker")
        page = client.get("/registers/place/new").text
    finally:
        engine.dispose()
    assert re.search(r'<h2 class="form-section">规模</h2>\s*<div class="field[^"]*" '
                     r'id="field-staff"', page)
    assert page.count('class="form-section"') == 1
