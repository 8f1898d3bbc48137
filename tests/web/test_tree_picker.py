"""The tree picker of node fields: a level at a time or by search, never beyond the user's scope."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

from starlette.testclient import TestClient
from web_support import sign_in, token

from support import runtime_of

from gridwork.config import Deployment
from gridwork.config.models import FieldSpec
from gridwork.storage import make_engine
from gridwork.web import create_app

DISTRICT, STREET, COMMUNITY = "330106", "330106001", "330106001001"
OWN_GRID, OTHER_GRID = "330106001001001", "330106002001001"
"""The demo grid worker's grid, and a grid in another street."""


def picks(html: str) -> list[str]:
    """The codes a fragment lets the user pick."""
    return re.findall(r'class="tree-pick" data-code="(\w+)"', html)


def expandable(html: str) -> list[str]:
    """The codes a fragment lets the user open."""
    return re.findall(r'aria-controls="in-node-sub-(\w+)"', html)


def tree(client: TestClient, **params: str) -> str:
    response = client.get("/nodes/tree", params={"level": "grid", "for": "in-node", **params})
    assert response.status_code == 200, response.status_code
    return response.text


def test_a_district_user_opens_the_tree_level_by_level_and_picks_only_at_the_level(
        make_client: Callable[..., TestClient]) -> None:
    admin = make_client("community", "admin")
    streets = tree(admin)
    assert len(expandable(streets)) == 6 and picks(streets) == [], "the district opens itself"
    assert tree(admin, parent=DISTRICT) == streets
    assert f'hx-get="/nodes/tree?level=grid&amp;parent={STREET}&amp;for=in-node"' in streets
    grids = tree(admin, parent=COMMUNITY)
    assert picks(grids) and all(code.startswith(COMMUNITY) for code in picks(grids))
    assert expandable(grids) == [], "nothing below the field's level opens"
    found = tree(admin, q="第一网格")
    assert 1 < len(picks(found)) <= 30 and "西湖区 / 北山街道 / 保俶塔社区" in found
    assert picks(tree(admin, q=OTHER_GRID)) == [OTHER_GRID]
    assert picks(tree(admin, q="%")) == [] and "没有匹配的区域" in tree(admin, q="%")
    assert tree(admin, q="") == ""


def test_a_grid_worker_sees_and_submits_only_their_own_subtree(
        make_client: Callable[..., TestClient]) -> None:
    worker = make_client("community", "grid_worker")
    top = tree(worker)
    assert picks(top) == [OWN_GRID] and expandable(top) == []
    assert picks(tree(worker, q="网格")) == [OWN_GRID]
    assert picks(tree(worker, q=OTHER_GRID)) == []
    for outside in (DISTRICT, STREET, OTHER_GRID):
        assert worker.get("/nodes/tree", params={"level": "grid", "parent": outside}
                          ).status_code == 404
    assert worker.get("/nodes/tree", params={"level": "planet"}).status_code == 404
    assert worker.get("/nodes/tree", params={"for": "x\" onclick=\"1"}).status_code == 404

    form = worker.get("/registers/organization/new").text
    options = re.findall(r'<option value="(\w+)"', form.split('id="in-node"')[1].split("</select>")[0])
    assert options == [OWN_GRID], "the plain select offers only the worker's grid"
    sent = worker.post("/registers/organization/new",
                       data={"csrf": token(worker), "node": OTHER_GRID, "org_name": "某商铺"})
    assert sent.status_code == 422
    assert re.search(r'id="error-node">不在您的管辖范围内<', sent.text)


def test_a_large_scope_gets_a_code_input_that_still_validates(
        make_client: Callable[..., TestClient]) -> None:
    admin = make_client("community", "admin")
    form = admin.get("/registers/organization/new").text
    assert re.search(r'<input id="in-node" name="node" class="tree-value" value=""', form)
    assert "输入区域编码" in form and 'aria-controls="in-node-panel"' in form
    sent = admin.post("/registers/organization/new",
                      data={"csrf": token(admin), "node": STREET, "org_name": "某商铺"})
    assert re.search(r'id="error-node">层级不符<', sent.text)
    assert f'class="tree-value" value="{STREET}"' in sent.text, "what was typed is kept"
    again = admin.post("/registers/organization/new",
                       data={"csrf": token(admin), "node": OWN_GRID, "org_name": "某商铺"})
    assert '<output class="tree-chosen">第一网格</output>' in again.text
    assert 'id="error-node"' not in again.text


def _with_place_field(deployment: Deployment) -> Deployment:
    """The deployment with a community-level `node` field on its organisation form."""
    register = deployment.registers["organization"]
    place = FieldSpec(name="place", type="node", level="community")
    changed = register.model_copy(update={"fields": [*register.fields, place]})
    return deployment.model_copy(update={"registers": {**deployment.registers,
                                                       "organization": changed}})


def test_a_node_field_offers_and_accepts_only_nodes_in_scope_at_its_level(
        tmp_path: Path, seeded: Callable[[str], Path],
        deployments: dict[str, Deployment]) -> None:
    shutil.copy(seeded("community"), tmp_path / "db.sqlite3")
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    try:
        client = TestClient(create_app(runtime_of(_with_place_field(deployments["community"])),
                                       engine=engine, secret="s" * 32, data_dir=tmp_path))
        sign_in(client, "community_worker")
        form = client.get("/registers/organization/new").text
        field = form.split('id="field-place"')[1].split('id="field-', 1)[0]
        assert 'class="tree-picker" data-level="community"' in field
        assert re.findall(r'<option value="(\w+)"', field) == [COMMUNITY]
        assert "level=community&amp;for=in-place" in field
        for code, message in (("330106001002", "不在您的管辖范围内"), (OWN_GRID, "层级不符")):
            sent = client.post("/registers/organization/new", data={
                "csrf": token(client), "node": OWN_GRID, "org_name": "某商铺", "place": code})
            assert sent.status_code == 422
            assert re.search(rf'id="error-place">{message}<', sent.text)
        picked = client.get("/nodes/tree", params={"level": "community", "for": "in-place"})
        assert picks(picked.text) == [COMMUNITY] and "in-place-sub-" not in picked.text
    finally:
        engine.dispose()
