"""Where a picked point lies: the map opens on the user's area, /nodes/locate names only
nodes the user may see, and a form with a point outside its chosen node is saved only once
the user confirms the point."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from starlette.testclient import TestClient
from web_support import token

from gridwork.web.site import Site

OWN_GRID, NEXT_GRID = "330106001001001", "330106001001002"
"""The demo grid worker's grid (保俶塔社区第一网格) and the one east of it."""
IN_OWN, IN_NEXT, NOWHERE = (30.2915, 120.036), (30.2915, 120.040), (30.32, 120.0)


def locate(client: TestClient, point: tuple[float, float], **params: str) -> dict[str, Any]:
    response = client.get("/nodes/locate",
                          params={"lat": str(point[0]), "lng": str(point[1]), **params})
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def test_locate_says_where_the_point_lies_naming_only_nodes_in_scope(
        make_client: Callable[..., TestClient]) -> None:
    worker = make_client("community", "grid_worker")
    inside = locate(worker, IN_OWN, node=OWN_GRID, level="grid")
    assert inside == {"message": "该位置在保俶塔社区第一网格内。", "outside": False,
                      "offer": None, "confirm": None}

    next_door = locate(worker, IN_NEXT, node=OWN_GRID, level="grid")
    assert next_door["outside"] is True and next_door["offer"] is None
    assert next_door["message"] == "该位置不在所选的保俶塔社区第一网格内，也不在您的辖区内。"
    assert next_door["confirm"] == "位置无误，仍按此保存"
    unseen = locate(worker, IN_NEXT, node=NEXT_GRID, level="grid")
    assert "第二网格" not in str(unseen), "a node outside the scope is never named"
    assert unseen["message"] == "该位置不在您的辖区内。"

    community = make_client("community", "community_worker")
    offered = locate(community, IN_NEXT, node=OWN_GRID, level="grid")
    assert offered["outside"] is True
    assert offered["message"] == "该位置不在所选的保俶塔社区第一网格内，而在保俶塔社区第二网格内。"
    assert offered["offer"] == {"code": NEXT_GRID, "name": "保俶塔社区第二网格",
                                "label": "改为保俶塔社区第二网格"}
    buildings = locate(community, IN_NEXT, node=OWN_GRID + "01", level="building")
    assert buildings["outside"] is True and buildings["offer"] is None, \
        "only a node at the record's level is offered"
    unchosen = locate(community, IN_NEXT, level="grid")
    assert unchosen["outside"] is False and unchosen["offer"]["code"] == NEXT_GRID

    nowhere = locate(community, NOWHERE, node=OWN_GRID, level="grid")
    assert nowhere["outside"] is True and nowhere["offer"] is None
    assert nowhere["message"] == "该位置不在任何网格内，也不在所选的保俶塔社区第一网格内。"
    assert locate(community, NOWHERE)["message"] == "该位置不在任何网格内。"

    assert worker.get("/nodes/locate", params={"lat": "x", "lng": "120"}).status_code == 400
    assert worker.get("/nodes/locate", params={"lat": "95", "lng": "120"}).status_code == 400
    anonymous = make_client("community")
    assert anonymous.get("/nodes/locate", params={"lat": "30.29", "lng": "120.04"},
                         follow_redirects=False).status_code == 303


def test_the_map_opens_on_the_users_area_or_the_chosen_node(
        make_client: Callable[..., TestClient]) -> None:
    worker = make_client("community", "grid_worker")
    own = [[30.29, 120.034], [30.293, 120.038]]
    assert worker.get("/nodes/area").json() == {"bounds": own}
    assert worker.get("/nodes/area", params={"node": NEXT_GRID}).json() == {"bounds": own}, \
        "a node outside the scope does not move the map"
    community = make_client("community", "community_worker")
    assert community.get("/nodes/area").json() == {"bounds": [[30.287, 120.034],
                                                              [30.293, 120.05]]}
    assert community.get("/nodes/area", params={"node": NEXT_GRID}).json() == {
        "bounds": [[30.29, 120.038], [30.293, 120.042]]}
    building = community.get("/nodes/area", params={"node": OWN_GRID + "01"}).json()
    assert building == {"bounds": own}, "a node without a boundary takes its grid's"
    whole = make_client("community", "admin").get("/nodes/area").json()["bounds"]
    assert whole[0][0] < 30.26 and whole[1][1] > 120.15


def _count(client: TestClient) -> int:
    site: Site = client.app.state.site  # type: ignore[attr-defined]
    with site.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(site.schema.table("event")))
                   .scalar_one())


def test_a_point_outside_the_chosen_grid_is_saved_only_once_confirmed(
        make_client: Callable[..., TestClient]) -> None:
    worker = make_client("community", "grid_worker")
    form = {"csrf": token(worker), "node": OWN_GRID, "category": "dispute_neighbour",
            "title": "路灯不亮", "description": "东侧路口路灯不亮", "source": "patrol",
            "address": "保俶路口", "location_lat": str(IN_NEXT[0]),
            "location_lon": str(IN_NEXT[1])}
    before = _count(worker)
    refused = worker.post("/registers/event/new", data=form)
    assert refused.status_code == 422 and _count(worker) == before
    field = re.search(r'id="field-location".*?(?=id="field-)', refused.text, re.DOTALL)
    assert field, "the location field is shown"
    assert "该位置不在所选的保俶塔社区第一网格内，也不在您的辖区内。" in field.group(0)
    assert 'name="location_confirm" value="1">' in field.group(0)
    assert 'value="30.2915"' in field.group(0), "what was picked is kept"

    checked = worker.post("/registers/event/field/location",
                          data={**form, "location_confirm": "1"}).text
    assert 'name="location_confirm" value="1" checked' in checked
    assert '<p class="error"' not in checked, "a confirmed point is no longer refused"

    saved = worker.post("/registers/event/new", data={**form, "location_confirm": "1"},
                        follow_redirects=False)
    assert saved.status_code == 303, saved.text
    assert _count(worker) == before + 1

    inside = {**form, "location_lat": str(IN_OWN[0]), "location_lon": str(IN_OWN[1])}
    assert worker.post("/registers/event/new", data=inside,
                       follow_redirects=False).status_code == 303
