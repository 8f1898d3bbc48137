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

from gridwork.config import load_deployment
from gridwork.config.models import Workflow
from support import CONFIGS, SHIPPED

SHOTS = ARTIFACTS / "screenshots"
WIDTHS = {"phone": 390, "desktop": 1280}
MAX_STEPS = 25
UNASSIGNED = {("safety", "report_flow")}
"""Workflows whose next step only an assignee may take, and the report form sets none: a
record reported through the pages waits there (to fix in the form, not here)."""


@pytest.mark.parametrize("name", SHIPPED)
def test_walk_every_workflow_to_its_end(name: str, browser: Any,
                                        serve: Callable[..., str]) -> None:
    deployment = load_deployment(CONFIGS / name)
    base = serve(name, records=0)
    walk = Walk(browser, base, name)
    try:
        for flow_name, flow in deployment.workflows.items():
            taken = _walk_one(walk, deployment, flow_name, flow)
            assert taken, flow_name
        assert not walk.errors, walk.errors
    finally:
        walk.close()
