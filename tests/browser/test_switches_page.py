"""In Chromium: a street officer turns automatic dispatch off for their street on the
switches page (a reason is asked for), and a grid worker's next report there waits in the
manual dispatch queue instead of going straight to the department."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from support import CONFIGS

from gridwork.config import load_deployment
from gridwork.demo.seed import demo_branch


def _sign_in(browser: Any, base: str, username: str) -> Any:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(base + "/signin")
    page.fill("#username", username)
    page.fill("#password", "demo")
    page.press("#password", "Enter")
    page.wait_for_url(re.compile(r"/$"))
    return page


def _report(page: Any, base: str) -> str:
    """File a labour dispute as the signed-in grid worker; the state its record page shows."""
    from playwright.sync_api import expect

    page.goto(base + "/registers/event/new")
    page.locator('select[name="category"]').select_option("dispute_labour")
    page.fill('[name="title"]', "欠薪纠纷")
    page.fill('[name="description"]', "工地拖欠工资")
    page.fill('[name="address"]', "翠苑一区")
    with page.expect_navigation():
        page.click("form.record-form button[type=submit]")
    confirm = page.locator('form.record-form input[name$="_confirm"]')
    if page.url.endswith("/new") and confirm.count():
        confirm.first.check()
        with page.expect_navigation():
            page.click("form.record-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/registers/event/\d+$"))
    return str(page.locator("#record-state").inner_text())


def test_a_street_officer_turns_automatic_dispatch_off_for_their_street(
        browser: Any, serve: Callable[..., str]) -> None:
    from playwright.sync_api import expect

    base = serve("community", records=20)
    deployment = load_deployment(CONFIGS / "community")
    levels = {n.code: n.level for n in deployment.nodes}
    street = next(code for code in demo_branch(deployment) if levels[code] == "street")

    worker = _sign_in(browser, base, "grid_worker")
    expect(worker.locator("#nav-switches")).to_have_count(0)
    assert _report(worker, base) == "待接受"   # dispatched by the routing rules at once

    officer = _sign_in(browser, base, "street_officer")
    officer.click("#nav-switches")
    expect(officer.locator("h1")).to_have_text("开关")
    expect(officer.locator("#settings")).to_contain_text("各开关在所有区域均按配置设置")
    officer.select_option("#switch", "event_flow:auto_dispatch")
    options = officer.locator("#node option").evaluate_all("os => os.map(o => o.value)")
    assert options[0] == street, "a street officer is offered their own street and below"
    officer.select_option("#node", street)
    officer.get_by_label("关", exact=True).check()
    officer.click("#switch-form button[type=submit]")
    expect(officer.locator("#switch-form .error")).to_have_text("必填")
    expect(officer.locator("#settings")).to_contain_text("各开关在所有区域均按配置设置")

    officer.fill("#reason", "街道试行人工分发")
    officer.click("#switch-form button[type=submit]")
    officer.wait_for_url(re.compile(r"/switches$"))
    row = officer.locator("#settings tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("auto_dispatch")
    expect(row).to_contain_text("街道试行人工分发")
    expect(row.locator("td").nth(2)).to_have_text("关")
    expect(officer.locator("#changes li").first).to_contain_text("开 → 关")

    assert _report(worker, base) == "待分发"   # held for a person to dispatch
    worker.context.close()
    officer.context.close()
