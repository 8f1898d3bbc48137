"""In Chromium: a street officer opens the quarter's score sheet of the community
deployment, clicks a grid's on-time feedback rate and lands on exactly the records
it counted."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

from gridwork.assessment import counted_rows, period_of
from gridwork.config import Deployment
from gridwork.config.models.outputs import Subject


def test_a_street_officer_clicks_a_grids_on_time_rate_and_sees_its_records(
        browser: Any, serve: Callable[..., str]) -> None:
    from playwright.sync_api import expect

    kept: dict[str, Any] = {}

    def prepare(engine: Engine, deployment: Deployment, _tmp: Path) -> None:
        kept.update(engine=engine, deployment=deployment)

    base = serve("community", records=300, prepare=prepare)
    deployment, engine = kept["deployment"], kept["engine"]
    from gridwork.storage import build_schema

    schema = build_schema(deployment)
    quarter = period_of("quarter", dt.datetime.now(dt.UTC), ZoneInfo(deployment.about.timezone))
    assessment = deployment.assessment
    rows = counted_rows(deployment, schema, assessment.metrics["on_time_feedback"],
                        Subject(level="grid"), quarter).subquery()
    nodes = schema.system("nodes")
    with engine.connect() as conn:
        found = conn.execute(select(nodes.c.code, rows.c.record).join(
            nodes, nodes.c.id == rows.c.subject).where(nodes.c.path.like("/%/330106001/%")))
        by_grid: dict[str, set[int]] = {}
        for code, record in found:
            by_grid.setdefault(code, set()).add(record)
    fits = {code: ids for code, ids in by_grid.items() if 0 < len(ids) <= 20}
    assert fits, "the demo data handles some events in the street's grids this quarter"
    grid, expected = max(fits.items(), key=lambda item: len(item[1]))

    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(base + "/signin")
        page.fill("#username", "street_officer")
        page.fill("#password", "demo")
        page.press("#password", "Enter")
        page.locator("#nav-assessment").click()
        expect(page.locator("h1")).to_contain_text("考核")
        page.fill("#a-period", quarter.key)
        page.select_option("#a-level", "level:grid")
        page.get_by_role("button", name="显示").click()
        expect(page.locator("#sheet-period")).to_have_text(quarter.key)
        row = page.locator(f'tr[data-subject="{grid}"]')
        expect(row.locator(".score")).not_to_have_text("—")
        row.locator('td[data-metric="on_time_feedback"] a').click()
        expect(page.locator("#counted-filter")).to_be_visible()
        assert "/registers/event" in page.url and "counted=" in page.url
        links = page.locator("a[href^='/registers/event/']").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))")
        shown = {int(m.group(1)) for href in links
                 if (m := re.fullmatch(r"/registers/event/(\d+)", href))}
        assert shown == expected
    finally:
        context.close()
