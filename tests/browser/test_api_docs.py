"""In Chromium: `/api/docs` reads the API document with nothing loaded from elsewhere — a
register's section lists its operations, the new-record body's fields and the answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def test_the_api_page_reads_without_other_sites(browser: Any,
                                                 serve: Callable[..., str]) -> None:
    from playwright.sync_api import expect

    base = serve("community", records=5)
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    try:
        page.goto(base + "/api/docs")
        expect(page.get_by_role("heading", level=1)).to_contain_text("API")
        page.get_by_role("link", name="事件").first.click()
        assert page.url.endswith("#tag-event")
        create = page.locator("#event_create")
        expect(create.locator("h3")).to_have_text("POST /api/v1/registers/event/records")
        row = create.locator("tr", has=page.locator("code", has_text="values.title"))
        expect(row).to_contain_text("length ≤ 60")
        expect(row.locator("td").nth(2)).to_have_text("是")
        expect(create.locator("li", has_text="422")).to_be_visible()
        page.get_by_role("link", name="OpenAPI 文档").click()
        assert page.url == base + "/api/v1/openapi.json"
        assert all(url.startswith(base) for url in asked), "nothing from another site"
    finally:
        context.close()
