"""A person at the keyboard, generically: fill every visible field of a form by what it is,
typing and pressing Tab as people do, and check that what was typed is still on screen.

Nothing here knows a deployment; values come from each field's type in the config."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from conftest import png

from gridwork.config import Deployment
from gridwork.config.models import FieldSpec

SETTLED = """window.gwSettled = 0;
document.addEventListener("htmx:afterSettle", () => { window.gwSettled += 1; });
document.addEventListener("htmx:afterRequest", (e) => {
  window.gwLast = e.detail.xhr.status + " " + e.detail.xhr.responseText.slice(0, 300); });"""
"""Also keeps the last htmx answer, to say what came back when a field check went wrong."""
"""Counts htmx swaps, so a test waits for the field check a Tab sends (add as init script)."""

_TYPED = {"phone": "13812345678", "email": "demo@example.com", "id_card": "11010519491231002X",
          "credit_code": "91330106MA2B3C4D5E"}


@dataclass(frozen=True)
class Typed:
    """What was put in one control, to read back from the screen."""

    selector: str
    kind: str
    value: str


def value_for(spec: FieldSpec | None, kind: str) -> str:
    """A valid value for a field, from its type in the config (or the input's type)."""
    field_type = spec.type if spec else kind
    yesterday = dt.date.today() - dt.timedelta(days=1)
    if field_type in _TYPED:
        return _TYPED[field_type]
    if field_type == "date" or kind == "date":
        return yesterday.isoformat()
    if field_type == "datetime" or kind == "datetime-local":
        return f"{yesterday.isoformat()}T09:30"
    if field_type in ("integer", "decimal") or kind == "number":
        low = spec.min if spec and isinstance(spec.min, int | float) else 1
        return str(int(low))
    text = "现场已核实，按要求处理完毕" if kind == "textarea" else "巡查记录"
    if spec and spec.max_length:
        text = text[:spec.max_length]
    return text


def fill_form(page: Any, form: str, deployment: Deployment, register: str) -> list[Typed]:
    """Fill every visible field of ``form`` (a selector) in order, pressing Tab out of each;
    fields a choice reveals are filled too. Return what was typed."""
    spec = deployment.registers[register]
    typed: dict[str, Typed] = {}
    for _ in range(4):  # a choice may reveal fields: go again until none is new
        names = page.locator(f"{form} .field:visible").evaluate_all(
            "els => els.map(e => e.id.replace(/^field-/, ''))")
        new = [n for n in names if n not in typed and n != "form-state"]
        if not new:
            break
        for name in new:
            typed[name] = _fill_field(page, f"{form} #field-{name}", spec.field(name))
    return [t for t in typed.values() if t.kind]


def _fill_field(page: Any, box: str, spec: FieldSpec | None) -> Typed:
    """Fill one field's controls, then Tab out of it and wait for its check to come back."""
    field = page.locator(box)
    controls = field.locator("input:not([type=hidden]):not([type=search]):not([disabled]), "
                             "select, textarea")
    if controls.count() == 0 or not field.is_visible():  # a choice before it hid it
        return Typed(box, "", "")
    checked = field.get_attribute("hx-post") is not None
    first = controls.first
    kind = first.evaluate("e => e.tagName === 'INPUT' ? e.type : e.tagName.toLowerCase()")
    result = Typed(box, "", "")
    if kind == "select":
        options = first.locator("option").evaluate_all(
            "os => os.map(o => o.value).filter(Boolean)")
        # A place is the deepest one offered; anything else the first choice.
        value = options[-1] if "tree-value" in (first.get_attribute("class") or "") \
            else options[0]
        first.focus()
        first.select_option(value)
        result = Typed(f"{box} select", "select", value)
    elif kind in ("radio", "checkbox"):
        value = first.get_attribute("value") or ""
        first.check()
        result = Typed(f'{box} input[value="{value}"]', "checked", value)
    elif kind == "file":
        first.set_input_files(files=[{"name": "scene.png", "mimeType": "image/png",
                                      "buffer": png()}])
        return Typed(box, "", "")
    elif kind in ("date", "datetime-local"):
        value = value_for(spec, kind)
        first.fill(value)
        result = Typed(f"{box} input", "value", value)
    else:
        if spec is not None and spec.type == "geo_point":
            if not spec.required:  # a point must lie in the record's area: leave it
                return Typed(box, "", "")
            for control, number in zip(controls.all(), ("30.2741", "120.1551"), strict=True):
                control.fill("")
                control.press_sequentially(number)
            result = Typed(f"{box} input[name$=_lat]", "value", "30.2741")
        else:
            value = value_for(spec, kind)
            first.fill("")  # a default is replaced, as people select it and type over
            first.press_sequentially(value)
            result = Typed(f"{box} {'textarea' if kind == 'textarea' else 'input'}", "value",
                           value)
    _tab_out(page, field, controls.last, checked)
    if spec is not None and spec.type == "geo_point":
        confirm = page.locator(f'{box} input[name="{spec.name}_confirm"]')
        if confirm.count() and confirm.first.is_visible():  # the point lies outside the
            confirm.first.check()                           # grid: a person confirms it
    return result


def _tab_out(page: Any, field: Any, last: Any, checked: bool) -> None:
    """Press Tab from the field's last control; wait for the field check it sends."""
    before = page.evaluate("() => window.gwSettled || 0")
    last.focus()
    for _ in range(8):  # a date input takes a Tab per part before focus leaves it
        page.keyboard.press("Tab")
        if not field.evaluate("f => f.contains(document.activeElement)"):
            break
    if checked:
        from playwright.sync_api import Error

        try:
            page.wait_for_function(f"() => (window.gwSettled || 0) > {before}", timeout=5000)
        except Error:
            raise AssertionError("no field check came back after Tab out of a field: "
                                 f"{page.evaluate('window.gwLast')}") from None
        assert field.count() == 1, "the field vanished when focus left it"


def still_there(page: Any, typed: list[Typed]) -> list[str]:
    """What was typed but is no longer on screen, as messages."""
    lost = []
    for item in typed:
        control = page.locator(item.selector).first
        if control.count() and control.evaluate(
                "c => !!c.closest('.field[hidden], .field[style*=\"display: none\"]')"):
            continue  # hidden by a choice made after it was typed (its show_if): not lost
        if control.count() == 0 or not control.is_visible():
            lost.append(f"{item.selector}: gone")
        elif item.kind == "checked" and not control.is_checked():
            lost.append(f"{item.selector}: unchecked")
        elif item.kind in ("value", "select") and control.input_value() != item.value:
            lost.append(f"{item.selector}: {control.input_value()!r} != {item.value!r}")
    return lost
