"""Over HTTP, a point outside the record's grid is held to the pages' rule: refused, by
field, saying where it lies and how to confirm it (`"location_confirm": true`), and
accepted once confirmed — on a new record and on an edit. A refusal stores nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from api_support import HttpWorld
from sqlalchemy import func, select
from workflow_scripts import SCRIPTS, values_for
from workflow_support import point_in

COMMUNITY = SCRIPTS["community"]
HINT = 'If that is right, send "location_confirm": true in values.'


@pytest.fixture
def community(http: Callable[..., HttpWorld]) -> HttpWorld:
    """The community deployment as shipped, over HTTP."""
    return http("community")


def _next_door(world: HttpWorld) -> tuple[float, float]:
    """A point inside another grid of the reporter's community."""
    here = world.at["grid"]
    parent = next(n.parent for n in world.deployment.nodes if n.code == here)
    other = next(n.code for n in world.deployment.nodes if n.parent == parent
                 and n.code != here and n.code in world.deployment.boundaries)
    return point_in(world.deployment, other)


def _count(world: HttpWorld) -> int:
    with world.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(
            world.schema.table("event"))).scalar_one())


def _report(world: HttpWorld, **values: Any) -> Any:
    return world.post(COMMUNITY.reporter, "/registers/event/records",
                      {"node": world.at["grid"],
                       "values": {**values_for(world, COMMUNITY), **values}})


def test_a_new_point_outside_the_grid_waits_for_confirmation(community: HttpWorld) -> None:
    before = _count(community)
    lat, lon = _next_door(community)
    refused = _report(community, location=[lat, lon])
    assert refused.status_code == 422, refused.text
    errors = refused.json()["errors"]
    assert list(errors) == ["location"]
    assert errors["location"][0].startswith("The point lies outside ")
    assert errors["location"][1] == HINT
    assert _count(community) == before
    wrong = _report(community, location=[lat, lon], location_confirm="yes")
    assert wrong.status_code == 422
    assert list(wrong.json()["errors"]) == ["location_confirm"]
    confirmed = _report(community, location=[lat, lon], location_confirm=True)
    assert confirmed.status_code == 201, confirmed.text
    assert confirmed.json()["values"]["location"] == pytest.approx([lat, lon])
    assert _count(community) == before + 1


def test_a_point_inside_the_grid_needs_no_confirmation(community: HttpWorld) -> None:
    inside = _report(community)
    assert inside.status_code == 201, inside.text


def test_an_edit_moving_the_point_outside_the_grid_waits_for_confirmation(
        community: HttpWorld) -> None:
    made = _report(community).json()
    assert community.client is not None and community.tokens is not None
    headers = {"Authorization": f"Bearer {community.tokens['community_worker']}"}
    url = f"/api/v1/registers/event/records/{made['id']}"
    lat, lon = _next_door(community)
    refused = community.client.patch(url, headers=headers, json={
        "version": made["version"], "values": {"location": {"lat": lat, "lon": lon}}})
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"]["location"][1] == HINT
    unchanged = community.client.get(url, headers=headers).json()
    assert unchanged["version"] == made["version"]
    assert unchanged["values"]["location"] == made["values"]["location"]
    confirmed = community.client.patch(url, headers=headers, json={
        "version": made["version"],
        "values": {"location": {"lat": lat, "lon": lon}, "location_confirm": True}})
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["values"]["location"] == pytest.approx([lat, lon])
