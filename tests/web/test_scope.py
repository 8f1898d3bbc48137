"""Scope: a user sees and touches only the records of their subtree, by URL, filter or export."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import insert, select
from starlette.testclient import TestClient
from web_support import token

from gridwork.hierarchy import in_subtree
from gridwork.web.records import row_values
from gridwork.web.site import Site
from gridwork.web.widgets import id_codes, mask, state_from_record


def _site(client: TestClient) -> Site:
    site: Site = client.app.state.site  # type: ignore[attr-defined]
    return site


def _outside_and_inside(client: TestClient, register: str, grid_code: str) -> tuple[int, int]:
    """A record outside the grid ``grid_code``'s subtree and one inside it."""
    site = _site(client)
    table, nodes = site.schema.table(register), site.schema.system("nodes")
    path = site.node_by_code(grid_code).path  # type: ignore[union-attr]
    inside = in_subtree(nodes.c.path, path)
    query = select(table.c.id).join(nodes, nodes.c.id == table.c.node)
    with site.engine.connect() as conn:
        out = conn.execute(query.where(~inside).limit(1)).scalar_one()
        own = conn.execute(query.where(inside).limit(1)).scalar_one()
    return out, own


def _home(client: TestClient, username: str = "grid_worker") -> str:
    """The code of the node a demo user's grant sits at."""
    site = _site(client)
    grants, users = site.schema.system("grants"), site.schema.system("users")
    with site.engine.connect() as conn:
        node = conn.execute(select(grants.c.node).join(users, users.c.id == grants.c.user)
                            .where(users.c.username == username)).scalar_one()
    return site.nodes()[node].code


def test_a_record_of_another_grid_is_404_by_url(make_client: Callable[..., TestClient]) -> None:
    client = make_client("community", "grid_leader")
    other, own = _outside_and_inside(client, "event", _home(client, "grid_leader"))
    assert client.get(f"/registers/event/{own}").status_code == 200
    for path in (f"{other}", f"{other}/edit", f"{other}/photos/{'0' * 64}.png"):
        assert client.get(f"/registers/event/{path}").status_code == 404
    posted = client.post(f"/registers/event/{other}/edit", data={"csrf": token(client)})
    assert posted.status_code == 404


def test_a_filter_cannot_reach_outside_the_scope(make_client: Callable[..., TestClient]) -> None:
    client = make_client("community", "grid_worker")
    site = _site(client)
    other_grid = next(n.code for n in site.nodes().values()
                      if n.level == "grid" and n.code != _home(client))
    listing = client.get(f"/registers/event?node={other_grid}")
    assert "共 0 条" in listing.text
    assert other_grid not in client.get("/registers/event").text


def test_export_is_scoped(make_client: Callable[..., TestClient]) -> None:
    leader = make_client("community", "grid_leader")
    home = _home(leader, "grid_leader")
    rows = leader.get("/registers/event/export.csv?raw=1").content.decode("utf-8-sig").splitlines()
    assert len(rows) > 1
    assert all(row.split(",")[1].startswith(home) for row in rows[1:])
    other, _ = _outside_and_inside(leader, "event", home)
    assert all(row.split(",")[0] != str(other) for row in rows[1:])


def test_roles_limit_registers_and_verbs(make_client: Callable[..., TestClient]) -> None:
    staff = make_client("community", "dept_staff")
    assert staff.get("/registers/resident").status_code == 404  # may view only some registers
    assert staff.get("/registers/event").status_code == 200
    assert staff.get("/registers/event/new").status_code == 403
    head = make_client("community", "building_head")
    assert head.get("/registers/resident/new").status_code == 403
    assert head.get("/registers/event/export.csv").status_code == 403
    assert head.get("/registers/event/new").status_code == 200


def test_personal_data_is_masked_without_unmask(make_client: Callable[..., TestClient]) -> None:
    worker = make_client("community", "grid_worker")
    site = _site(worker)
    table = site.schema.table("resident")
    path = site.node_by_code(_home(worker)).path  # type: ignore[union-attr]
    nodes = site.schema.system("nodes")
    with site.engine.connect() as conn:
        row = conn.execute(select(table.c.id, table.c.id_card)
                           .join(nodes, nodes.c.id == table.c.node).where(in_subtree(nodes.c.path, path), table.c.id_card.is_not(None))
                           .limit(1)).one()
    assert row.id_card in worker.get(f"/registers/resident/{row.id}").text
    officer = make_client("community", "street_officer")  # may view, may not unmask
    page = officer.get(f"/registers/resident/{row.id}")
    assert page.status_code == 200
    assert row.id_card not in page.text
    assert row.id_card[:3] + "*" * 11 + row.id_card[-4:] in page.text


def test_personal_data_stays_masked_and_unchanged_in_an_edit(
        make_client: Callable[..., TestClient]) -> None:
    inspector = make_client("safety", "grid_inspector")  # may edit enterprises, not unmask
    site = _site(inspector)
    table = site.schema.table("enterprise")
    path = site.node_by_code(_home(inspector, "grid_inspector")).path  # type: ignore[union-attr]
    nodes = site.schema.system("nodes")
    with site.engine.connect() as conn:
        row = conn.execute(select(table).join(nodes, nodes.c.id == table.c.node)
                           .where(in_subtree(nodes.c.path, path)).limit(1)).one()
        state = state_from_record(site, "enterprise", row_values(site, "enterprise", row),
                                  id_codes(conn, site))
    page = inspector.get(f"/registers/enterprise/{row.id}/edit").text
    assert row.phone not in page and ' name="phone"' not in page
    assert mask(row.phone) in page
    form = {**state, "phone": "13900000000", "address": "新地址 1 号", "csrf": token(inspector),
            "node": site.nodes()[row.node].code, "version": str(row.version)}
    form.pop("location_lat", None), form.pop("location_lon", None)
    saved = inspector.post(f"/registers/enterprise/{row.id}/edit", data=form,
                           follow_redirects=False)
    assert saved.status_code == 303, saved.text
    with site.engine.connect() as conn:
        after = conn.execute(select(table.c.phone, table.c.address)
                             .where(table.c.id == row.id)).one()
    assert after.phone == row.phone and after.address == "新地址 1 号"


def test_a_view_only_grant_does_not_widen_where_a_user_may_edit(
        make_client: Callable[..., TestClient]) -> None:
    """A grid worker who also holds street_officer (view only) at the street sees its
    organisations but edits only those of their own grid: each verb is checked against the
    areas of the grants whose role holds it."""
    client = make_client("community", "grid_worker")
    site = _site(client)
    grid = site.node_by_code(_home(client))
    assert grid is not None
    street = next(n for n in site.nodes().values()
                  if n.level == "street" and grid.path.startswith(n.path))
    users, grants = site.schema.system("users"), site.schema.system("grants")
    table, nodes = site.schema.table("organization"), site.schema.system("nodes")
    with site.engine.begin() as conn:
        worker = conn.execute(select(users.c.id).where(users.c.username == "grid_worker")
                              ).scalar_one()
        conn.execute(insert(grants).values(user=worker, role="street_officer", node=street.id,
                                           scope="subtree"))
        other = conn.execute(select(table.c.id).join(nodes, nodes.c.id == table.c.node).where(
            in_subtree(nodes.c.path, street.path), ~in_subtree(nodes.c.path, grid.path))
            .limit(1)).scalar_one()
    client = make_client("community", "grid_worker")  # signs in again with both grants
    assert client.get(f"/registers/organization/{other}").status_code == 200
    assert client.get(f"/registers/organization/{other}/edit").status_code == 404
    posted = client.post(f"/registers/organization/{other}/edit", data={"csrf": token(client)})
    assert posted.status_code == 404
