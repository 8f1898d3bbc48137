"""The three shipped deployments check clean and say everything the issue asks of them."""

from __future__ import annotations

from collections import Counter

import pytest
from support import CONFIGS, SHIPPED, run_check

from gridwork.config import load_deployment

MODELINE = "# yaml-language-server: $schema=../../schema/gridwork.schema.json"


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_config_checks_without_errors_or_warnings(name: str) -> None:
    code, report = run_check(CONFIGS / name)
    assert report == []
    assert code == 0


@pytest.mark.parametrize("name", SHIPPED)
def test_every_yaml_file_carries_the_schema_modeline(name: str) -> None:
    for path in sorted((CONFIGS / name).glob("*.yaml")):
        assert path.read_text(encoding="utf-8").splitlines()[0] == MODELINE, path.name


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_config_is_a_whole_deployment(name: str) -> None:
    d = load_deployment(CONFIGS / name)
    levels = [level.key for level in d.hierarchy.levels]
    assert len(levels) >= 4
    per_level = Counter(node.level for node in d.nodes)
    assert per_level[levels[-1]] >= 200 or per_level[levels[-2]] >= 200
    assert isinstance(d.hierarchy.nodes, str) and d.hierarchy.nodes.endswith(".csv")
    assert d.boundaries, "grid boundaries (GeoJSON) are shipped"
    assert len(d.roles) >= 6
    assert len(d.registers) >= 3
    keyed = [f for r in d.registers.values() for f in r.fields
             if f.type in ("id_card", "credit_code") and f.unique]
    assert keyed, "a register is keyed by an ID-card number or credit code"
    categories = list(d.all_categories())
    assert len(categories) >= 10
    assert any(cat.children for cat in d.categories), "categories form a two-level tree"
    event_flows = [d.workflows[r.workflow] for r in d.registers.values()
                   if r.categorized and r.workflow]
    assert event_flows
    flow = event_flows[0]
    assert {"auto_dispatch", "revisit", "auto_archive"} <= set(flow.switches)
    assert any(t.new_round for t in flow.transitions), "a return for a second round"
    assert any(s.final for s in flow.states.values())
    assert flow.queues
    assert any(cat.limits for cat, _ in categories) or d.limits
    assert d.reminders
    assert max(len(steps) for steps in d.escalation.values()) >= 3
    assert len(d.schedules) >= 2
    assert d.assessment is not None and d.assessment.metrics
    labels = [d.about.title, *(r.label for r in d.roles.values())]
    assert all(label.zh and label.en for label in labels), "labels in Chinese with English"


def test_the_three_deployments_choose_different_switches() -> None:
    switches = set()
    for name in SHIPPED:
        d = load_deployment(CONFIGS / name)
        for flow in d.workflows.values():
            if {"auto_dispatch", "revisit", "auto_archive"} <= set(flow.switches):
                switches.add(tuple(sorted(flow.switches.items())))
    assert len(switches) >= 2
