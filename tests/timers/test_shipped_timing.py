"""Every shipped deployment gives a limit and a plan to every state its config limits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from support import CONFIGS, SHIPPED
from timers_support import at

from gridwork.config import Deployment, load_deployment
from gridwork.config.models import Category
from gridwork.time.deadlines import Deadlines

REPORT = at("2026-09-30 16:00")


@pytest.fixture(scope="module", params=SHIPPED)
def deadlines(request: pytest.FixtureRequest) -> Deadlines:
    return Deadlines(load_deployment(CONFIGS / request.param))


def _cases(deployment: Deployment) -> Iterator[tuple[str, str, str | None, str | None]]:
    """(workflow, state, category, severity) for each state a category or rule limits."""
    parents = {c.code: p for c, p in deployment.all_categories()}
    for register in deployment.registers.values():
        if register.workflow is None:
            continue
        workflow = deployment.workflows[register.workflow]
        ruled = {rule.state for rule in deployment.limits
                 if rule.workflow in (None, register.workflow)}
        kinds: list[tuple[Category | None, str | None]] = [(None, None)]
        if register.categorized:
            kinds = [(c, s) for c, _ in deployment.all_categories()
                     for s in _severities(c, parents)]
        for category, severity in kinds:
            limited = set(ruled)
            node = category
            while node is not None:
                limited |= set(node.limits)
                node = parents[node.code]
            for state in sorted(limited & set(workflow.states)):
                if not workflow.states[state].paused:
                    yield (register.workflow, state, category and category.code, severity)


def _severities(category: Category, parents: dict[str, Category | None]) -> tuple[str, ...]:
    node: Category | None = category
    while node is not None and node.severities is None:
        node = parents[node.code]
    return node.severities if node is not None and node.severities else ("general",)


def test_every_limited_state_resolves(deadlines: Deadlines) -> None:
    cases = list(_cases(deadlines.deployment))
    assert len(cases) > 20
    unresolved = [case for case in cases if deadlines.limit(*case) is None]
    assert unresolved == []
    for workflow, state, category, severity in cases:
        limit = deadlines.limit(workflow, state, category, severity)
        assert limit is not None
        values = {limit.until: dt.date(2026, 10, 20)} if limit.until else None
        plan = deadlines.plan(workflow, state, REPORT, category, severity, values)
        assert plan is not None and plan.deadline > REPORT
        instants = [t.at for t in plan.timers]
        assert instants == sorted(instants) and instants[0] > REPORT
