"""In Chromium, as a leader acts: the dashboard drills from the district down to a grid and
back by its breadcrumb, a number opens the list it counts, a search opens a record, and the
map colours grids, clusters points, lists a clicked grid's records and finds a person by ID."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import ARTIFACTS
from sqlalchemy import Engine, select

from gridwork.config import Deployment
from gridwork.storage.schema import build_schema

FOUND: dict[str, str] = {}


def _remember(engine: Engine, deployment: Deployment, _folder: Path) -> None:
    """Note a resident's ID number and an event's title, to search for them."""
    schema = build_schema(deployment)
    residents, events = schema.table("resident"), schema.table("event")
    with engine.connect() as conn:
        FOUND["id_card"] = conn.execute(select(residents.c.id_card).where(
            residents.c.id_card.is_not(None)).limit(1)).scalar_one()
        FOUND["title"] = conn.execute(select(events.c.title).limit(1)).scalar_one()


def _signed_in(browser: Any, base: str, username: str, width: int) -> tuple[Any, list[str]]:
    page = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900}
                               ).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(base + "/signin")
    page.fill("#username", username)
    page.fill("#password", "demo")
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")
    return page, errors


@pytest.mark.parametrize("width", [390, 1280])
def test_dashboard_search_and_map(browser: Any, serve: Callable[..., str], width: int) -> None:
    from playwright.sync_api import expect

    base = serve("community", records=200, prepare=_remember)
    page, errors = _signed_in(browser, base, "admin", width)
    try:
        board = page.locator('#dashboard .board[data-register="event"]')
        expect(board).to_be_visible()
        district = page.locator("#dashboard h1").inner_text()
        names = []
        for _level in ("street", "community", "grid"):
            drill = board.locator("a.drill").first
            names.append(drill.inner_text())
            drill.click()
            expect(page.locator("#dashboard h1")).to_contain_text(names[-1])
        expect(page.locator("nav.crumbs")).to_contain_text(names[0])
        page.screenshot(path=str(ARTIFACTS / f"dashboard-grid-{width}.png"), full_page=True)
        open_link = page.locator('#dashboard .board[data-register="event"] a[data-status="open"]')
        number = int(open_link.locator("strong").inner_text())
        open_link.click()
        expect(page.locator("#list-total")).to_have_attribute("data-total", str(number))
        page.go_back()
        page.locator("nav.crumbs a").first.click()
        expect(page.locator("#dashboard h1")).to_have_text(district)

        page.fill("#home-q", FOUND["title"])
        page.press("#home-q", "Enter")
        expect(page.locator("#search-q")).to_have_value(FOUND["title"])
        hit = page.locator('.search-group[data-register="event"] .hits a').first
        expect(hit).to_contain_text(FOUND["title"])
        hit.click()
        expect(page).to_have_url(__import__("re").compile(r"/registers/event/\d+$"))

        page.goto(base + "/map")
        expect(page.locator("#overview-map")).to_have_attribute("data-ready", "1",
                                                                 timeout=15000)
        expect(page.locator("#map-no-tiles")).to_be_visible()
        areas = page.locator("#overview-map path.map-area")
        assert areas.count() > 10
        filled = set(page.eval_on_selector_all(
            "#overview-map path.map-area", "els => els.map(e => e.getAttribute('fill'))"))
        assert len(filled) > 1, "the thematic map uses more than one colour"
        clusters = page.locator(".map-cluster")
        expect(clusters).not_to_have_count(0)   # the points of the view the map settled on
        assert any(c.inner_text().strip() not in ("", "1") for c in clusters.all())
        page.locator("#m-layer").select_option("")
        target = page.locator('#overview-map path.map-area:not([data-value="0"])').first
        target.scroll_into_view_if_needed()
        target.click(force=True)
        panel = page.locator("#map-area")
        expect(panel).to_be_visible()
        expect(panel.locator('section[data-register="event"] li a').first).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / f"map-area-{width}.png"), full_page=True)
        page.fill("#m-q", FOUND["id_card"])
        page.locator("#map-search button[type=submit]").click()
        expect(page.locator('#map-hits li[data-register="resident"]').first).to_be_visible()
        expect(page.locator(".map-found").first).to_be_attached()
        page.screenshot(path=str(ARTIFACTS / f"map-found-{width}.png"), full_page=True)
        with page.expect_request(lambda r: "/map/layers/event" in r.url
                                 and "state=" in r.url), page.expect_request(
                lambda r: "/map/measures" in r.url and "state=" in r.url):
            page.locator("#m-register").select_option("event")
            page.locator("#m-layer").select_option("event")
            page.locator("#m-state").select_option(page.locator(
                '#m-state option[data-register="event"]').first.get_attribute("value"))
        assert errors == []
    finally:
        page.context.close()
