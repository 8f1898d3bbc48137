"""Where plugins come in: a plugin registered for the test adds a workflow action and a
routing strategy by name; and the named timers the built-in actions start and stop."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workflow_scripts import COMMUNITY, ENVIRONMENT, values_for
from workflow_support import World

from gridwork.config.models.workflows import RoutingRule
from gridwork.config.plugin_checks import deployment_manager
from gridwork.plugins import hookimpl
from gridwork.workflow import Route, Step


def _edited(world: World, plugin: object, **changes: Any) -> World:
    """The world with the event workflow changed and ``plugin`` registered."""
    workflow = world.deployment.workflows["event_flow"].model_copy(update=changes)
    edited = world.with_deployment(world.deployment.model_copy(
        update={"workflows": {**world.deployment.workflows, "event_flow": workflow}}))
    edited.plugins = deployment_manager(edited.deployment)
    edited.plugins.add(plugin, "seam_plugin", None)
    return edited


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
    stamped: list[tuple[str, Any]] = []

    class Stamp:
        @hookimpl
        def gridwork_workflow_actions(self) -> dict[str, Callable[[Step, Any], None]]:
            return {"stamp": self.stamp}

        def stamp(self, step: Step, argument: Any) -> None:
            stamped.append((step.transition.name, argument))
            step.changes["priority"] = "urgent"

    edited = _edited(world, Stamp(), transitions=transitions)
    record = edited.act(COMMUNITY.handler, edited.create("grid_worker", "event",
                                                         COMMUNITY.values), "accept")
    assert stamped == [("accept", "seen")] and record.priority == "urgent"
    named = [t for t in edited.rows("timers", record) if t["state"] == "archiving"]
    assert named and all(t["cancelled_at"] is None for t in named)
    held = edited.act(COMMUNITY.handler, record, "hold", comment="等待")
    assert all(t["cancelled_at"] is not None for t in edited.rows("timers", held)
               if t["state"] == "archiving")


def test_plugin_routing_strategy(backend: str, worlds: Callable[[str, str], World]) -> None:
    class Committee:
        @hookimpl
        def gridwork_routing_strategies(self) -> dict[str, Callable[..., Route | None]]:
            return {"to_the_committee": lambda conn, schema, record, rule: Route("sqjwh", None)}

    world = _edited(worlds("community", backend), Committee(),
                    routing=(RoutingRule(strategy="to_the_committee"),))
    record = world.create("grid_worker", "event", COMMUNITY.values)
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
