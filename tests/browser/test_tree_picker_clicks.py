"""In Chromium: the tree picker opens the grid tree a level at a time, searches it, and fills in
the form's own control (a code input for a district-wide scope, a select for a community)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

GRID = "330106001001001"


def _signed_in(browser: Any, base: str, username: str) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(base + "/signin")
    page.fill("#username", username)
    page.fill("#password", "demo")
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")
    return context, page, errors


def test_open_the_tree_level_by_level_search_it_and_pick(
        browser: Any, serve: Callable[[str], str]) -> None:
    from playwright.sync_api import expect

    base = serve("community")
    context, page, errors = _signed_in(browser, base, "admin")
    try:
        page.goto(base + "/registers/organization/new")
        control = page.locator("#in-node")
        expect(control).to_have_attribute("class", "tree-value")
        opener = page.get_by_role("button", name="从区划树中选择")
        opener.click()
        expect(opener).to_have_attribute("aria-expanded", "true")
        panel = page.locator("#in-node-panel")
        for name in ("北山街道", "保俶塔社区"):
            toggle = panel.get_by_role("button", name=f"展开{name}下的区域")
            toggle.click()
            expect(toggle).to_have_attribute("aria-expanded", "true")
        panel.locator(f'.tree-pick[data-code="{GRID}"]').click()
        expect(control).to_have_value(GRID)
        expect(page.locator("#in-node-hint .tree-chosen")).to_have_text("第一网格")
        expect(panel).to_be_hidden()

        opener.click()
        panel.get_by_role("searchbox").fill("330106002001002")
        found = panel.locator("#in-node-found .tree-pick")
        expect(found).to_have_count(1)
        found.click()
        expect(control).to_have_value("330106002001002")
        assert not errors, errors
    finally:
        context.close()


def test_a_community_scope_picks_into_the_select(browser: Any,
                                                 serve: Callable[[str], str]) -> None:
    from playwright.sync_api import expect

    base = serve("community")
    context, page, errors = _signed_in(browser, base, "community_worker")
    try:
        page.goto(base + "/registers/organization/new")
        page.get_by_role("button", name="从区划树中选择").click()
        picks = page.locator("#in-node-roots .tree-pick")
        expect(picks.first).to_be_visible()
        assert all(code.startswith("330106001001")
                   for code in picks.evaluate_all("els => els.map(e => e.dataset.code)"))
        picks.nth(1).click()
        expect(page.locator("select#in-node")).to_have_value("330106001001002")
        assert not errors, errors
    finally:
        context.close()


def _inspector_at_five_cells(engine: Any, deployment: Any, folder: Any) -> None:
    from gridwork.exchange.users import import_users
    from gridwork.storage.tabular import write_table

    users = folder / "users.csv"
    write_table(users, ["username", "name", "password", "role", "node"], [
        ["ins", "监管员", "price-pass-1", "inspector", code]
        for code in ("420102001", "420103001", "420100001", "420100002", "420000001")])
    import_users(engine, deployment, users)


def test_a_cell_with_sub_cells_opens_but_is_not_picked(
        browser: Any, serve: Callable[..., str]) -> None:
    """On the ragged price tree, a report sits on a 子格 where its 格 has them: the picker
    opens such a 格 to its 子格 and offers only those."""
    from playwright.sync_api import expect
    from support import FIXTURES

    base = serve(str(FIXTURES / "price"), records=0, prepare=_inspector_at_five_cells)
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    try:
        page.goto(base + "/signin")
        page.fill("#username", "ins")
        page.fill("#password", "price-pass-1")
        page.click("button[type=submit]")
        page.wait_for_url(base + "/")
        page.goto(base + "/registers/price_report/new")
        page.get_by_role("button", name="从区划树中选择").click()
        roots = page.locator("#in-node-roots")
        expect(roots.locator(".tree-pick")).to_have_count(3)
        expect(roots.locator('.tree-pick[data-code="420102001"]')).to_have_count(0)
        roots.get_by_role("button", name="展开江岸区第一监管格下的区域").click()
        sub = roots.locator('.tree-pick[data-code="42010200102"]')
        expect(sub).to_be_visible()
        sub.click()
        expect(page.locator("select#in-node")).to_have_value("42010200102")
        assert not errors, errors
    finally:
        context.close()
