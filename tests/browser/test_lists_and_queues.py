"""In Chromium, on the community demo: an administrator opens the overdue queue, a long list
comes a page at a time with its time limits, overdue records say 已超时 in words and can be
filtered, and the home page names each role once and offers 新增 for plain registers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _signed_in(browser: Any, base: str, username: str) -> Any:
    page = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 900}
                               ).new_page()
    page.goto(base + "/signin")
    page.fill("#username", username)
    page.fill("#password", "demo")
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")
    return page


def test_lists_queues_and_home(browser: Any, serve: Callable[..., str]) -> None:
    from playwright.sync_api import expect

    base = serve("community")
    admin = _signed_in(browser, base, "admin")
    try:
        response = admin.goto(base + "/queues/overdue")
        assert response is not None and response.status == 200
        expect(admin.locator("h1")).to_be_visible()

        admin.goto(base + "/registers/event?sort=deadline")
        rows = admin.locator("table.records tbody tr")
        total = int("".join(c for c in admin.locator(".heading p.muted").first.inner_text()
                            if c.isdigit()))
        assert rows.count() == min(total, 20)
        if total > 20:
            expect(admin.locator("nav.pages a", has_text="下一页")).to_be_visible()
        for column in ("时限", "类别"):  # a phone shows each cell with its column's name
            expect(rows.first.locator(f'td[data-label="{column}"]')).to_be_visible()

        admin.locator("details.filters summary").click()
        admin.check("#f-overdue")
        admin.click("details.filters button[type=submit]")
        admin.wait_for_url("**overdue=1**")
        late = admin.locator("table.records tbody tr")
        for row in late.all():
            expect(row.locator(".badge.overdue")).to_have_text("已超时")

        admin.goto(base + "/")
        expect(admin.locator(".card", has_text="人口信息").get_by_role("link", name="新增")
               ).to_be_visible()
        expect(admin.locator(".card", has_text="事件").get_by_role("link", name="上报").first
               ).to_be_visible()

        worker = _signed_in(browser, base, "grid_worker")
        expect(worker.locator("#signed-in-as")).not_to_contain_text("网格员 · 网格员")
        for section in ("#overdue", "#due-soon"):
            for row in worker.locator(f"{section} tbody tr").all():
                has_word = row.locator(".badge.overdue").count() > 0
                assert has_word == (section == "#overdue")
        worker.context.close()
    finally:
        admin.context.close()


def test_phone_tap_targets_and_name(browser: Any, serve: Callable[..., str]) -> None:
    """At 390 px: nav links and choice inputs are at least 40 px tall, the name is shown; a
    limited text counts what is typed; the page has an icon."""
    from playwright.sync_api import expect

    base = serve("community")
    page = _signed_in(browser, base, "grid_worker")
    try:
        expect(page.locator(".signout .who")).to_be_visible()
        for link in page.locator("nav.registers a").all()[:3]:
            assert link.bounding_box()["height"] >= 40
        page.goto(base + "/registers/visit/new")  # 走访类型: three radio buttons
        option = page.locator("label.option").first
        assert option.bounding_box()["height"] >= 40

        page.goto(base + "/registers/event/new")

        counter = page.locator("#field-title .counter")
        expect(counter).to_have_text("0 / 60")
        page.locator("#in-title").press_sequentially("楼道堆物")
        expect(counter).to_have_text("4 / 60")
        icon = page.locator('link[rel="icon"]').get_attribute("href")
        response = page.request.get(base + str(icon))
        assert response.status == 200 and b"<svg" in response.body()
    finally:
        page.context.close()
