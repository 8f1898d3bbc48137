"""The OpenAPI document of `/api/v1`: valid OpenAPI 3.1 for every shipped deployment, with
each register's fields and each action's required values; served as JSON without a token,
as a page at `/api/docs`, and printed by `gridwork openapi`."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from api_support import HttpWorld
from openapi_spec_validator import validate
from support import CONFIGS, SHIPPED, run_cli

from gridwork.config import Deployment
from gridwork.web.openapi import openapi_document


def _schema(document: dict[str, Any], name: str) -> dict[str, Any]:
    return document["components"]["schemas"][name]


@pytest.mark.parametrize("name", SHIPPED)
def test_the_document_is_valid_openapi(name: str, shipped: Callable[[str], Deployment]) -> None:
    deployment = shipped(name)
    document = openapi_document(deployment)
    validate(document)
    for register in deployment.registers:
        assert f"/registers/{register}/records" in document["paths"]


def test_fields_carry_their_types_choices_and_limits(
        shipped: Callable[[str], Deployment]) -> None:
    document = openapi_document(shipped("community"))
    new = _schema(document, "event_New")["properties"]["values"]
    fields = new["properties"]
    assert {"title", "description", "source", "address", "category"} <= set(new["required"])
    assert fields["title"] == {"type": "string", "maxLength": 60, "pattern": r"\S"}
    assert fields["source"]["enum"][:3] == ["patrol", "visit", "resident"]
    assert fields["injured"]["minimum"] == 0
    assert fields["location"]["prefixItems"][0] == {"type": "number", "minimum": -90,
                                                    "maximum": 90}
    assert "result" not in fields, "a later step's field is not on the new-record form"
    assert "satisfaction_score" not in fields, "computed fields are not sent"
    assert "hazard_fire" in fields["category"]["enum"]
    resident = _schema(document, "resident_New")["properties"]["values"]["properties"]
    assert resident["id_card"]["pattern"] == r"^\d{17}[\dXx]$"
    answered = _schema(document, "resident_Values")["properties"]["id_card"]
    assert answered == {"anyOf": [{"type": "string"}, {"type": "null"}]}, "masked text"


def test_each_action_requires_what_its_transition_requires(
        shipped: Callable[[str], Deployment]) -> None:
    document = openapi_document(shipped("community"))
    feedback = _schema(document, "event_Action_feedback")
    assert feedback["required"] == ["version", "values"]
    assert feedback["properties"]["values"]["required"] == ["result"]
    void = _schema(document, "event_Action_void")
    assert "comment" in void["required"], "void requires a written reason"
    dispatch = _schema(document, "event_Action_dispatch")["properties"]["values"]
    assert "cgzd" in dispatch["properties"]["department"]["enum"]
    operation = document["paths"]["/registers/event/records/{id}/actions/feedback"]["post"]
    assert set(operation["responses"]) >= {"200", "400", "401", "403", "404", "409", "422",
                                           "503"}
    assert operation["responses"]["409"] == {"$ref": "#/components/responses/409"}
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_served_without_a_token_and_as_a_page(http: Callable[..., HttpWorld]) -> None:
    world = http("community")
    assert world.client is not None
    served = world.client.get("/api/v1/openapi.json")
    assert served.status_code == 200
    assert served.json() == json.loads(json.dumps(openapi_document(world.deployment)))
    page = world.client.get("/api/docs")
    assert page.status_code == 200
    html = page.text
    assert "POST /api/v1/registers/event/records" in html
    assert "<code>values.title</code>" in html and "length ≤ 60" in html
    assert "cdn" not in html.lower() and "https://" not in html, "served from the package"
    # the token still guards the data
    assert world.client.get("/api/v1/me").status_code == 401
    assert world.get("grid_worker", "/me").status_code == 200


def test_cli_prints_the_document() -> None:
    code, out, _ = run_cli("openapi", str(CONFIGS / "safety"), "--server",
                           "https://grid.example/api/v1")
    assert code == 0
    document = json.loads(out)
    validate(document)
    assert document["servers"] == [{"url": "https://grid.example/api/v1"}]
