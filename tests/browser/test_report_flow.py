"""In each shipped deployment, in Chromium: sign in, fill a form with a conditional field and a
photo, see a validation error and fix it, submit, find the record in the list."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from conftest import ARTIFACTS, png

WIDTHS = {"phone": 390, "desktop": 1280}


@dataclass(frozen=True)
class Scenario:
    """One report: who files it, what they type, which field appears and which is forgotten."""

    deployment: str
    user: str
    register: str
    values: dict[str, str]
    """Filled in order; `missing` is left out of the first submit."""
    trigger: tuple[str, str]
    """Choosing this value shows `conditional`."""
    conditional: tuple[str, str]
    missing: str
    photo: str
    blur: tuple[str, str, str] | None = None
    """A field, a bad value whose message shows when the field loses focus, a good value."""
    title: str = field(default="")


SCENARIOS = (
    Scenario("community", "grid_worker", "event",
             {"title": "楼道堆物堵塞消防通道", "description": "三单元一楼楼道堆放杂物",
              "address": "幸福小区三单元"},
             ("category", "dispute_neighbour"), ("party_a", "王某"), "address", "photos",
             blur=("party_a_phone", "12345", "13812345678"), title="楼道堆物堵塞消防通道"),
    Scenario("safety", "grid_inspector", "hazard",
             {"title": "配电箱未关闭", "description": "车间配电箱门未关闭且无警示标识",
              "found_at": "2026-11-25T09:30", "category": "", "rectify_mode": "deadline"},
             ("rectify_mode", "deadline"), ("order_no", "限改〔2026〕1号"), "description",
             "photos", title="配电箱未关闭"),
    Scenario("environment", "env_grid_worker", "patrol",
             {"subject": "河道巡查", "patrol_type": "village_weekly"},
             ("problem_found", "true"), ("problem_note", "河面有漂浮垃圾"), "problem_note",
             "photos", title="河道巡查"),
)


def _fill(page: Any, name: str, value: str) -> None:
    """Type or choose ``value`` in the input called ``name``, whatever its widget."""
    target = page.locator(f'[name="{name}"]:not([type=hidden])').first
    kind = target.evaluate("e => e.tagName + ':' + (e.type || '')")
    if kind.startswith("SELECT"):
        if not value:  # the first real option
            value = target.locator("option").nth(1).get_attribute("value")
        target.select_option(value)
    elif kind.endswith((":radio", ":checkbox")):
        page.check(f'input[name="{name}"][value="{value}"]')
    else:
        target.fill(value)


def _shoot(page: Any, scenario: Scenario, what: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(ARTIFACTS / f"{scenario.deployment}-{what}-{label}.png"),
                        full_page=True)
    page.set_viewport_size({"width": WIDTHS["desktop"], "height": 900})


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.deployment for s in SCENARIOS])
def test_report_with_a_conditional_field_and_a_photo(
        scenario: Scenario, browser: Any, serve: Callable[[str], str]) -> None:
    from playwright.sync_api import expect

    base = serve(scenario.deployment)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    try:
        page.goto(base + "/signin")
        page.fill("#username", scenario.user)
        page.fill("#password", "demo")
        page.click("button[type=submit]")
        expect(page).to_have_url(base + "/")

        page.goto(f"{base}/registers/{scenario.register}/new")
        name, value = scenario.conditional
        shown = page.locator(f"#field-{name}")
        expect(shown).to_be_hidden()
        _fill(page, *scenario.trigger)
        expect(shown).to_be_visible()
        for key, typed in scenario.values.items():
            if key != scenario.missing:
                _fill(page, key, typed)
        if name != scenario.missing:
            _fill(page, name, value)
        if scenario.blur:
            field_name, bad, good = scenario.blur
            _fill(page, field_name, bad)
            page.locator(f'[name="{field_name}"]').press("Tab")
            expect(page.locator(f"#error-{field_name}")).to_be_visible()
            _fill(page, field_name, good)
            page.locator(f'[name="{field_name}"]').press("Tab")
            expect(page.locator(f"#error-{field_name}")).to_have_count(0)
        page.set_input_files(f'input[type=file][name="{scenario.photo}"]', files=[
            {"name": "scene.png", "mimeType": "image/png", "buffer": png()}])
        expect(page.locator(f"#field-{scenario.photo} .previews img")).to_have_count(1)
        _shoot(page, scenario, "form")

        page.click("form.record-form button[type=submit]")
        expect(page.locator(f"#error-{scenario.missing}")).to_be_visible()
        expect(page.locator(f'input[name="{scenario.photo}"][type=checkbox]')).to_be_checked()
        if name != scenario.missing:
            expect(page.locator(f'[name="{name}"]').first).to_have_value(value)
        _shoot(page, scenario, "form-error")
        missing_value = scenario.values.get(scenario.missing) or value
        _fill(page, scenario.missing, missing_value)
        page.click("form.record-form button[type=submit]")
        expect(page).to_have_url(re.compile(rf"/registers/{scenario.register}/\d+$"))
        record = page.url.removeprefix(base)
        expect(page.locator(".thumbs img")).to_have_count(1)
        _shoot(page, scenario, "record")

        page.goto(f"{base}/registers/{scenario.register}?q={scenario.title}")
        expect(page.locator(f'a[href="{record}"]').first).to_be_visible()
        _shoot(page, scenario, "list")
        assert not errors, errors
    finally:
        context.close()
