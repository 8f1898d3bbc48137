"""In Chromium: marking inbox messages read updates the list and the navigation's count in place."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select
from support import CONFIGS, runtime_of

from gridwork.config import load_deployment
from gridwork.notify.outbox import enqueue
from gridwork.notify.tables import USERS
from gridwork.storage import make_engine


def _escalate(database: Path, records: list[int]) -> None:
    deployment = load_deployment(CONFIGS / "community")
    engine = make_engine(f"sqlite:///{database}")
    try:
        with engine.begin() as conn:
            worker = conn.execute(select(USERS.c.id).where(USERS.c.username == "grid_worker")
                                  ).scalar_one()
            for record in records:
                enqueue(conn, runtime_of(deployment), recipients=[worker], template="escalation",
                        context={"record": {"title": f"楼道堆物 {record}"}, "deadline": "明天"},
                        cause="escalation", clock=lambda: dt.datetime.now(dt.UTC),
                        register="event", record=record, step=1, channels=["inbox"],
                        occasion=f"browser:{record}")
    finally:
        engine.dispose()


def test_mark_read_one_then_all(browser: Any, serve: Callable[[str], str],
                                tmp_path: Path) -> None:
    from playwright.sync_api import expect

    base = serve("community")
    _escalate(tmp_path / "community.sqlite3", [1, 2, 3])
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    try:
        page.goto(base + "/signin")
        page.fill("#username", "grid_worker")
        page.fill("#password", "demo")
        page.click("button[type=submit]")
        count = page.locator("#nav-inbox .count")
        expect(count).to_contain_text("3")
        page.click("#nav-inbox")
        expect(page.locator(".message.unread")).to_have_count(3)
        page.evaluate("window.stillThisPage = true")
        page.locator(".message.unread").first.get_by_role("button", name="标为已读").click()
        expect(page.locator(".message.unread")).to_have_count(2)
        expect(count).to_contain_text("2")
        page.get_by_role("button", name="全部标为已读").click()
        expect(page.locator(".message.unread")).to_have_count(0)
        expect(count).to_have_count(0)
        expect(page.locator(".message")).to_have_count(3)
        assert page.evaluate("window.stillThisPage === true"), "htmx swapped, no reload"
        assert not errors, errors
    finally:
        context.close()
