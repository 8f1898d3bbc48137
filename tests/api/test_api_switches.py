"""`/api/v1/switches`: a role that `can: switch` turns the accepting limit off for its street
over the API; new events there get no deadline, the neighbouring street's still do."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from api_support import HttpWorld
from sqlalchemy import delete, select
from workflow_scripts import COMMUNITY

from gridwork.web.openapi import openapi_document


@pytest.fixture
def world(http: Callable[..., HttpWorld]) -> Iterator[HttpWorld]:
    """The community world over HTTP; its switch settings are removed afterwards."""
    made = http("community")
    yield made
    with made.engine.begin() as conn:
        conn.execute(delete(made.schema.system("switches")))


def _grid_of_street(world: HttpWorld, street: str) -> str:
    nodes = world.schema.system("nodes")
    with world.engine.connect() as conn:
        path = conn.execute(select(nodes.c.path).where(nodes.c.code == street)).scalar_one()
        return str(conn.execute(select(nodes.c.code).where(
            nodes.c.level == "grid", nodes.c.path.startswith(path))
            .order_by(nodes.c.path).limit(1)).scalar_one())


def test_a_street_officer_switches_the_accepting_limit_off_for_their_street(
        world: HttpWorld) -> None:
    values = dict(COMMUNITY.values)
    answered = world.post("street_officer", "/switches", {
        "workflow": "event_flow", "switch": "accept_limit", "node": world.at["street"],
        "on": False, "reason": "街道受理窗口改为人工登记"})
    assert answered.status_code == 201, answered.text
    assert answered.json()["was"] is True and answered.json()["on"] is False

    ours = world.create("grid_worker", "event", values)
    theirs = world.create("admin", "event", values,
                          node=_grid_of_street(world, world.far["street"]))
    assert (ours.state, theirs.state) == ("accepting", "accepting")
    assert ours.deadline is None
    assert theirs.deadline is not None

    listed = world.get("supervisor", "/switches").json()
    assert listed["configured"]["event_flow"]["accept_limit"] is True
    assert [(s["node"], s["on"], s["by"]) for s in listed["settings"]] == [
        (world.at["street"], False, "street_officer")]
    assert listed["changes"][0]["reason"] == "街道受理窗口改为人工登记"


def test_refusals_say_why(world: HttpWorld) -> None:
    body = {"workflow": "event_flow", "switch": "accept_limit", "node": world.far["street"],
            "on": False, "reason": "越权"}
    assert world.post("street_officer", "/switches", body).status_code == 403
    assert world.post("grid_worker", "/switches", body).status_code == 403
    assert world.get("grid_worker", "/switches").status_code == 403
    missing = world.post("supervisor", "/switches", {**body, "reason": " ", "on": "no"})
    assert missing.status_code == 422
    assert set(missing.json()["errors"]) == {"reason", "on"}
    unknown = world.post("supervisor", "/switches", {**body, "switch": "emergency"})
    assert unknown.status_code == 404
    assert world.get("supervisor", "/switches").json()["settings"] == []


def test_the_document_describes_it(world: HttpWorld) -> None:
    paths = openapi_document(world.deployment)["paths"]
    assert set(paths["/switches"]) == {"get", "post"}
