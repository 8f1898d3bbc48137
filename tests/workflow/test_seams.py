"""Where plugins come in: workflow actions and routing strategies by name, and the named
timers the built-in actions start and stop."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workflow_scripts import COMMUNITY, ENVIRONMENT, values_for
from workflow_support import World

from gridwork.config.models.workflows import RoutingRule
from gridwork.workflow import ACTIONS, STRATEGIES, Route, Step


def _edited(world: World, **changes: Any) -> World:
    """The world with the event workflow changed."""
    workflow = world.deployment.workflows["event_flow"].model_copy(update=changes)
    return world.with_deployment(world.deployment.model_copy(
        update={"workflows": {**world.deployment.workflows, "event_flow": workflow}}))


def test_plugin_action_and_named_timers(backend: str,
                                        worlds: Callable[[str, str], World]) -> None:
    world = worlds("community", backend)
    workflow = world.deployment.workflows["event_flow"]
    transitions = tuple(
        t.model_copy(update={"actions": ({"start_timer": "archiving"}, {"stamp": "seen"})})
        if t.name == "accept" else
        t.model_copy(update={"actions": ({"stop_timer": "archiving"},)})
        if t.name == "hold" else t
        for t in workflow.transitions)
    edited = _edited(world, transitions=transitions)
    stamped: list[tuple[str, Any]] = []

    def stamp(step: Step, argument: Any) -> None:
        stamped.append((step.transition.name, argument))
        step.changes["priority"] = "urgent"

    ACTIONS["stamp"] = stamp
    try:
        record = edited.act(COMMUNITY.handler, edited.create("grid_worker", "event",
                                                             COMMUNITY.values), "accept")
    finally:
        del ACTIONS["stamp"]
    assert stamped == [("accept", "seen")] and record.priority == "urgent"
    named = [t for t in edited.rows("timers", record) if t["state"] == "archiving"]
    assert named and all(t["cancelled_at"] is None for t in named)
    held = edited.act(COMMUNITY.handler, record, "hold", comment="等待")
    assert all(t["cancelled_at"] is not None for t in edited.rows("timers", held)
               if t["state"] == "archiving")


def test_plugin_routing_strategy(backend: str, worlds: Callable[[str, str], World]) -> None:
    world = _edited(worlds("community", backend),
                    routing=(RoutingRule(strategy="to_the_committee"),))
    STRATEGIES["to_the_committee"] = lambda conn, schema, record, rule: Route("sqjwh", None)
    try:
        record = world.create("grid_worker", "event", COMMUNITY.values)
    finally:
        del STRATEGIES["to_the_committee"]
    assert (record.state, record.department, record.assignee) == ("accepting", "sqjwh", None)


def test_set_names_a_department_by_code(backend: str,
                                        worlds: Callable[[str, str], World]) -> None:
    world = worlds("environment", backend)
    record = world.create("env_grid_worker", "pollution_event",
                          values_for(world, ENVIRONMENT))
    assert record.state == "dispatching"
    referred = world.act("town_officer", record, "refer_up", comment="超出乡镇职责")
    assert (referred.state, referred.department) == ("referred", "sthj_city")
    told = {m["recipient"] for m in world.rows("outbox", referred)}
    assert world.user("city_supervisor").id in told
    assert world.history(referred)[-1].after == {"department": "sthj_city"}
