"""Generated forms: validation with every value kept, show_if, computed fields, photos, history."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select, update
from starlette.testclient import TestClient
from web_support import PNG, token

from gridwork.web.site import Site


def _site(client: TestClient) -> Site:
    site: Site = client.app.state.site  # type: ignore[attr-defined]
    return site


def _count(client: TestClient, register: str) -> int:
    site = _site(client)
    with site.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(site.schema.table(register))
                                ).scalar_one())


def _grid(client: TestClient) -> str:
    found = re.search(r'<option value="(\w+)" selected>', client.get("/registers/event/new").text)
    assert found, "the only grid in scope is not preselected"
    return found.group(1)


def _event(client: TestClient, **values: Any) -> dict[str, Any]:
    return {"csrf": token(client), "node": _grid(client), "category": "dispute_neighbour",
            "title": "楼上漏水", "description": "楼上漏水到楼下", "source": "patrol",
            "address": "一单元 302", **values}


def test_errors_keep_every_typed_value_and_store_nothing(
        make_client: Callable[..., TestClient]) -> None:
    client = make_client("community", "grid_worker")
    before = _count(client, "event")
    form = _event(client, title="", party_a="张三", party_a_phone="12345", location_lat="95",
                  location_lon="120.1", satisfaction="2")
    response = client.post("/registers/event/new", data=form)
    assert response.status_code == 422
    assert _count(client, "event") == before
    page = response.text
    assert "请修改标出的字段" in page
    assert re.search(r'id="field-title".*?<p class="error" id="error-title">必填</p>', page, re.DOTALL)
    assert re.search(r'id="field-party_a_phone".*?电话号码', page, re.DOTALL)
    assert re.search(r'id="field-location".*?纬度须在', page, re.DOTALL)
    for kept in ('value="张三"', 'value="12345"', 'value="95"', "楼上漏水到楼下"):
        assert kept in page
    # The revisit's satisfaction is no field of the new-record form, whatever is posted.
    assert 'name="satisfaction"' not in page and "computed-satisfaction_score" not in page


def test_a_valid_form_is_stored_with_history_and_shown(
        make_client: Callable[..., TestClient]) -> None:
    client = make_client("community", "grid_worker")
    form = _event(client, party_a="张三", location_lat="30.2915", location_lon="120.036",
                  occurred_at="2026-11-25T09:30")
    response = client.post("/registers/event/new", data=form,
                           files=[("photos", ("scene.png", PNG, "image/png"))],
                           follow_redirects=False)
    assert response.status_code == 303
    path = response.headers["location"]
    record_id = int(path.rsplit("/", 1)[1])
    page = client.get(path).text
    assert "楼上漏水" in page and "张三" in page and "2026-11-25 09:30" in page
    photo = re.search(r'src="(/registers/event/\d+/photos/[0-9a-f]{64}\.png)"', page)
    assert photo
    assert client.get(photo.group(1)).content == PNG
    site = _site(client)
    history = site.schema.system("history")
    table = site.schema.table("event")
    with site.engine.connect() as conn:
        row = conn.execute(select(table).where(table.c.id == record_id)).one()
        actions = conn.execute(select(history.c.action).where(
            history.c.register == "event", history.c.record == record_id)).scalars().all()
    assert row.state == "accepting"  # created in the initial state, then dispatched
    assert row.category == "dispute_neighbour" and row.location_lat == 30.2915
    assert actions == ["create", "dispatch"]
    listing = client.get("/registers/event?q=楼上漏水").text
    assert f'href="/registers/event/{record_id}"' in listing


def test_hidden_fields_drop_their_values(make_client: Callable[..., TestClient]) -> None:
    client = make_client("community", "grid_worker")
    form = _event(client, category="livelihood", party_a="张三")
    response = client.post("/registers/event/new", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
    record_id = int(response.headers["location"].rsplit("/", 1)[1])
    site = _site(client)
    table = site.schema.table("event")
    with site.engine.connect() as conn:
        assert conn.execute(select(table.c.party_a).where(table.c.id == record_id)
                            ).scalar() is None


def test_photos_are_judged_by_content_and_size(make_client: Callable[..., TestClient]) -> None:
    client = make_client("community", "grid_worker")
    fake = ("scene.jpg", b"<html>not an image</html>", "image/jpeg")
    response = client.post("/registers/event/new", data=_event(client),
                           files=[("photos", fake)])
    assert response.status_code == 422
    assert "只接受 JPEG、PNG 或 WebP 图片" in response.text
    huge = ("big.png", PNG + b"\0" * (5 * 1024 * 1024), "image/png")
    response = client.post("/registers/event/new", data=_event(client),
                           files=[("photos", huge)])
    assert "超过 5MB" in response.text


def test_a_photo_is_kept_across_a_failed_submit(make_client: Callable[..., TestClient]) -> None:
    client = make_client("community", "grid_worker")
    failed = client.post("/registers/event/new", data=_event(client, title=""),
                         files=[("photos", ("scene.png", PNG, "image/png"))])
    kept = re.search(r'name="photos" value="([0-9a-f]{64}\.png)" checked', failed.text)
    assert kept
    assert f'src="/uploads/{kept.group(1)}"' in failed.text
    assert client.get(f"/uploads/{kept.group(1)}").content == PNG
    other = make_client("community", "grid_leader")
    assert other.get(f"/uploads/{kept.group(1)}").status_code == 404
    response = client.post("/registers/event/new", data=_event(client, photos=kept.group(1)),
                           follow_redirects=False)
    assert response.status_code == 303
    assert kept.group(1) in client.get(response.headers["location"]).text


def test_show_if_and_computed_follow_the_inputs(make_client: Callable[..., TestClient]) -> None:
    client = make_client("community", "grid_worker")
    headers = {"X-CSRF-Token": token(client)}
    dispute = client.post("/registers/event/form", headers=headers,
                          data={"category": "dispute_neighbour", "satisfaction": "1"}).text
    hidden = re.search(r'data-hidden="([^"]*)"', dispute).group(1).split()  # type: ignore[union-attr]
    assert "party_a" not in hidden and "injured" in hidden
    assert 'id="computed-satisfaction_score" class="computed" hx-swap-oob="true">100<' in dispute
    other = client.post("/registers/event/form", headers=headers,
                        data={"category": "livelihood"}).text
    assert "party_a" in re.search(r'data-hidden="([^"]*)"', other).group(1).split()  # type: ignore[union-attr]
    blank = client.get("/registers/event/new").text
    assert re.search(r'id="field-party_a" data-name="party_a" hidden', blank)


def test_one_field_is_checked_on_its_own(make_client: Callable[..., TestClient]) -> None:
    client = make_client("community", "grid_worker")
    headers = {"X-CSRF-Token": token(client)}
    bad = client.post("/registers/event/field/title", headers=headers, data={"title": ""})
    assert bad.status_code == 200
    assert bad.text.lstrip().startswith('<div class="field invalid" id="field-title"')
    assert "必填" in bad.text and "field-description" not in bad.text
    good = client.post("/registers/event/field/title", headers=headers, data={"title": "好"})
    assert 'class="error"' not in good.text
    assert client.post("/registers/event/field/nope", headers=headers).status_code == 404


def test_a_node_outside_the_scope_is_refused(make_client: Callable[..., TestClient]) -> None:
    client = make_client("community", "grid_worker")
    other = next(n.code for n in _site(client).nodes().values()
                 if n.level == "grid" and n.code != _grid(client))
    response = client.post("/registers/event/new", data=_event(client, node=other))
    assert response.status_code == 422
    assert "不在您的管辖范围内" in response.text


def test_editing_writes_what_changed(make_client: Callable[..., TestClient]) -> None:
    client = make_client("community", "grid_leader")
    created = client.post("/registers/event/new", data=_event(client), follow_redirects=False,
                          files=[("photos", ("scene.png", PNG, "image/png"))])
    path = created.headers["location"]
    form_page = client.get(path + "/edit").text
    assert 'value="楼上漏水"' in form_page
    photo = re.search(rf'src="{path}/photos/([0-9a-f]{{64}}\.png)"', form_page)
    assert photo
    version = re.search(r'name="version" value="(\d+)"', form_page)
    assert version
    edited = client.post(path + "/edit", data=_event(client, title="楼上漏水已修",
                                                    photos=photo.group(1), severity="general",
                                                    version=version.group(1)),
                         follow_redirects=False)
    assert edited.status_code == 303 and edited.headers["location"] == path
    site = _site(client)
    history = site.schema.system("history")
    with site.engine.connect() as conn:
        last = conn.execute(select(history).where(history.c.register == "event",
                                                  history.c.record == int(path.rsplit("/", 1)[1]))
                            .order_by(history.c.id.desc())).first()
    assert last is not None and last.action == "edit"
    assert last.before == {"title": "楼上漏水"} and last.after == {"title": "楼上漏水已修"}
    assert "楼上漏水已修" in client.get(path).text


def test_an_edit_keeps_the_handling_fields_it_does_not_show(
        make_client: Callable[..., TestClient]) -> None:
    """A handling result belongs to the action that sets it: the edit form neither shows
    it nor takes it from a hand-made post, and saving an edit keeps the stored one."""
    client = make_client("community", "grid_leader")
    path = client.post("/registers/event/new", data=_event(client),
                       follow_redirects=False).headers["location"]
    site, record_id = _site(client), int(path.rsplit("/", 1)[1])
    table = site.schema.table("event")
    with site.engine.begin() as conn:
        conn.execute(update(table).where(table.c.id == record_id).values(
            result="已协调物业修好水管", satisfaction="1", satisfaction_score=100))
    form_page = client.get(path + "/edit").text
    assert 'name="title"' in form_page
    assert 'name="result"' not in form_page and 'name="satisfaction"' not in form_page
    version = re.search(r'name="version" value="(\d+)"', form_page)
    assert version
    edited = client.post(path + "/edit", data=_event(
        client, title="楼上漏水已修", result="改写的结果", satisfaction="3",
        severity="general", version=version.group(1)), follow_redirects=False)
    assert edited.status_code == 303, edited.text
    with site.engine.connect() as conn:
        row = conn.execute(select(table).where(table.c.id == record_id)).one()
    assert (row.title, row.result, row.satisfaction, row.satisfaction_score) == (
        "楼上漏水已修", "已协调物业修好水管", "1", 100)


def test_a_photo_name_from_elsewhere_is_not_attached(
        make_client: Callable[..., TestClient]) -> None:
    """Photo references a form sends back are kept only if this session uploaded them or
    the record already holds them: a known name of someone else's photo attaches nothing."""
    leader = make_client("community", "grid_leader")
    created = leader.post("/registers/event/new", data=_event(leader), follow_redirects=False,
                          files=[("photos", ("scene.png", PNG, "image/png"))])
    path = created.headers["location"]
    photo = re.search(rf'{path}/photos/([0-9a-f]{{64}}\.png)', leader.get(path).text)
    assert photo
    worker = make_client("community", "grid_worker")
    made = worker.post("/registers/event/new", data=_event(worker, photos=photo.group(1)),
                       follow_redirects=False)
    assert made.status_code == 303
    mine = worker.get(made.headers["location"]).text
    assert photo.group(1) not in mine
    assert worker.get(f"{made.headers['location']}/photos/{photo.group(1)}").status_code == 404


def test_a_unique_value_already_taken_is_a_field_message(
        make_client: Callable[..., TestClient]) -> None:
    """辖区单位 are unique by credit code: a second one with the same code re-renders with
    the message at that field, in the deployment's language, and stores nothing."""
    client = make_client("community", "grid_worker")
    shop = {"csrf": token(client), "node": _grid(client), "org_name": "东风便利店",
            "credit_code": "91110000600037341L", "kind": "shop", "phone": "13912345678",
            "address": "东风路 8 号", "risk_grade": "3"}
    first = client.post("/registers/organization/new", data=shop, follow_redirects=False)
    assert first.status_code == 303, first.text
    before = _count(client, "organization")
    again = client.post("/registers/organization/new", data={**shop, "org_name": "东风二店"})
    assert again.status_code == 422
    assert "已被其他记录使用" in again.text and 'value="东风二店"' in again.text
    assert _count(client, "organization") == before
