"""Over HTTP, an edit corrects what was reported: `PATCH` changes the fields the edit page
shows, refuses a handling or revisit field by name (it belongs to an action), answers 409
for a stale version and 403 to a role that may not edit. A refused edit stores nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from api_support import HttpWorld
from workflow_scripts import SCRIPTS, values_for

COMMUNITY = SCRIPTS["community"]


@pytest.fixture
def community(http: Callable[..., HttpWorld]) -> HttpWorld:
    """The community deployment as shipped, over HTTP."""
    return http("community")


def _event(world: HttpWorld) -> dict[str, Any]:
    response = world.post(COMMUNITY.reporter, "/registers/event/records",
                          {"node": world.at["grid"], "values": values_for(world, COMMUNITY)})
    assert response.status_code == 201, response.text
    return response.json()


def _patch(world: HttpWorld, who: str, record: dict[str, Any], body: dict[str, Any]) -> Any:
    assert world.client is not None and world.tokens is not None
    return world.client.patch(f"/api/v1/registers/event/records/{record['id']}", json=body,
                              headers={"Authorization": f"Bearer {world.tokens[who]}"})


def test_an_edit_changes_what_was_reported(community: HttpWorld) -> None:
    event = _event(community)
    response = _patch(community, "community_worker", event,
                      {"version": event["version"], "values": {"title": "欠薪纠纷（工地三期）"}})
    assert response.status_code == 200, response.text
    edited = response.json()
    assert edited["values"]["title"] == "欠薪纠纷（工地三期）"
    assert edited["values"]["description"] == event["values"]["description"]
    assert edited["version"] == event["version"] + 1
    assert edited["state"] == event["state"]
    assert edited["history"][-1]["action"] == "edit"
    assert edited["history"][-1]["actor"] == "community_worker"
    described = community.get("community_worker", "/registers/event").json()
    assert "title" in described["edit"] and "result" not in described["edit"]


def test_an_edit_refuses_a_handling_field_and_stores_nothing(community: HttpWorld) -> None:
    event = _event(community)
    response = _patch(community, "community_worker", event, {
        "version": event["version"],
        "values": {"title": "改过的标题", "result": "已处理完毕", "satisfaction": "1"}})
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert set(errors) == {"result", "satisfaction"}
    assert errors["result"] == ["not changed by an edit but by the action 'feedback' or "
                                "'second_feedback'"]
    assert errors["satisfaction"][0].startswith("not changed by an edit but by the action "
                                                "'revisit_ok'")
    now = community.read("community_worker", _Ref(event))
    assert now["version"] == event["version"]
    assert now["values"]["title"] == event["values"]["title"]
    assert now["values"]["result"] is None
    assert [h["action"] for h in now["history"]] == [h["action"] for h in event["history"]]


def test_a_stale_edit_is_a_conflict(community: HttpWorld) -> None:
    event = _event(community)
    first = _patch(community, "community_worker", event,
                   {"version": event["version"], "values": {"address": "翠苑一区5幢"}})
    assert first.status_code == 200, first.text
    again = _patch(community, "community_worker", event,
                   {"version": event["version"], "values": {"address": "翠苑一区6幢"}})
    assert again.status_code == 409
    assert community.read("community_worker", _Ref(event))["values"]["address"] == "翠苑一区5幢"


def test_an_edit_needs_a_role_that_may_edit_and_a_version(community: HttpWorld) -> None:
    event = _event(community)
    refused = _patch(community, COMMUNITY.reporter, event,
                     {"version": event["version"], "values": {"title": "x"}})
    assert refused.status_code == 403
    unversioned = _patch(community, "community_worker", event, {"values": {"title": "x"}})
    assert unversioned.status_code == 422
    assert set(unversioned.json()["errors"]) == {"version"}


def test_a_role_that_sees_personal_data_masked_cannot_change_it(community: HttpWorld) -> None:
    event = _event(community)
    handler = COMMUNITY.handler  # department staff: may edit events, sees phones masked
    response = _patch(community, handler, event, {
        "version": event["version"], "values": {"caller_phone": "13800000000"}})
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == {
        "caller_phone": ["personal data you see masked: your roles may not change it"]}


class _Ref:
    """A record as `HttpWorld.read` names it."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.register, self.id = body["register"], body["id"]
