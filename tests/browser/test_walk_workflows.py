"""In Chromium, in each shipped deployment: walk every workflow from report to its end as the
demo users whose roles may take each step, typing into and Tabbing through every field of
every action form met on the way (and of the report form), with screenshots at phone and
desktop widths in test-artifacts/screenshots/."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from typing import Any

import pytest
from conftest import ARTIFACTS
from walker import SETTLED, Typed, fill_form, still_there

from gridwork.config import Deployment, load_deployment
from gridwork.config.models import Workflow
from support import CONFIGS, SHIPPED

SHOTS = ARTIFACTS / "screenshots"
WIDTHS = {"phone": 390, "desktop": 1280}
MAX_STEPS = 25


def _to_end(flow: Workflow) -> dict[str, int]:
    """How many steps each state is from the workflow's first final state (its usual end)."""
    end = next(name for name, state in flow.states.items() if state.final)
    distance = {end: 0}
    queue = deque(distance)
    while queue:
        state = queue.popleft()
        for t in flow.transitions:
            sources = [t.from_] if isinstance(t.from_, str) else list(t.from_)
            if t.to == state:
                for source in sources:
                    if source not in distance:
                        distance[source] = distance[state] + 1
                        queue.append(source)
    return distance


class Walk:
    """Signed-in pages, one per demo user, opened as needed."""

    def __init__(self, browser: Any, base: str, name: str) -> None:
        self.browser, self.base, self.name = browser, base, name
        self.pages: dict[str, Any] = {}
        self.errors: list[str] = []

    def page(self, username: str) -> Any:
        if username not in self.pages:
            context = self.browser.new_context(locale="zh-CN",
                                               viewport={"width": 1280, "height": 900})
            context.add_init_script(SETTLED)
            page = context.new_page()
            page.on("pageerror", lambda err: self.errors.append(str(err)))
            page.goto(self.base + "/signin")
            page.fill("#username", username)
            page.fill("#password", "demo")
            page.click("button[type=submit]")
            page.wait_for_url(self.base + "/")
            self.pages[username] = page
        return self.pages[username]

    def close(self) -> None:
        for page in self.pages.values():
            page.context.close()


def _errors(page: Any) -> list[str]:
    """The field messages on screen, each with its field."""
    return page.locator(".field .error").evaluate_all(
        "els => els.map(e => e.closest('.field').id + ': ' + e.textContent)")


def _shoot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size({"width": WIDTHS["desktop"], "height": 900})


def _reporter(deployment: Deployment, register: str) -> str:
    """A demo role that may create records of the register, sitting at the level records
    attach to when one does."""
    level = deployment.record_levels(register)[0]
    able = [key for key, role in deployment.roles.items() if role.department is None
            and any(verb in ("create", f"create:{register}") for verb in role.can)]
    return next((key for key in able if level in deployment.roles[key].at), able[0])


def _try_action(walk: Walk, deployment: Deployment, register: str, url: str,
                action: str, roles: list[str], shot: str, shown: str) -> bool:
    """Take the action as the first demo user shown it; False when no demo user is offered
    it. Every other action that user is offered is opened and typed into first; the
    action's own form is refused once (a required field emptied) before it is sent.
    Department users whose department ``shown`` names are tried first."""
    from playwright.sync_api import expect

    departments = sorted((d for d in deployment.departments
                          if any(deployment.roles[r].department is not None for r in roles)),
                         key=lambda d: d.name.text(deployment.about.locale) not in shown)
    for username in [*roles, *(d.code for d in departments)]:
        page = walk.page(username)
        page.goto(walk.base + url)
        offered = page.locator(".record-actions a[data-action]").evaluate_all(
            "els => els.map(e => e.dataset.action)")
        if action not in offered:
            continue
        for other in [*(a for a in offered if a != action), action]:
            page.click(f'.record-actions a[data-action="{other}"]')
            expect(page.locator("#action-form h2")).to_have_text(
                page.locator(f'.record-actions a[data-action="{other}"]').inner_text())
            typed = fill_form(page, "#action-form", deployment, register)
            assert not still_there(page, typed), (other, username, still_there(page, typed))
        _refuse_once(page, typed)
        page.set_viewport_size({"width": WIDTHS["phone"], "height": 900})
        page.locator("#action-form").screenshot(path=str(SHOTS / f"{shot}-{action}-form.png"))
        page.set_viewport_size({"width": WIDTHS["desktop"], "height": 900})
        page.click("#action-form button[type=submit]")
        page.wait_for_url(re.compile(re.escape(walk.base + url) + "$"))
        try:
            expect(page.locator("#action-form")).to_have_count(0)
        except AssertionError:
            raise AssertionError(f"{action} refused: {_errors(page)}") from None
        _shoot(page, f"{shot}-{action}")
        return True
    return False


def _refuse_once(page: Any, typed: list[Typed]) -> None:
    """Empty the last required text typed (not a date), send the form: it comes back refused with that
    field marked and everything else still as typed; then type it again."""
    from playwright.sync_api import expect

    required = [t for t in typed if t.kind == "value" and page.locator(t.selector).evaluate(
        "e => !['date', 'datetime-local'].includes(e.type)") and page.locator(
        t.selector).locator("xpath=ancestor::div[contains(@class,'field')][1]//*[@class='req']"
                            ).count()]
    if not required:
        return
    last = required[-1]
    page.locator(last.selector).fill("")
    page.click("#action-form button[type=submit]")
    box = page.locator(last.selector).locator("xpath=ancestor::div[contains(@class,'field')][1]")
    expect(box.locator(".error")).to_be_visible()
    rest = [t for t in typed if t is not last]
    assert not still_there(page, rest), still_there(page, rest)
    page.locator(last.selector).press_sequentially(last.value)


def _walk_one(walk: Walk, deployment: Deployment, name: str, flow: Workflow) -> list[str]:
    """Report a record of the workflow's first register, then act until a final state;
    return the actions taken and, last, the final state."""
    from playwright.sync_api import expect

    register = next(key for key, r in deployment.registers.items() if r.workflow == name)
    page = walk.page(_reporter(deployment, register))
    page.goto(f"{walk.base}/registers/{register}/new")
    typed = fill_form(page, "form.record-form", deployment, register)
    assert not still_there(page, typed), still_there(page, typed)
    with page.expect_navigation():
        page.click("form.record-form button[type=submit]")
    confirm = page.locator('form.record-form input[name$="_confirm"]')
    if page.url.endswith("/new") and confirm.count():  # a point outside the chosen grid:
        confirm.first.check()                            # the reporter says it is right
        with page.expect_navigation():
            page.click("form.record-form button[type=submit]")
    assert not page.url.endswith("/new"), _errors(page)
    expect(page).to_have_url(re.compile(rf"/registers/{register}/\d+$"))
    url = page.url.removeprefix(walk.base)
    shot = f"{walk.name}-{name}"
    _shoot(page, f"{shot}-0-reported")
    labels = {s.label.text(deployment.about.locale): key for key, s in flow.states.items()
              if s.label}
    distance, visited, taken = _to_end(flow), set(), []
    for step in range(1, MAX_STEPS):
        page.goto(walk.base + url)
        state = labels[page.locator("#record-state").inner_text().strip()]
        shown = page.locator("#workflow").inner_text()
        visited.add(state)
        if flow.states[state].final:
            return [*taken, state]
        # The usual way to the end: states not seen yet, steps that need no explanation
        # (a comment: rejecting, voiding, holding…), the nearest to the end.
        moves = sorted((t for t in flow.transitions if t.by and state in (
            [t.from_] if isinstance(t.from_, str) else t.from_)),
            key=lambda t: (t.to in visited, "comment" in t.require,
                           distance.get(t.to, MAX_STEPS)))
        for move in moves:
            roles = [move.by] if isinstance(move.by, str) else list(move.by)
            if _try_action(walk, deployment, register, url, move.name, roles,
                           f"{shot}-{step}", shown):
                taken.append(move.name)
                break
        else:
            pytest.fail(f"{name}: no demo user may act on {url} in state {state}")
    pytest.fail(f"{name}: no final state after {MAX_STEPS} steps: {taken}")


@pytest.mark.parametrize("name", SHIPPED)
def test_walk_every_workflow_to_its_end(name: str, browser: Any,
                                        serve: Callable[..., str]) -> None:
    deployment = load_deployment(CONFIGS / name)
    base = serve(name, records=0)
    walk = Walk(browser, base, name)
    try:
        for flow_name, flow in deployment.workflows.items():
            *taken, end = _walk_one(walk, deployment, flow_name, flow)
            # Its usual end, not a way out (cancelling a duty nobody could complete).
            usual = next(key for key, state in flow.states.items() if state.final)
            assert taken and end == usual, (flow_name, taken, end)
        assert not walk.errors, walk.errors
    finally:
        walk.close()
