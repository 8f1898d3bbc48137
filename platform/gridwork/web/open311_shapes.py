"""What Open311 GeoReport v2 answers, built from the deployment and its records: services
from the public categories, their attributes from the register's fields, and requests
with their status, notes, agency and expected time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select

from ..config.models import Category, FieldSpec, Open311
from ..forms.models import visible_fields
from ..forms.steps import create_fields
from ..workflow.records import department_ids
from .site import Site
from .widgets import choice_options

DATATYPES = {"text": "string", "textarea": "text", "integer": "number", "decimal": "number",
             "date": "datetime", "datetime": "datetime", "choice": "singlevaluelist",
             "boolean": "singlevaluelist", "multichoice": "multivaluelist"}
"""Open311 attribute datatypes by field type; any other type is a `string`."""
UNCARRIED = ("photo", "file", "geo_point")
"""Field types no attribute can carry (media go by `media_url`, points by lat/long)."""


class Refusal(Exception):
    """A request refused with an HTTP status and what to tell the client (answered as
    the specification's error list)."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status, self.description = status, description


def config_of(site: Site) -> Open311:
    """The deployment's `open311:` block (the routes exist only when it has one)."""
    config = site.deployment.open311
    assert config is not None
    return config


def public_service(site: Site, code: str) -> str:
    """``code``, when it is a service (a public category); else a 404."""
    if code not in config_of(site).services:
        raise Refusal(404, f"no service '{code}'")
    return code


def categories(site: Site) -> dict[str, tuple[Category, Category | None]]:
    """Every category with its parent, by code."""
    return {c.code: (c, parent) for c, parent in site.deployment.all_categories()}


def service_json(site: Site, code: str) -> dict[str, Any]:
    """One public category as a service."""
    category, parent = categories(site)[code]
    return {"service_code": code, "service_name": site.label(category.label, code),
            "description": site.label(category.label, code),
            "metadata": bool(attribute_fields(site, code)), "type": "realtime",
            "keywords": "", "group": site.label(parent.label) if parent else ""}


def attribute_fields(site: Site, code: str) -> list[FieldSpec]:
    """The fields a request of service ``code`` fills through `attribute[…]`: those the
    new-record form shows for its category, but for the standard fields, the fixed values
    and what no attribute can carry."""
    config = config_of(site)
    name = config.register_name
    register = site.deployment.registers[name]
    taken = {*(v for v in config.fields.model_dump().values() if v), *config.values}
    shown = visible_fields(site.deployment, name, dict(config.values),
                           system={"category": code}, only=create_fields(site.deployment, name))
    return [spec for spec in register.fields if spec.name in shown and spec.name not in taken
            and spec.computed is None and spec.type not in UNCARRIED]


def definition_json(site: Site, code: str) -> dict[str, Any]:
    """A service's definition: its attributes, datatypes mapped and choices as values."""
    attributes = []
    for order, spec in enumerate(attribute_fields(site, code), start=1):
        values: list[dict[str, str]] = []
        if spec.type in ("choice", "multichoice"):
            values = [{"key": key, "name": name} for key, name in choice_options(site, spec)]
        elif spec.type == "boolean":
            values = [{"key": "true", "name": site.t("yes")},
                      {"key": "false", "name": site.t("no")}]
        attributes.append({
            "variable": True, "code": spec.name, "datatype": DATATYPES.get(spec.type, "string"),
            "required": spec.required, "datatype_description": site.label(spec.help),
            "order": order, "description": site.label(spec.label, spec.name),
            "values": values})
    return {"service_code": code, "attributes": attributes}


def requests_json(conn: Connection, site: Site, rows: Sequence[Any]) -> list[dict[str, Any]]:
    """Records (rows of the register joined with their Open311 row) as service requests."""
    config = config_of(site)
    name, fields = config.register_name, config.fields
    workflow = site.deployment.workflows[site.deployment.registers[name].workflow or ""]
    final = {key for key, state in workflow.states.items() if state.final}
    notes = _notes(conn, site, [row["id"] for row in rows])
    labels = {c: site.label(category.label, c) for c, (category, _) in categories(site).items()}
    agencies = {i: code for code, i in department_ids(conn, site.schema).items()}
    found = []
    for row in rows:
        department = site.deployment.department(agencies.get(row["department"], ""))
        point = (row[f"{fields.location}_lat"], row[f"{fields.location}_lon"]) \
            if fields.location else (None, None)
        found.append({
            "service_request_id": str(row["id"]),
            "status": "closed" if row["state"] in final else "open",
            "status_notes": notes.get(row["id"]),
            "service_name": labels.get(row["category"], row["category"]),
            "service_code": row["category"],
            "description": row[fields.description] if fields.description else None,
            "agency_responsible": site.label(department.name) if department else None,
            "service_notice": None,
            "requested_datetime": w3c(site, row["created_at"]),
            "updated_datetime": w3c(site, row["updated_at"]),
            "expected_datetime": w3c(site, row["deadline"]),
            "address": row[fields.address_string] if fields.address_string else None,
            "address_id": None, "zipcode": None, "lat": point[0], "long": point[1],
            "media_url": row[fields.media_url] if fields.media_url else None,
        })
    return found


def _notes(conn: Connection, site: Site, ids: list[int]) -> dict[int, str]:
    """Each record's status note: the latest public history entry's comment, else the
    name of the state it entered."""
    config = config_of(site)
    if not ids or not config.notes:
        return {}
    history = site.schema.system("history")
    workflow = site.deployment.workflows[
        site.deployment.registers[config.register_name].workflow or ""]
    rows = conn.execute(select(history.c.record, history.c.comment, history.c.to_state)
                        .where(history.c.register == config.register_name,
                               history.c.record.in_(ids), history.c.action.in_(config.notes))
                        .order_by(history.c.id))
    notes: dict[int, str] = {}
    for row in rows:
        state = workflow.states.get(row.to_state or "")
        notes[row.record] = row.comment or (site.label(state.label) if state else "")
    return notes


def w3c(site: Site, moment: dt.datetime | None) -> str | None:
    """An instant as GeoReport writes it (W3C, the deployment's local time with its offset)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    zone = site.runtime.zone
    return moment.astimezone(zone).replace(microsecond=0).isoformat()
