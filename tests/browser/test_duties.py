"""In Chromium: a grid worker sees today's patrol among their duties, starts its record from
the duties page, fills and completes it, and the duty moves to done; an earlier missed
patrol shows as overdue and has reached the grid leader's inbox."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from support import runtime_of

from gridwork.config import Deployment
from gridwork.duties.run import run_duties


def _earlier_and_now(engine: Engine, deployment: Deployment, _folder: Path) -> None:
    """A duty pass 40 days ago (that day's patrols, long past due even after a holiday),
    then one now, which generates today's and finds those missed."""
    runtime = runtime_of(deployment)
    now = dt.datetime.now(dt.UTC)
    run_duties(engine, runtime, now=now - dt.timedelta(days=40))
    run_duties(engine, runtime, now=now)


def test_worker_fulfils_todays_patrol_and_the_missed_one_reaches_the_leader(
        browser: Any, serve: Callable[..., str]) -> None:
    from playwright.sync_api import expect

    base = serve("community", prepare=_earlier_and_now)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1100, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    try:
        page.goto(base + "/signin")
        page.fill("#username", "grid_worker")
        page.fill("#password", "demo")
        page.click("button[type=submit]")
        page.get_by_role("link", name="我的任务").click()
        overdue = page.locator("#duties-overdue")
        expect(overdue.locator("tr.duty", has_text="网格员日常巡查")).to_have_count(1)
        expect(overdue).to_contain_text("已超时")
        # Due by tonight, or (on a day off) by the next working day's end.
        upcoming = page.locator("#duties-today tr.duty, #duties-coming tr.duty")
        patrol = upcoming.filter(has_text="网格员日常巡查")
        expect(patrol).to_have_count(1)
        expect(page.locator("#duties-done")).to_contain_text("暂无")
        patrol.get_by_role("link", name="立即办理").click()
        # The form opens with what the schedule fills in: a daily patrol, at the grid.
        expect(page.get_by_role("radio", name="网格员日常巡查")).to_be_checked()
        route = page.locator('[name="route"]')
        route.click()
        page.keyboard.type("幸福小区一至六幢")
        page.keyboard.press("Tab")
        page.get_by_role("button", name="保存").click()
        expect(page.locator("body")).to_contain_text("幸福小区一至六幢")
        page.get_by_role("link", name="我的任务").click()
        # Started, not done yet: the record waits for its "complete" step.
        linked = upcoming.filter(has_text="网格员日常巡查")
        linked.get_by_role("link", name="打开记录").click()
        page.get_by_role("link", name="完成").click()
        page.locator('[name="summary"]').fill("楼道通畅，无异常")
        page.get_by_role("button", name="完成").click()
        expect(page.locator("main")).to_contain_text("已完成")
        page.get_by_role("link", name="我的任务").click()
        expect(page.locator("#duties-done tr.duty", has_text="网格员日常巡查")).to_have_count(1)
        expect(upcoming.filter(has_text="网格员日常巡查")).to_have_count(0)
        page.get_by_role("button", name="退出").click()

        page.goto(base + "/signin")
        page.fill("#username", "grid_leader")
        page.fill("#password", "demo")
        page.click("button[type=submit]")
        page.click("#nav-inbox")
        expect(page.locator(".message", has_text="项任务已逾期未完成").first).to_be_visible()
        expect(page.locator(".message", has_text="网格员日常巡查").first).to_be_visible()
        assert not errors, errors
    finally:
        context.close()
