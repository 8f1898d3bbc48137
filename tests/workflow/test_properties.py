"""Random sequences of actions, allowed or not, by anyone, with or without their values and
with fresh or stale versions, never leave a record in a state its workflow cannot reach, and
its history always replays to its state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from workflow_scripts import SCRIPTS, Script, probe_users, values_for
from workflow_support import World

from gridwork.config import Deployment
from gridwork.config.models import Workflow
from gridwork.workflow import Conflict, Forbidden, Invalid, load_record, replay

Step = tuple[int, int, bool, int, bool]
"""(user index, transition index, give values, which value, stale version)"""

steps = st.lists(st.tuples(st.integers(0, 99), st.integers(0, 99), st.booleans(),
                           st.integers(0, 1), st.booleans()), max_size=14)


def reachable(workflow: Workflow) -> set[str]:
    """States a record can reach from the initial one, by any transition."""
    seen = {workflow.initial_state}
    frontier = [workflow.initial_state]
    while frontier:
        state = frontier.pop()
        for transition in workflow.transitions:
            if state in transition.from_ and transition.to not in seen:
                seen.add(transition.to)
                frontier.append(transition.to)
    return seen


def pool(script: Script) -> dict[str, list[Any]]:
    """Values to offer for required fields: what the script gives, and a failing choice."""
    offered: dict[str, list[Any]] = {"department": [script.department, "nowhere"]}
    for move in (script.dispatch, script.reject, script.redispatch, script.accept,
                 script.feedback, script.fail, script.second_feedback, script.second_ok):
        for name, value in move[1].items():
            offered.setdefault(name, []).append(value)
    return offered


@pytest.mark.parametrize("manual", [False, True], ids=["shipped", "manual_dispatch"])
@pytest.mark.parametrize("name", sorted(SCRIPTS))
@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(sequence=steps)
def test_random_actions_keep_the_record_sound(
        name: str, manual: bool, backend: str, worlds: Callable[[str, str], World],
        variants: Callable[[str, dict[str, bool]], Deployment], sequence: list[Step]) -> None:
    script = SCRIPTS[name]
    world = worlds(name, backend)
    if manual:
        world = world.with_deployment(variants(name, {"auto_dispatch": False}))
    workflow = world.deployment.workflows[world.deployment.registers[script.register].workflow
                                          or ""]
    states = reachable(workflow)
    names = list(dict.fromkeys(t.name for t in workflow.transitions))
    users = probe_users(world, script.department)
    offered = pool(script)
    record = world.create(script.reporter, script.register, values_for(world, script))
    for who, which, give, choice, stale in sequence:
        # Mostly moves that start here, by someone offered them; sometimes anything by anyone.
        here = [t.name for t in workflow.transitions if record.state in t.from_]
        candidates = here if here and which % 3 else names
        transition = next(t for t in workflow.transitions
                          if t.name == candidates[which % len(candidates)])
        people = users
        if who % 2:
            people = [u for u in users if transition.name in world.actions(u, record)] or users
        values = {field: offered[field][choice % len(offered[field])]
                  for field in transition.require if give and field in offered}
        comment = "说明情况" if give and "comment" in transition.require else None
        version = record.version - 1 if stale else record.version
        try:
            record = world.act(people[who % len(people)], replace(record, version=version),
                               transition.name, values, comment)
        except (Forbidden, Invalid, Conflict):
            with world.engine.connect() as conn:
                assert load_record(conn, world.schema, script.register, record.id) == record
        assert record.state in states
        assert replay(world.history(record)) == record.state
