"""Open311 GeoReport v2, driven by the `georeport` client from PyPI (JSON and XML) against
the community deployment served over HTTP: services from its public categories, their
definitions, a posted request that becomes an event in the grid holding its point —
dispatched, timed, in the department's queue — and read back with its status and notes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from georeport import GeoReport
from served import Served, served
from sqlalchemy import select, update
from support import CONFIGS, run_cli

from gridwork.storage import build_schema
from gridwork.workflow import queue_records
from gridwork.workflow.actors import load_user

GRID = "330106001001001"
"""The demo grid; (30.2915, 120.036) lies inside its boundary."""
POINT = {"lat": "30.2915", "long": "120.036"}
JURISDICTION = "330106"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with served("community", tmp_path_factory.mktemp("open311"), records=6) as found:
        yield found


@pytest.fixture(scope="module")
def key(server: Served) -> str:
    """An Open311 api_key, made as an administrator makes one."""
    code, out, _ = run_cli("token", "create", "admin", str(CONFIGS / "community"), "--db",
                           server.engine.url.render_as_string(hide_password=False),
                           "--name", "residents' app", "--scope", "open311")
    assert code == 0
    return out.strip().splitlines()[-1]


def _base(server: Served) -> str:
    return f"{server.url}/open311/v2"


def _post(server: Served, kind: str = "json", **fields: str) -> requests.Response:
    return requests.post(f"{_base(server)}/requests.{kind}", data=fields, timeout=30)


def test_services_and_definitions_in_json_and_xml(server: Served) -> None:
    client = GeoReport(_base(server), jurisdiction=JURISDICTION)
    services = {s["service_code"]: s for s in client.get_service_list()}
    assert "city_noise" in services and "security_theft" not in services, "public ones only"
    assert services["city_noise"]["group"] == "市容环境"
    assert services["city_noise"]["service_name"] == "噪声扰民"
    assert services["city_noise"]["metadata"] is True
    definition = client.get_service_definition("dispute_neighbour")
    attributes = {a["code"]: a for a in definition["attributes"]}
    assert attributes["title"]["required"] is True
    assert attributes["title"]["datatype"] == "string"
    assert attributes["occurred_at"]["datatype"] == "datetime"
    assert {"party_a", "party_a_phone"} <= set(attributes), "shown for disputes only"
    assert "party_a" not in {a["code"] for a in client.get_service_definition(
        "city_noise")["attributes"]}
    assert not {"description", "address", "location", "source", "photos"} & set(attributes), \
        "standard fields, fixed values and photos are not attributes"

    xml = GeoReport(_base(server), jurisdiction=JURISDICTION, output_format="xml")
    listed = {s["service_code"]: s for s in xml.get_service_list()}
    assert listed["city_noise"]["group"] == "市容环境"
    assert listed["city_noise"]["metadata"] == "true"
    found = xml.get_service_definition("city_noise")
    assert found["service_code"] == "city_noise"
    codes = [a["code"] for a in found["attributes"]["attribute"]]
    assert codes == ["title", "occurred_at"]


def test_a_posted_request_becomes_a_routed_timed_event(server: Served, key: str) -> None:
    posted = _post(server, api_key=key, jurisdiction_id=JURISDICTION,
                   service_code="city_noise", description="工地夜间施工噪声",
                   address_string="保俶路12号", first_name="王", last_name="芳",
                   phone="13812345678", **POINT, **{"attribute[title]": "夜间施工噪声"})
    assert posted.status_code == 201, posted.text
    answer = posted.json()[0]
    number = answer["service_request_id"]

    client = GeoReport(_base(server), jurisdiction=JURISDICTION)
    request = client.get_service_request(number)
    assert request["status"] == "open"
    assert request["service_code"] == "city_noise"
    assert request["agency_responsible"] == "城管执法中队"
    assert request["description"] == "工地夜间施工噪声"
    assert request["address"] == "保俶路12号"
    assert (request["lat"], request["long"]) == (30.2915, 120.036)
    expected = dt.datetime.fromisoformat(request["expected_datetime"])
    assert expected > dt.datetime.fromisoformat(request["requested_datetime"])
    assert client.get_service_requests(token := answer["token"]) is not None
    assert requests.get(f"{_base(server)}/tokens/{token}.json", timeout=30).json() == [
        {"service_request_id": number, "token": token}]

    schema = build_schema(server.deployment)
    events, nodes, timers = (schema.table("event"), schema.system("nodes"),
                             schema.system("timers"))
    with server.engine.connect() as conn:
        row = conn.execute(select(events, nodes.c.code).join(nodes, nodes.c.id == events.c.node)
                           .where(events.c.id == int(number))).mappings().one()
        due = conn.execute(select(timers.c.kind).where(
            timers.c.register == "event", timers.c.record == int(number),
            timers.c.fired_at.is_(None), timers.c.cancelled_at.is_(None))).scalars().all()
        queue = queue_records(conn, server.deployment, schema, load_user(conn, schema, "cgzd"),
                              "to_accept", clock=lambda: dt.datetime.now(dt.UTC))
    assert row["code"] == GRID, "placed in the grid that holds the point"
    assert (row["state"], row["source"], row["caller_name"]) == ("accepting", "wechat", "王 芳")
    assert row["caller_phone"] == "13812345678"
    assert row["deadline"] is not None and due, "the acceptance limit runs"
    assert int(number) in [r.id for r in queue], "waits in the department's queue"

    accepted = requests.post(
        f"{server.url}/api/v1/registers/event/records/{number}/actions/accept",
        json={"version": row["version"], "values": {}, "comment": "已派员处理"},
        headers={"Authorization": f"Bearer {server.token('cgzd')}"}, timeout=30)
    assert accepted.status_code == 200, accepted.text
    xml = GeoReport(_base(server), jurisdiction=JURISDICTION, output_format="xml")
    again = xml.get_service_request(number)
    assert (again["status"], again["status_notes"]) == ("open", "已派员处理")
    assert again["agency_responsible"] == "城管执法中队"

    with server.engine.begin() as conn:
        conn.execute(update(events).where(events.c.id == int(number)).values(state="archived"))
    assert client.get_service_request(number)["status"] == "closed"
    closed = client.get_service_requests(status="closed", service_code="city_noise")
    assert [r["service_request_id"] for r in closed] == [number]
    assert number not in [r["service_request_id"] for r in
                          client.get_service_requests(status="open")]


def test_posting_in_xml_and_with_an_address_only(server: Served, key: str) -> None:
    posted = _post(server, "xml", api_key=key, service_code="hazard_facility",
                   description="井盖缺失", address_string="北山路口",
                   **{"attribute[title]": "井盖缺失"})
    assert posted.status_code == 201 and posted.headers["content-type"].startswith("text/xml")
    assert "<service_requests><request><service_request_id>" in posted.text
    number = posted.text.split("<service_request_id>")[1].split("<")[0]
    request = GeoReport(_base(server), output_format="xml").get_service_request(number)
    assert request["agency_responsible"] == "街道城建办" and request["lat"] is None
    schema = build_schema(server.deployment)
    events, nodes = schema.table("event"), schema.system("nodes")
    with server.engine.connect() as conn:
        code = conn.execute(select(nodes.c.code).join(events, events.c.node == nodes.c.id)
                            .where(events.c.id == int(number))).scalar()
    assert code == server.deployment.open311.fallback_node  # type: ignore[union-attr]


def test_refusals_name_what_to_fix(server: Served, key: str) -> None:
    api_only = server.token("admin")
    base = {"service_code": "city_noise", "description": "噪声", "address_string": "某路",
            **POINT, "attribute[title]": "噪声"}
    for given, status, words in [
        ({"api_key": "gw_nonsense"}, 403, "api_key"),
        ({"api_key": api_only}, 403, "open311 scope"),
        ({"api_key": key, "service_code": "security_theft"}, 404, "no service"),
        ({"api_key": key, "attribute[title]": ""}, 400, "attribute[title]: required"),
        ({"api_key": key, "attribute[party_a]": "甲"}, 400, "no such attribute"),
        ({"api_key": key, "lat": "31.9", "long": "118.8"}, 400, "none of this jurisdiction"),
        ({"api_key": key, "jurisdiction_id": "elsewhere"}, 404, "jurisdiction_id"),
    ]:
        answer = _post(server, **(base | given))
        assert answer.status_code == status, (given, answer.text)
        [error] = answer.json()
        assert error["code"] == status and words in error["description"], error
    xml = _post(server, "xml", **(base | {"api_key": "gw_nonsense"}))
    assert xml.status_code == 403 and "<errors><error><code>403</code>" in xml.text
    me = requests.get(f"{server.url}/api/v1/me", headers={"Authorization": f"Bearer {key}"},
                      timeout=30)
    assert me.status_code == 401, "an Open311 key does not open the JSON API"


def test_a_key_is_rate_limited(server: Served, tmp_path: Path) -> None:
    limited = server.token("admin", scopes=("open311",))
    limit = server.deployment.open311.rate_limit.requests  # type: ignore[union-attr]
    fields = {"api_key": limited, "service_code": "city_green", "description": "绿地被占",
              "address_string": "某路", **POINT, "attribute[title]": "绿地被占"}
    answers = [_post(server, **fields).status_code for _ in range(limit + 1)]
    assert answers == [201] * limit + [429]
    assert "try again later" in _post(server, **fields).json()[0]["description"]


def test_environment_round_trip_with_choice_attributes(tmp_path: Path) -> None:
    """The environment deployment opens its public categories too; an odour report carries
    its required description and its intensity, a choice offered as values."""
    with served("environment", tmp_path, records=4) as found:
        base = f"{found.url}/open311/v2"
        client = GeoReport(base, jurisdiction="329900")
        assert "air_odour" in {s["service_code"] for s in client.get_service_list()}
        attributes = {a["code"]: a for a in client.get_service_definition(
            "air_odour")["attributes"]}
        assert attributes["odour_intensity"]["datatype"] == "singlevaluelist"
        assert [v["key"] for v in attributes["odour_intensity"]["values"]] == [
            "1", "2", "3", "4", "5"]
        assert attributes["odour_description"]["required"] is True
        assert "burning_area" not in attributes, "shown for straw burning only"
        burning = {a["code"]: a for a in client.get_service_definition(
            "air_straw_burning")["attributes"]}
        assert burning["burning_area"]["datatype"] == "number"

        grid = "329921201213"
        lon, lat = _inside(found, grid)
        answer = requests.post(f"{base}/requests.json", timeout=30, data={
            "api_key": found.token("admin", scopes=("open311",)), "service_code": "air_odour",
            "lat": str(lat), "long": str(lon), "description": "傍晚起村口有刺鼻化工味道",
            "attribute[title]": "村口化工异味", "attribute[odour_description]": "刺鼻，傍晚",
            "attribute[odour_intensity]": "4"})
        assert answer.status_code == 201, answer.text
        number = answer.json()[0]["service_request_id"]
        request = GeoReport(base, output_format="xml").get_service_request(number)
        assert (request["status"], request["service_code"]) == ("open", "air_odour")
        schema = build_schema(found.deployment)
        events, nodes = schema.table("pollution_event"), schema.system("nodes")
        with found.engine.connect() as conn:
            row = conn.execute(select(events, nodes.c.code).join(
                nodes, nodes.c.id == events.c.node).where(events.c.id == int(number))
            ).mappings().one()
        assert (row["code"], row["odour_intensity"], row["channel"]) == (grid, "4", "hotline")
        assert row["deadline"] is not None


def _inside(found: Served, code: str) -> tuple[float, float]:
    """A point well inside node ``code``'s boundary (lon, lat)."""
    ring = found.deployment.boundaries[code]["coordinates"][0]
    lons, lats = [p[0] for p in ring], [p[1] for p in ring]
    return (min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2


def test_round_trip_on_postgresql(pg_schema: Callable[[], str], tmp_path: Path) -> None:
    """The same request, filed and read back with its status, on PostgreSQL."""
    with served("community", tmp_path, records=4, url=pg_schema()) as found:
        posted = _post(found, api_key=found.token("admin", scopes=("open311",)),
                       service_code="hazard_ebike", description="楼道里给电动车充电",
                       address_string="保俶路3号", **POINT, **{"attribute[title]": "楼道充电"})
        assert posted.status_code == 201, posted.text
        number = posted.json()[0]["service_request_id"]
        request = GeoReport(_base(found), jurisdiction=JURISDICTION).get_service_request(number)
        assert (request["status"], request["service_code"]) == ("open", "hazard_ebike")
        assert request["expected_datetime"] is not None
        listed = GeoReport(_base(found), output_format="xml").get_service_requests(
            service_request_id=number)
        assert listed["service_request_id"] == number, "one request: xmltodict gives a dict"
