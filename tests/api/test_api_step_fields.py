"""Over HTTP, a step takes only the values its form asks for, and a value is stored only as
typed: a reporter cannot set a handling or revisit field, an action refuses a field it does
not ask for, letters in a phone number and dates in the future are refused by name, and a
birth date that contradicts the ID card gets the configured message. Nothing is stored."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from api_support import HttpWorld
from sqlalchemy import func, select
from stdnum.cn import ric
from workflow_scripts import SCRIPTS, values_for

COMMUNITY = SCRIPTS["community"]


@pytest.fixture
def community(http: Callable[..., HttpWorld]) -> HttpWorld:
    """The community deployment as shipped (auto-dispatch on), over HTTP."""
    return http("community")


def _count(world: HttpWorld, register: str) -> int:
    table = world.schema.table(register)
    with world.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _report(world: HttpWorld, **values: Any) -> Any:
    return world.post(COMMUNITY.reporter, "/registers/event/records",
                      {"node": world.at["grid"],
                       "values": {**values_for(world, COMMUNITY), **values}})


def _id_card(born: dt.date, serial: str = "123") -> str:
    body = f"110105{born:%Y%m%d}{serial}"
    return body + ric.calc_check_digit(body + "0")  # it reads the first 17 of 18


def _resident(world: HttpWorld, **values: Any) -> Any:
    code = next(iter(world.deployment.choices["residence_type"]))
    born = dt.date(1985, 3, 12)
    given = {"name": "王小明", "id_card": _id_card(born), "birth_date": born.isoformat(),
             "residence_type": code, **values}
    return world.post("grid_worker", "/registers/resident/records",
                      {"node": world.at["building"], "values": given})


def test_the_reporter_cannot_set_handling_or_revisit_fields(community: HttpWorld) -> None:
    before = _count(community, "event")
    response = _report(community, satisfaction="1", result="已处理", revisit_note="满意")
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"satisfaction", "result", "revisit_note"}
    assert response.json()["errors"]["satisfaction"] == ["not on the form for a new record"]
    assert _count(community, "event") == before
    described = community.get(COMMUNITY.reporter, "/registers/event").json()
    assert "satisfaction" not in described["create"]
    assert {"title", "description", "address"} <= set(described["create"])


def test_an_action_refuses_a_value_it_does_not_ask_for(community: HttpWorld) -> None:
    made = _report(community)
    assert made.status_code == 201, made.text
    record = made.json()
    assert record["state"] == "accepting"
    path = f"/registers/event/records/{record['id']}/actions/accept"
    refused = community.post(COMMUNITY.handler, path, {"version": record["version"],
                                                      "values": {"satisfaction": "1"}})
    assert refused.status_code == 422
    assert refused.json()["errors"] == {"satisfaction": ["not asked by this action"]}
    after = community.get(COMMUNITY.handler, f"/registers/event/records/{record['id']}").json()
    assert (after["state"], after["version"]) == ("accepting", record["version"])
    assert after["values"].get("satisfaction") is None


@pytest.mark.parametrize("typed", ["1381234abcd", "138-1234-ABCD", "电话13812345678"])
def test_letters_in_a_phone_number_are_refused(community: HttpWorld, typed: str) -> None:
    before = _count(community, "event")
    response = _report(community, source="resident", caller_name="李四", caller_phone=typed)
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "caller_phone": ["only digits, spaces, brackets, '-' and a leading '+'"]}
    assert _count(community, "event") == before


def test_an_occurrence_in_the_future_is_refused(community: HttpWorld) -> None:
    later = community.clock() + dt.timedelta(days=2)
    response = _report(community, occurred_at=later.isoformat())
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["occurred_at"]
    assert response.json()["errors"]["occurred_at"][0].startswith("must not be after ")


def test_a_birth_date_in_the_future_or_against_the_id_card_is_refused(
        community: HttpWorld) -> None:
    before = _count(community, "resident")
    tomorrow = community.clock().date() + dt.timedelta(days=1)
    future = _resident(community, birth_date=tomorrow.isoformat())
    assert future.status_code == 422
    today = tomorrow - dt.timedelta(days=1)
    assert future.json()["errors"] == {"birth_date": [f"must not be after {today}"]}
    mismatch = _resident(community, birth_date="1985-03-13")
    assert mismatch.status_code == 422
    assert mismatch.json()["errors"] == {"birth_date": ["出生日期与身份证号第7-14位不一致"]}
    assert _count(community, "resident") == before
    stored = _resident(community)
    assert stored.status_code == 201, stored.text
    assert stored.json()["values"]["gender"] == "1"
