"""The records API's contract: who may call, the JSON shapes, scope, and the
statuses a refusal answers with — 401, 403, 404, 409, 422 — changing nothing when refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from api_support import HttpWorld
from sqlalchemy import func, insert, select
from workflow_scripts import SCRIPTS, values_for

from gridwork.demo.demo_values import DemoValues

COMMUNITY = SCRIPTS["community"]


def _count(world: HttpWorld, table: str, **where: Any) -> int:
    t = world.schema.system(table) if table in ("history", "outbox") else world.schema.table(table)
    with world.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t).where(
            *(t.c[k] == v for k, v in where.items()))).scalar_one())


def _report(world: HttpWorld, **changes: Any) -> dict[str, Any]:
    values = {**values_for(world, COMMUNITY), **changes}
    response = world.post(COMMUNITY.reporter, "/registers/event/records",
                          {"node": world.at["grid"], "values": values})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def community(http: Callable[..., HttpWorld]) -> HttpWorld:
    """The community deployment as shipped (auto-dispatch on), over HTTP."""
    return http("community")


def test_calls_without_a_valid_token_are_refused_with_401(community: HttpWorld) -> None:
    client = community.client
    assert client is not None
    for headers in ({}, {"Authorization": "Basic Z3JpZDpkZW1v"},
                    {"Authorization": "Bearer gw_not-a-token"}, {"Authorization": "Bearer "},
                    {"Authorization": community.tokens["grid_worker"]}):  # type: ignore[index]
        for method, path in (("GET", "/me"), ("GET", "/queues"),
                             ("GET", "/registers/event/records"),
                             ("POST", "/registers/event/records"),
                             ("POST", "/registers/event/records/1/actions/accept")):
            response = client.request(method, f"/api/v1{path}", headers=headers, json={})
            assert response.status_code == 401, (method, path, headers)
            assert set(response.json()) == {"error"}
            assert response.headers["www-authenticate"].startswith("Bearer")


def test_me_names_the_caller_their_roles_and_nodes(community: HttpWorld) -> None:
    grid = community.at["grid"]
    body = community.get("grid_worker", "/me").json()
    name = next(n.name for n in community.deployment.nodes if n.code == grid)
    assert (body["username"], body["roles"]) == ("grid_worker", ["grid_worker"])
    assert body["nodes"] == [{"code": grid, "name": name, "level": "grid"}]
    staff = community.get("dept_staff@ldbz", "/me").json()
    assert (staff["roles"], staff["nodes"]) == (["dept_staff"], [])
    assert [d["code"] for d in staff["departments"]] == ["ldbz"]


def test_register_describes_its_form(community: HttpWorld) -> None:
    body = community.get("grid_worker", "/registers/event").json()
    spec = community.deployment.registers["event"]
    assert (body["name"], body["workflow"], body["label"]) == (
        "event", spec.workflow, spec.label.text(community.deployment.about.locale))
    fields = {f["name"]: f for f in body["fields"]}
    assert list(fields) == [f.name for f in spec.fields]
    assert {n for n, f in fields.items() if f["required"]} == {
        f.name for f in spec.fields if f.required}
    choices = [f for f in body["fields"] if f["type"] in ("choice", "multichoice")]
    assert choices and all(f["choices"] and set(f["choices"][0]) == {"value", "label"}
                           for f in choices)
    assert {c["value"] for c in body["categories"]} >= {COMMUNITY.values["category"]}
    assert community.get("grid_worker", "/registers/nonsense").status_code == 404
    # dept_staff may view events only: other registers do not exist for them.
    assert community.get("dept_staff@ldbz", "/registers/resident").status_code == 404


def test_new_record_answers_201_with_its_state_version_and_actions(
        community: HttpWorld) -> None:
    body = _report(community)
    assert (body["register"], body["node"], body["version"]) == (
        "event", community.at["grid"], 1)
    assert (body["state"], body["department"]) == ("accepting", COMMUNITY.department)
    assert body["values"]["title"] == COMMUNITY.values["title"]
    assert [h["action"] for h in body["history"]] == ["create", "dispatch"]
    assert body["history"][0]["actor"] == "grid_worker" and body["history"][1]["actor"] is None
    version = community.deployment.source_hash[:12]
    assert [h["config"] for h in body["history"]] == [version, version]
    staff = community.get("dept_staff@ldbz", f"/registers/event/records/{body['id']}").json()
    assert {a["name"] for a in staff["actions"]} >= {"accept", "reject"}
    assert all(set(a) == {"name", "label", "to", "require", "optional"}
               for a in staff["actions"])


def test_bad_new_record_answers_422_with_errors_by_field(community: HttpWorld) -> None:
    before = _count(community, "event")
    values = {**values_for(community, COMMUNITY), "title": "", "category": "no_such_thing",
              "bogus": 1}
    response = community.post("grid_worker", "/registers/event/records",
                              {"node": community.at["grid"], "values": values})
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert set(response.json()) == {"errors"}
    assert {"title", "category", "bogus"} <= set(errors)
    assert all(isinstance(m, list) and m and all(isinstance(t, str) for t in m)
               for m in errors.values())
    missing = community.post("grid_worker", "/registers/event/records", {"values": {}})
    assert (missing.status_code, list(missing.json()["errors"])) == (422, ["node"])
    assert _count(community, "event") == before


def test_new_record_outside_scope_or_role_answers_403(community: HttpWorld) -> None:
    before = _count(community, "event")
    values = values_for(community, COMMUNITY)
    for who, node in (("grid_worker", community.far["grid"]),
                      ("dept_staff@ldbz", community.at["grid"])):
        response = community.post(who, "/registers/event/records",
                                  {"node": node, "values": values})
        assert response.status_code == 403, (who, response.text)
    assert _count(community, "event") == before


def test_lists_are_scoped_filtered_and_paged(community: HttpWorld) -> None:
    made = [_report(community)["id"] for _ in range(3)]
    mine = community.get("grid_worker", "/registers/event/records").json()
    assert set(mine) >= {"items", "total"} and mine["total"] >= 3
    assert set(made) <= {item["id"] for item in mine["items"]}
    assert all(item["node"] == community.at["grid"] for item in mine["items"])
    far = community.get("grid_worker_far", "/registers/event/records").json()
    assert not set(made) & {item["id"] for item in far["items"]}
    filtered = community.get("community_worker", "/registers/event/records", state="accepting",
                             category="dispute", node=community.at["grid"]).json()
    assert set(made) <= {item["id"] for item in filtered["items"]}
    assert all(item["state"] == "accepting" and item["category"].startswith("dispute")
               for item in filtered["items"])
    empty = community.get("grid_worker", "/registers/event/records", state="archived",
                          page="1000").json()
    assert (empty["items"], empty["page"]) == ([], 1000)
    bad = community.get("grid_worker", "/registers/event/records", state="nope",
                        category="nope", node="nope", page="0")
    assert bad.status_code == 422
    assert set(bad.json()["errors"]) == {"state", "category", "node", "page"}


def test_record_outside_scope_or_unknown_answers_404(community: HttpWorld) -> None:
    record = _report(community)
    path = f"/registers/event/records/{record['id']}"
    for who in ("grid_worker_far", "dept_staff@sqjwh", "community_worker_far"):
        assert community.get(who, path).status_code == 404
    assert community.get("grid_worker", "/registers/event/records/999999").status_code == 404
    seen = community.get("grid_worker", path).json()
    assert set(seen) >= {"id", "register", "node", "values", "state", "version", "history",
                         "actions"}
    assert all(set(h) >= {"at", "actor", "action", "from", "to", "comment"}
               for h in seen["history"])


def test_stale_version_answers_409_and_changes_nothing(community: HttpWorld) -> None:
    record = _report(community)
    path = f"/registers/event/records/{record['id']}/actions"
    accepted = community.post("dept_staff@ldbz", f"{path}/accept",
                              {"version": record["version"], "values": {}})
    assert accepted.status_code == 200 and accepted.json()["state"] == "handling"
    rows = _count(community, "history", register="event", record=record["id"])
    stale = community.post("dept_staff@ldbz", f"{path}/feedback",
                           {"version": record["version"], "values": {"result": "done"}})
    assert (stale.status_code, set(stale.json())) == (409, {"error"})
    assert _count(community, "history", register="event", record=record["id"]) == rows
    again = community.get("dept_staff@ldbz", f"/registers/event/records/{record['id']}").json()
    assert (again["state"], again["version"]) == ("handling", accepted.json()["version"])


def test_missing_or_bad_action_fields_answer_422(community: HttpWorld) -> None:
    record = _report(community)
    path = f"/registers/event/records/{record['id']}/actions"
    accepted = community.post("dept_staff@ldbz", f"{path}/accept",
                              {"version": record["version"]}).json()
    rows = _count(community, "history", register="event", record=record["id"])
    missing = community.post("dept_staff@ldbz", f"{path}/feedback",
                             {"version": accepted["version"], "values": {}})
    assert missing.status_code == 422 and set(missing.json()["errors"]) == {"result"}
    no_version = community.post("dept_staff@ldbz", f"{path}/feedback",
                                {"values": {"result": "done"}, "comment": 3})
    assert no_version.status_code == 422
    assert set(no_version.json()["errors"]) == {"version", "comment"}
    assert community.client is not None
    not_json = community.client.post(f"/api/v1{path}/feedback", content=b"{nope",
                                     headers={"Authorization": "Bearer " + community.tokens[
                                         "dept_staff@ldbz"]})  # type: ignore[index]
    assert not_json.status_code == 400
    assert _count(community, "history", register="event", record=record["id"]) == rows


def test_queues_count_what_waits_for_the_caller(community: HttpWorld) -> None:
    def counts() -> dict[str, int]:
        found = community.get("dept_staff@ldbz", "/queues").json()
        assert found and all(set(q) >= {"name", "label", "count"} for q in found)
        return {q["name"]: q["count"] for q in found}

    before = counts()
    _report(community)
    after = counts()
    assert after["to_accept"] == before["to_accept"] + 1
    assert {k: v for k, v in after.items() if k != "to_accept"} == {
        k: v for k, v in before.items() if k != "to_accept"}
    assert "to_dispatch" not in after


def test_a_reference_outside_the_callers_scope_is_a_field_error(
        http: Callable[..., HttpWorld]) -> None:
    world = http("environment")
    script = SCRIPTS["environment"]
    source = world.deployment.registers["pollution_source"]
    level = source.attach_to or world.deployment.hierarchy.levels[-1].key
    demo = DemoValues(world.deployment, seed=7)
    table, nodes = world.schema.table("pollution_source"), world.schema.system("nodes")
    ids = {}
    with world.engine.begin() as conn:
        for where in ("near", "far"):
            code = (world.at if where == "near" else world.far)[level]
            row: dict[str, Any] = {
                "node": conn.execute(select(nodes.c.id).where(nodes.c.code == code)).scalar(),
                "created_at": world.clock.now, "updated_at": world.clock.now, "version": 1}
            for spec in source.fields:
                if spec.computed is None and spec.show_if is None and spec.type not in (
                        "reference", "node", "user"):
                    value = demo.value(spec, code)
                    if spec.type == "geo_point":
                        row |= {f"{spec.name}_lat": value[0], f"{spec.name}_lon": value[1]}
                    else:
                        row[spec.name] = value
            ids[where] = conn.execute(insert(table).values(row).returning(table.c.id)
                                      ).scalar_one()
    before = _count(world, "pollution_event")
    values = values_for(world, script)
    home = world.at[world.deployment.registers["pollution_event"].attach_to
                    or world.deployment.hierarchy.levels[-1].key]
    refused = world.post(script.reporter, "/registers/pollution_event/records",
                         {"node": home, "values": {**values, "source_ref": ids["far"]}})
    assert refused.status_code == 422 and list(refused.json()["errors"]) == ["source_ref"]
    assert refused.json()["errors"]["source_ref"] == ["not within your area"]
    assert _count(world, "pollution_event") == before
    taken = world.post(script.reporter, "/registers/pollution_event/records",
                       {"node": home, "values": {**values, "source_ref": ids["near"]}})
    assert taken.status_code == 201 and taken.json()["values"]["source_ref"] == ids["near"]


def test_unknown_paths_and_methods_answer_json(community: HttpWorld) -> None:
    client = community.client
    assert client is not None
    missing = client.get("/api/v1/nothing/here")
    assert (missing.status_code, set(missing.json())) == (404, {"error"})
    wrong = client.delete("/api/v1/registers/event/records")
    assert (wrong.status_code, set(wrong.json())) == (405, {"error"})
    assert "POST" in wrong.headers["allow"]


def test_personal_values_are_masked_for_roles_without_unmask(community: HttpWorld) -> None:
    record = _report(community, party_a_phone="13812345678")
    path = f"/registers/event/records/{record['id']}"
    assert record["values"]["party_a_phone"] == "13812345678"
    staff = community.get("dept_staff@ldbz", path).json()["values"]["party_a_phone"]
    assert staff != "13812345678" and staff.endswith("5678") and "*" in staff
    listed = community.get("dept_staff@ldbz", "/registers/event/records").json()["items"]
    assert "13812345678" not in str(listed)


def test_plain_registers_take_new_records_with_the_same_checks(community: HttpWorld) -> None:
    """A register without a workflow (辖区单位) is kept through the API as through its form:
    scope, fields and unique values checked, nothing stored on a refusal."""
    shop = {"org_name": "东风便利店", "credit_code": "91110000600037341L", "kind": "shop",
            "phone": "13912345678", "address": "东风路 8 号", "risk_grade": "3"}
    path, grid = "/registers/organization/records", community.at["grid"]
    before = _count(community, "organization")
    made = community.post("grid_worker", path, {"node": grid, "values": shop})
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["node"], body["values"]["org_name"], body["values"]["key_supervision"]) == (
        grid, "东风便利店", False)
    assert [(h["action"], h["actor"]) for h in body["history"]] == [("create", "grid_worker")]
    assert body["actions"] == []
    again = community.post("grid_worker", path, {"node": grid, "values": {
        **shop, "org_name": "东风便利店二号", "phone": "12"}})
    assert again.status_code == 422
    assert set(again.json()["errors"]) == {"credit_code", "phone"}
    elsewhere = community.post("grid_worker", path, {"node": community.far["grid"],
                                                     "values": {**shop, "credit_code": ""}})
    assert elsewhere.status_code == 403
    assert _count(community, "organization") == before + 1
    listed = community.get("grid_worker", path).json()
    assert body["id"] in [item["id"] for item in listed["items"]]


def test_an_action_changes_only_the_values_it_asks_for(community: HttpWorld) -> None:
    """accept asks for nothing: a title, an assignee or another department sent with it is
    refused field by field (422) and nothing changes, so an action cannot do an edit or a
    dispatch the caller's role may not."""
    record = _report(community)
    path = f"/registers/event/records/{record['id']}"
    refused = community.post(COMMUNITY.handler, f"{path}/actions/accept", {
        "version": record["version"],
        "values": {"title": "HIJACKED", "assignee": "admin", "department": "zzzx"}})
    assert refused.status_code == 422
    assert set(refused.json()["errors"]) == {"title", "assignee", "department"}
    assert community.get(COMMUNITY.reporter, path).json()["values"]["title"] == \
        record["values"]["title"]
    taken = community.post(COMMUNITY.handler, f"{path}/actions/accept",
                           {"version": record["version"], "values": {}})
    assert taken.status_code == 200 and taken.json()["state"] != record["state"]
