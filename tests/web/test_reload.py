"""A running server picks up an edited folder from the administrators' button (or SIGHUP):
it swaps only when `check` passes and no migration is pending, else keeps serving the old
configuration and shows why; each applied version is stored with who applied it."""

from __future__ import annotations

import os
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from support import CONFIGS
from web_support import sign_in, token

from gridwork.config import load_deployment
from gridwork.runtime import Runtime
from gridwork.storage import make_engine, migrate
from gridwork.demo.seed import seed_demo
from gridwork.storage.version import applied_config
from gridwork.web import create_app
from gridwork.commands.serve import _reload_on_hangup

LIMIT = "  - {workflow: event_flow, state: accepting, within: 4wh, if: accept_limit}"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[TestClient, Path]]:
    """The community deployment served from a folder of its own, an admin signed in."""
    folder = tmp_path / "community"
    shutil.copytree(CONFIGS / "community", folder)
    url = f"sqlite:///{tmp_path / 'c.sqlite3'}"
    deployment = load_deployment(folder)
    migrate(url, deployment, echo=lambda _: None)
    engine = make_engine(url)
    seed_demo(engine, deployment, records=5, echo=lambda _: None)
    app = create_app(Runtime.build(deployment), engine=engine,
                     secret="reload-" + "x" * 24, data_dir=tmp_path / "data")
    client = TestClient(app)
    sign_in(client, "admin")
    yield client, folder
    engine.dispose()


def _reload(client: TestClient) -> str:
    answer = client.post("/config/reload", data={"csrf": token(client, "/config")})
    assert answer.status_code == 200 and answer.url.path == "/config"
    return answer.text


def _accepting_hours(client: TestClient) -> float:
    """The working hours a general labour dispute has to be accepted, as the site runs."""
    site = client.app.state.site  # type: ignore[attr-defined]
    limit = site.runtime.deadlines.limit("event_flow", "accepting", "dispute_labour", "general")
    return site.runtime.calendar.length(limit.duration) / 3600


def test_an_edit_that_passes_is_applied_and_recorded(
        served: tuple[TestClient, Path]) -> None:
    client, folder = served
    before = client.app.state.site.deployment.source_hash  # type: ignore[attr-defined]
    assert f"<code id=\"running-hash\">{before[:12]}</code>" in client.get("/config").text
    assert _accepting_hours(client) == 4
    timing = folder / "timing.yaml"
    timing.write_text(timing.read_text(encoding="utf-8").replace(
        LIMIT, LIMIT.replace("4wh", "2wh")), encoding="utf-8")

    html = _reload(client)
    site = client.app.state.site  # type: ignore[attr-defined]
    after = site.deployment.source_hash
    assert after != before and f"已应用版本 {after[:12]}" in html
    assert _accepting_hours(client) == 2
    with site.engine.connect() as conn:
        applied = applied_config(conn, site.schema)
    assert applied is not None and (applied.hash, applied.applied_by) == (after, "admin")
    assert applied.files["timing.yaml"] == timing.read_bytes()
    assert "配置文件夹没有变化" in _reload(client)


def test_a_broken_edit_keeps_the_old_configuration_and_says_where(
        served: tuple[TestClient, Path]) -> None:
    client, folder = served
    before = client.app.state.site.deployment.source_hash  # type: ignore[attr-defined]
    timing = folder / "timing.yaml"
    text = timing.read_text(encoding="utf-8")
    line = next(n for n, t in enumerate(text.splitlines(), 1) if t.startswith(LIMIT))
    timing.write_text(text.replace(LIMIT, LIMIT.replace("state: accepting",
                                                        "state: acepting")), encoding="utf-8")
    html = _reload(client)
    assert "未应用" in html
    assert f"timing.yaml:{line}:" in html and "unknown state &#39;acepting&#39;" in html
    assert client.app.state.site.deployment.source_hash == before  # type: ignore[attr-defined]
    assert _accepting_hours(client) == 4


def test_an_edit_that_needs_a_migration_waits_for_it(served: tuple[TestClient, Path]) -> None:
    client, folder = served
    registers = folder / "registers.yaml"
    text = registers.read_text(encoding="utf-8")
    anchor = "      - {name: title, type: text, required: true, max_length: 60, label: {zh: 事件标题, en: Title}}\n"
    assert text.count(anchor) == 1
    registers.write_text(text.replace(anchor, anchor + "      - {name: hotline_no, type: text, "
                                      "label: {zh: 热线工单号, en: Hotline ticket}}\n"),
                         encoding="utf-8")
    html = _reload(client)
    assert "未应用" in html and "migration pending (run `gridwork migrate`)" in html
    assert "hotline_no" in html
    assert "hotline_no" not in {f.name for f in client.app.state.site.deployment  # type: ignore[attr-defined]
                                .registers["event"].fields}


def test_only_administrators_may_reload(served: tuple[TestClient, Path]) -> None:
    client, _ = served
    other = TestClient(client.app)
    sign_in(other, "grid_worker")
    assert other.get("/config").status_code == 403
    assert 'href="/config"' not in other.get("/").text
    assert other.post("/config/reload", data={"csrf": token(other)}).status_code == 403


def test_a_hangup_signal_reloads(served: tuple[TestClient, Path]) -> None:
    client, folder = served
    site = client.app.state.site  # type: ignore[attr-defined]
    timing = folder / "timing.yaml"
    timing.write_text(timing.read_text(encoding="utf-8").replace(
        LIMIT, LIMIT.replace("4wh", "3wh")), encoding="utf-8")
    previous = signal.getsignal(signal.SIGHUP)
    try:
        _reload_on_hangup(client.app, None)  # type: ignore[arg-type]
        os.kill(os.getpid(), signal.SIGHUP)
        deadline = time.monotonic() + 60
        while site.reloader.last is None and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        signal.signal(signal.SIGHUP, previous)
    assert site.reloader.last is not None and site.reloader.last.applied
    assert site.reloader.last.by == "SIGHUP"
    assert _accepting_hours(client) == 3
