"""In Chromium: the map picker opens on the grid worker's own grid, says (without tiles) that
only boundaries are shown, warns when a clicked point lies outside the chosen grid and offers
the grid that holds it, whose button sets the form's grid."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ARTIFACTS
from support import CONFIGS

from gridwork.config import load_deployment
from gridwork.storage import make_engine
from gridwork.exchange.users import import_users

OWN_GRID, NEXT_GRID = "330106001001001", "330106001001002"
OWN_BOX = (30.29, 120.034, 30.293, 120.038)
"""保俶塔社区第一网格: south, west, north, east (configs/community/boundaries.geojson)."""
MAP = "#field-location .map"


@pytest.fixture
def no_tiles(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A deployment without GRIDWORK_MAP_TILES, as a fresh install has."""
    monkeypatch.delenv("GRIDWORK_MAP_TILES", raising=False)
    yield


def _signed_in(browser: Any, base: str, username: str, password: str,
               width: int) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(base + "/signin")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")
    return context, page, errors


def _open_map(page: Any) -> dict[str, Any]:
    """Click 在地图上选点 and return the view the map opened on, once it is there."""
    page.get_by_role("button", name="在地图上选点").click()
    page.locator(MAP).scroll_into_view_if_needed()
    page.wait_for_function(f"() => document.querySelector('{MAP}').gwMap.getZoom() > 12")
    view: dict[str, Any] = page.evaluate(f"""() => {{
        const map = document.querySelector('{MAP}').gwMap, b = map.getBounds(), c = map.getCenter();
        return {{south: b.getSouth(), west: b.getWest(), north: b.getNorth(), east: b.getEast(),
                 lat: c.lat, lng: c.lng}};
    }}""")
    return view


def _click_at(page: Any, lat: float, lng: float) -> None:
    """Click the map where the point (lat, lng) is drawn."""
    x, y = page.evaluate(f"""([lat, lng]) => {{
        const box = document.querySelector('{MAP}');
        const p = box.gwMap.latLngToContainerPoint([lat, lng]), r = box.getBoundingClientRect();
        return [r.left + p.x, r.top + p.y];
    }}""", [lat, lng])
    page.mouse.click(x, y)


def test_the_map_opens_on_the_own_grid_and_warns_outside_it(
        browser: Any, serve: Callable[[str], str], no_tiles: None) -> None:
    from playwright.sync_api import expect

    base = serve("community")
    context, page, errors = _signed_in(browser, base, "grid_worker", "demo", 390)
    try:
        page.goto(base + "/registers/event/new")
        expect(page.locator("#in-node")).to_have_value(OWN_GRID)
        view = _open_map(page)
        south, west, north, east = OWN_BOX
        assert south < view["lat"] < north and west < view["lng"] < east, view
        assert view["south"] <= south and view["north"] >= north, view
        assert view["west"] <= west and view["east"] >= east, view
        assert view["east"] - view["west"] < 0.02, "the map opened on more than the grid"
        expect(page.locator(".map-notice")).to_have_text("未配置底图，仅显示网格边界")
        expect(page.locator(".map-notice")).to_be_visible()

        note = page.locator("#map-note-location")
        _click_at(page, 30.2915, 120.036)
        expect(note.locator(".note")).to_have_text("该位置在保俶塔社区第一网格内。")

        _click_at(page, 30.2915, 120.0335)  # west of the district's boundaries
        outside = "该位置不在任何网格内，也不在所选的保俶塔社区第一网格内。"
        expect(note.locator(".warning")).to_have_text(outside)
        expect(note.get_by_label("位置无误，仍按此保存")).not_to_be_checked()
        expect(page.locator("input[name=location_lon]")).to_have_value(
            re.compile(r"^120\.033[45]\d*$"))  # where the click landed, to the pixel
        page.screenshot(path=str(ARTIFACTS / "map-picker-outside-390.png"), full_page=True)

        page.locator("#in-address").click()  # leaving the field: the server checks it too
        expect(page.locator("#error-location")).to_have_text(outside)
        expect(page.locator(MAP)).to_be_visible()
        confirm = page.locator("#field-location").get_by_label("位置无误，仍按此保存")
        confirm.check()
        page.locator("#in-address").click()
        expect(page.locator("#error-location")).to_have_count(0)
        expect(confirm).to_be_checked()
        expect(note.locator(".note")).to_have_text(outside)
        assert not errors, errors
    finally:
        context.close()


def test_a_point_in_the_next_grid_offers_that_grid(
        browser: Any, serve: Callable[[str], str], no_tiles: None, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    base = serve("community")
    users = tmp_path / "users.csv"  # an administrator gives one worker two grids
    users.write_text("username,name,password,role,node\n"
                     f"wangwei,王伟,grid-pass-2026,grid_worker,{OWN_GRID}\n"
                     f"wangwei,王伟,grid-pass-2026,grid_worker,{NEXT_GRID}\n", encoding="utf-8")
    engine = make_engine(f"sqlite:///{tmp_path / 'community.sqlite3'}")
    try:
        import_users(engine, load_deployment(CONFIGS / "community"), users)
    finally:
        engine.dispose()
    context, page, errors = _signed_in(browser, base, "wangwei", "grid-pass-2026", 1280)
    try:
        page.goto(base + "/registers/event/new")
        node = page.locator("#in-node")
        node.select_option(OWN_GRID)
        view = _open_map(page)
        south, west, north, east = OWN_BOX
        assert south < view["lat"] < north and west < view["lng"] < east, view

        _click_at(page, 30.2915, 120.0395)
        note = page.locator("#map-note-location")
        expect(note.locator(".warning")).to_have_text(
            "该位置不在所选的保俶塔社区第一网格内，而在保俶塔社区第二网格内。")
        offer = note.get_by_role("button", name="改为保俶塔社区第二网格")
        page.screenshot(path=str(ARTIFACTS / "map-picker-offer-1280.png"), full_page=True)
        offer.click()
        expect(node).to_have_value(NEXT_GRID)
        expect(note.locator(".note")).to_have_text("该位置在保俶塔社区第二网格内。")
        expect(note.locator(".warning")).to_have_count(0)
        assert not errors, errors
    finally:
        context.close()
