"""In Chromium: the form editing an event shows what was reported, not the handling and
revisit fields (those belong to the actions' forms), and saving a corrected title keeps
the handling result the record already holds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, update

from gridwork.config import Deployment
from gridwork.storage import build_schema

RESULT = "已协调用人单位补发工资"
STEP_FIELDS = ("result", "result_photos", "revisit_note", "satisfaction", "satisfaction_score")


def test_the_edit_form_shows_what_an_edit_may_change(browser: Any,
                                                     serve: Callable[..., str]) -> None:
    from playwright.sync_api import expect

    held: dict[str, int] = {}

    def handled(engine: Engine, deployment: Deployment, _: Path) -> None:
        """One seeded event, handled: it holds a result and a satisfaction."""
        table = build_schema(deployment).table("event")
        with engine.begin() as conn:
            held["id"] = conn.execute(select(table.c.id).order_by(table.c.id).limit(1)).scalar_one()
            conn.execute(update(table).where(table.c.id == held["id"]).values(
                result=RESULT, satisfaction="1"))

    base = serve("community", records=20, prepare=handled)
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 900})
    page = context.new_page()
    try:
        page.goto(base + "/signin")
        page.fill("#username", "admin")
        page.fill("#password", "demo")
        page.click("button[type=submit]")
        expect(page).to_have_url(base + "/")
        record = f"{base}/registers/event/{held['id']}"
        page.goto(record)
        page.get_by_role("link", name="编辑").click()
        expect(page).to_have_url(record + "/edit")
        shown = page.locator("form.record-form .field").evaluate_all(
            "els => els.map(e => e.id.replace(/^field-/, ''))")
        assert "title" in shown and "description" in shown, shown
        assert not set(STEP_FIELDS) & set(shown), shown
        for label in ("处理结果", "满意度", "回访情况"):
            expect(page.locator("form.record-form").get_by_text(label, exact=True)
                   ).to_have_count(0)
        title = page.locator('form.record-form input[name="title"]')
        title.click()
        title.press("Control+a")
        title.press_sequentially("欠薪纠纷（已更正）")
        title.press("Tab")
        with page.expect_navigation():
            page.click("form.record-form button[type=submit]")
        expect(page).to_have_url(record)
        expect(page.get_by_text("欠薪纠纷（已更正）").first).to_be_visible()
        expect(page.get_by_text(RESULT)).to_be_visible()
    finally:
        context.close()
