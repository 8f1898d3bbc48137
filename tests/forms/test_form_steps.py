"""Which fields each step takes, bounds that move with the clock, and cross-field rules."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from stdnum.cn import ric
from support import CONFIGS

from gridwork.config import Deployment, load_deployment
from gridwork.config.types import Moment, parse_moment
from gridwork.forms.models import validate_record
from gridwork.forms.steps import create_fields, transition_fields

ZONE = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 3, 1, 0, 30, tzinfo=ZONE)
"""Half past midnight in Shanghai: still 28 February in UTC, so a zone slip would show."""


@pytest.fixture(scope="module")
def community() -> Deployment:
    return load_deployment(CONFIGS / "community")


def _clock() -> dict[str, object]:
    return {"now": lambda: NOW, "today": lambda: NOW.date()}


def _id_card(born: dt.date, serial: str = "123") -> str:
    body = f"110105{born:%Y%m%d}{serial}"
    return body + ric.calc_check_digit(body + "0")


def _resident(deployment: Deployment, **values: object) -> tuple[object, dict[str, list[str]]]:
    born = dt.date(1985, 3, 12)
    given = {"name": "王五", "id_card": _id_card(born), "birth_date": born.isoformat(),
             "residence_type": "1", **values}
    return validate_record(deployment, "resident", given, functions=_clock())


def test_the_new_event_form_leaves_out_what_transitions_ask_for(community: Deployment) -> None:
    fields = create_fields(community, "event")
    assert {"title", "description", "occurred_at", "photos", "caller_phone"} <= set(fields)
    assert not {"result", "result_photos", "revisit_note", "satisfaction",
                "satisfaction_score"} & set(fields)
    flow = community.workflows["event_flow"]
    feedback = next(t for t in flow.transitions if t.name == "feedback")
    assert transition_fields(community.registers["event"], feedback) == ("result",
                                                                         "result_photos")


def test_a_register_without_a_workflow_takes_every_field(community: Deployment) -> None:
    fields = create_fields(community, "resident")
    assert fields == tuple(f.name for f in community.registers["resident"].fields)


def test_a_create_list_wins_over_the_default(community: Deployment) -> None:
    register = community.registers["event"].model_copy(update={"create": ("title", "result")})
    changed = community.model_copy(update={"registers": {**community.registers,
                                                         "event": register}})
    assert create_fields(changed, "event") == ("title", "result")


@pytest.mark.parametrize(("written", "resolved"), [
    ("today", dt.date(2026, 3, 1)),
    ("today - 120y", dt.date(1906, 3, 1)),
    ("today-1mo", dt.date(2026, 2, 1)),
    ("today + 2w", dt.date(2026, 3, 15)),
    ("now", NOW),
    ("now + 1d", NOW + dt.timedelta(days=1)),
    ("now - 90min", NOW - dt.timedelta(minutes=90)),
])
def test_a_moment_is_taken_on_the_clock_in_the_deployments_zone(
        written: str, resolved: object) -> None:
    moment = parse_moment(written)
    assert isinstance(moment, Moment)
    assert moment.resolve(NOW) == resolved


def test_the_31st_moved_by_a_month_is_the_months_last_day() -> None:
    assert parse_moment("today - 1mo").resolve(dt.datetime(2026, 3, 31, tzinfo=ZONE)) == \
        dt.date(2026, 2, 28)


def test_a_birth_date_after_today_is_refused_today_is_not(community: Deployment) -> None:
    tomorrow = NOW.date() + dt.timedelta(days=1)
    _, errors = _resident(community, id_card=_id_card(tomorrow), birth_date=tomorrow)
    assert errors == {"birth_date": ["must not be after 2026-03-01"]}
    clean, errors = _resident(community, id_card=_id_card(NOW.date()), birth_date=NOW.date())
    assert errors == {}
    assert clean is not None and clean["age"] == 0


def test_a_birth_date_more_than_120_years_ago_is_refused(community: Deployment) -> None:
    old = dt.date(1906, 2, 28)
    _, errors = _resident(community, id_card=_id_card(old), birth_date=old)
    assert errors == {"birth_date": ["must not be before 1906-03-01"]}


def test_an_occurrence_after_now_is_refused(community: Deployment) -> None:
    base = {"title": "占道", "description": "早市占道", "address": "东门", "source": "patrol",
            "category": "dispute_labour"}
    later = (NOW + dt.timedelta(minutes=5)).replace(tzinfo=None).isoformat(timespec="minutes")
    _, errors = validate_record(community, "event", {**base, "occurred_at": later},
                                functions=_clock())
    assert errors == {"occurred_at": ["must not be after 2026-03-01 00:30"]}
    earlier = NOW.replace(tzinfo=None).isoformat(timespec="minutes")
    clean, errors = validate_record(community, "event", {**base, "occurred_at": earlier},
                                    functions=_clock())
    assert errors == {} and clean is not None and clean["occurred_at"] == NOW


def test_the_id_card_rule_names_the_birth_date_with_the_configured_message(
        community: Deployment) -> None:
    _, errors = _resident(community, birth_date="1985-03-13")
    assert errors == {"birth_date": ["出生日期与身份证号第7-14位不一致"]}


def test_the_rule_waits_while_the_id_card_itself_is_wrong(community: Deployment) -> None:
    _, errors = _resident(community, id_card="110105198503121231", birth_date="1985-03-13")
    assert list(errors) == ["id_card"]


def test_the_sex_comes_from_the_id_card(community: Deployment) -> None:
    male, _ = _resident(community)
    female, _ = _resident(community, id_card=_id_card(dt.date(1985, 3, 12), "124"))
    assert (male or {}).get("gender") == "1"
    assert (female or {}).get("gender") == "2"


def test_only_the_steps_fields_are_required_and_checked(community: Deployment) -> None:
    _, errors = validate_record(community, "event", {"satisfaction": "nope"},
                                only=("result",))
    assert errors == {}
