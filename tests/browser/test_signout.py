"""In Chromium: a session cookie copied before signing out opens nothing afterwards."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gridwork.web.sessions import COOKIE


def test_a_copied_cookie_is_refused_after_sign_out(browser: Any,
                                                    serve: Callable[[str], str]) -> None:
    from playwright.sync_api import expect

    base = serve("community")
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(base + "/signin")
        page.fill("#username", "grid_worker")
        page.fill("#password", "demo")
        page.press("#password", "Enter")
        expect(page.locator(".signout .who")).to_be_visible()
        copied = next(c for c in context.cookies() if c["name"] == COOKIE)
        assert copied["httpOnly"] and copied["sameSite"] == "Lax"

        other = browser.new_context(locale="zh-CN")
        other.add_cookies([copied])
        elsewhere = other.new_page()
        elsewhere.goto(base + "/registers/event")
        expect(elsewhere.locator(".signout .who")).to_be_visible()  # the copy works, for now

        page.get_by_role("button", name="退出").click()
        expect(page.locator("#username")).to_be_visible()

        elsewhere.goto(base + "/registers/event")
        expect(elsewhere.locator("#username")).to_be_visible()
        assert "/signin" in elsewhere.url
        expect(elsewhere.locator(".signout")).to_have_count(0)
        other.close()
    finally:
        context.close()
