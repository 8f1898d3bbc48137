"""Every page of every shipped deployment renders for a user who may see it."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import pytest
from openpyxl import load_workbook
from starlette.testclient import TestClient
from support import SHIPPED

from gridwork.auth import User, may
from gridwork.config import Deployment
from gridwork.hierarchy import Grant
from gridwork.demo.seed import demo_branch

_ID = re.compile(r'href="/registers/\w+/(\d+)"')


def branch_node(deployment: Deployment, level: str) -> str:
    """The code of the demo users' node at ``level``."""
    levels = {node.code: node.level for node in deployment.nodes}
    return next(code for code in demo_branch(deployment) if levels[code] == level)


@pytest.mark.parametrize("name", SHIPPED)
def test_every_page_renders(name: str, make_client: Callable[..., TestClient],
                            deployments: dict[str, Deployment]) -> None:
    client = make_client(name, "admin")
    deployment = deployments[name]
    admin = User(0, "admin", "admin", (Grant("admin"),))
    home = client.get("/")
    assert home.status_code == 200
    assert deployment.about.title.text("zh") in home.text
    for register, spec in deployment.registers.items():
        label = spec.label.text("zh")
        listing = client.get(f"/registers/{register}")
        assert listing.status_code == 200, register
        assert label in listing.text
        record_id = _ID.search(listing.text)
        assert record_id, f"{register}: no record listed"
        assert client.get(f"/registers/{register}/{record_id.group(1)}").status_code == 200
        for path, verb in ((f"{record_id.group(1)}/edit", "edit"), ("new", "create"),
                           ("export.csv", "export")):
            allowed = may(deployment, admin, verb, register)
            got = client.get(f"/registers/{register}/{path}").status_code
            assert got == (200 if allowed else 403), (register, path)
    assert client.get("/boundaries.geojson").json()["type"] == "FeatureCollection"


def test_list_filters_sort_and_pages(make_client: Callable[..., TestClient],
                                     deployments: dict[str, Deployment]) -> None:
    client = make_client("community", "admin")
    everything = client.get("/registers/event")
    total = int(re.search(r"共 (\d+) 条", everything.text).group(1))  # type: ignore[union-attr]
    assert total > 50 and "下一页" in everything.text
    second = client.get("/registers/event?page=2")
    assert "第 2 / " in second.text
    grid = branch_node(deployments["community"], "grid")
    initial = deployments["community"].workflows["event_flow"].initial_state
    narrowed = client.get(f"/registers/event?node={grid}&state={initial}&sort=title")
    count = int(re.search(r"共 (\d+) 条", narrowed.text).group(1))  # type: ignore[union-attr]
    assert 0 < count < total
    assert client.get("/registers/event?q=zzzz-no-such-text").text.count("没有符合条件") == 1
    dated = client.get("/registers/event?from=2000-01-01&to=2000-01-02")
    assert "没有符合条件" in dated.text
    assert client.get("/registers/resident?f_gender=1&sort=-name").status_code == 200


def test_export_holds_the_filtered_list(make_client: Callable[..., TestClient],
                                        deployments: dict[str, Deployment]) -> None:
    client = make_client("community", "admin")
    grid = branch_node(deployments["community"], "grid")
    listing = client.get(f"/registers/event?node={grid}")
    count = int(re.search(r"共 (\d+) 条", listing.text).group(1))  # type: ignore[union-attr]
    csv = client.get(f"/registers/event/export.csv?node={grid}&raw=1")
    assert csv.headers["content-type"].startswith("text/csv")
    rows = csv.content.decode("utf-8-sig").strip().splitlines()
    assert rows[0].startswith("id,node,title")
    assert len(rows) == count + 1
    xlsx = client.get(f"/registers/event/export.xlsx?node={grid}")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.max_row == count + 1
    assert client.get("/registers/event/export.pdf").status_code == 404


def test_unknown_register_and_record_are_404(make_client: Callable[..., TestClient]) -> None:
    client = make_client("community", "admin")
    assert client.get("/registers/nope").status_code == 404
    assert client.get("/registers/event/999999").status_code == 404
    missing = client.get("/registers/event/999999/edit")
    assert missing.status_code == 404 and "未找到" in missing.text


def test_area_select_indents_below_the_users_own_node(
        make_client: Callable[..., TestClient]) -> None:
    page = make_client("community", "street_officer").get("/registers/event").text
    select = re.search(r'<select[^>]*name="node"[^>]*>(.*?)</select>', page, re.S)
    assert select, "the list has an area filter"
    names = re.findall(r"<option[^>]*>([^<]*)</option>", select.group(1))
    named = [n for n in names if n.strip()]
    assert "\u3000" not in "".join(names)  # full-width spaces break type-to-find
    assert not named[0].startswith("\u00a0")  # the officer's own street stands at the left
    assert any(n.startswith("\u00a0\u00a0") and not n.startswith("\u00a0" * 3) for n in named)
