"""In Chromium, typing and pressing Tab as a person does: a phone number with letters is
refused beside the field and nothing is stored; a birth date in the future, or one the
ID card contradicts, is refused with its message; the reporter's new-event form has no
handling or revisit fields."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from stdnum.cn import ric

PHONE_MESSAGE = "只能填写数字、空格、括号、“-”和开头的“+”"
ID_MESSAGE = "出生日期与身份证号第7-14位不一致"


def _id_card(born: dt.date) -> str:
    body = f"110105{born:%Y%m%d}123"
    return body + ric.calc_check_digit(body + "0")  # it reads the first 17 of 18


@pytest.fixture
def community(browser: Any, serve: Callable[[str], str]) -> Iterator[tuple[Any, str]]:
    """A grid worker signed in to the community deployment: the page and the base URL."""
    from playwright.sync_api import expect

    base = serve("community")
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    try:
        page.goto(base + "/signin")
        page.fill("#username", "grid_worker")
        page.fill("#password", "demo")
        page.click("button[type=submit]")
        expect(page).to_have_url(base + "/")
        yield page, base
        assert not errors, errors
    finally:
        context.close()


def _type(page: Any, name: str, text: str) -> None:
    """Click into the input called ``name``, type ``text`` key by key and press Tab."""
    target = page.locator(f'[name="{name}"]:not([type=hidden])').first
    target.click()
    target.press("Control+a")
    target.press_sequentially(text)
    target.press("Tab")


def _type_date(page: Any, name: str, day: dt.date) -> None:
    """Enter a date in a date input, then click elsewhere to leave it (the order of its
    segments, and so what Tab does inside it, depends on the browser's locale)."""
    target = page.locator(f'input[name="{name}"]')
    target.fill(day.isoformat())
    assert target.input_value() == day.isoformat()
    page.locator("main h1, main h2").first.click()


def _choose(page: Any, name: str, value: str | None = None) -> None:
    """Pick ``value`` (default: the first option) from a select or a group of radios."""
    select = page.locator(f'select[name="{name}"]')
    if select.count():
        select.first.select_option(value or select.first.locator("option").nth(1)
                                   .get_attribute("value"))
    elif value is None:
        page.locator(f'input[name="{name}"]').first.check()
    else:
        page.check(f'input[name="{name}"][value="{value}"]')


def _list_total(page: Any, base: str, register: str, query: str) -> int:
    page.goto(f"{base}/registers/{register}?q={query}")
    return int(page.locator(f'main a[href^="/registers/{register}/"]').filter(
        has_text=query).count())


def test_letters_in_a_phone_number_are_refused_and_nothing_is_stored(
        community: tuple[Any, str]) -> None:
    from playwright.sync_api import expect

    page, base = community
    page.goto(f"{base}/registers/event/new")
    _choose(page, "category")
    _type(page, "title", "门口摊点占道")
    _type(page, "description", "早市摊点占用人行道")
    _type(page, "address", "幸福小区东门")
    _choose(page, "source", "resident")
    expect(page.locator("#field-caller_phone")).to_be_visible()
    _type(page, "caller_phone", "1381234abcd")
    expect(page.locator("#error-caller_phone")).to_have_text(PHONE_MESSAGE)
    expect(page.locator('[name="caller_phone"]')).to_have_value("1381234abcd")
    page.click("form.record-form button[type=submit]")
    expect(page.locator("#error-caller_phone")).to_have_text(PHONE_MESSAGE)
    expect(page.locator('[name="caller_phone"]')).to_have_value("1381234abcd")
    assert "/new" in page.url
    assert _list_total(page, base, "event", "门口摊点占道") == 0


def test_a_future_or_contradicted_birth_date_is_refused(community: tuple[Any, str]) -> None:
    from playwright.sync_api import expect

    page, base = community
    page.goto(f"{base}/registers/resident/new")
    if page.locator('select[name="node"] option').count() > 1:
        _choose(page, "node")
    born = dt.date(1985, 3, 12)
    _choose(page, "residence_type")
    _type(page, "name", "赵未来")
    _type(page, "id_card", _id_card(born))
    expect(page.locator("#error-id_card")).to_have_count(0)
    tomorrow = dt.date.today() + dt.timedelta(days=2)
    _type_date(page, "birth_date", tomorrow)
    expect(page.locator("#error-birth_date")).to_contain_text("不能晚于")
    page.click("form.record-form button[type=submit]")
    expect(page.locator("#error-birth_date")).to_contain_text("不能晚于")

    _type_date(page, "birth_date", dt.date(1985, 3, 13))
    expect(page.locator("#error-birth_date")).to_have_text(ID_MESSAGE)
    page.click("form.record-form button[type=submit]")
    expect(page.locator("#error-birth_date")).to_have_text(ID_MESSAGE)
    assert _list_total(page, base, "resident", "赵未来") == 0


def test_the_reporters_form_has_no_handling_or_revisit_fields(
        community: tuple[Any, str]) -> None:
    from playwright.sync_api import expect

    page, base = community
    page.goto(f"{base}/registers/event/new")
    expect(page.locator("#field-title")).to_be_visible()
    for name in ("result", "result_photos", "revisit_note", "satisfaction",
                 "satisfaction_score"):
        expect(page.locator(f"#field-{name}")).to_have_count(0)
        expect(page.locator(f'[name="{name}"]')).to_have_count(0)
    for label in ("处理结果", "满意度", "回访情况"):
        expect(page.get_by_text(label, exact=True)).to_have_count(0)
