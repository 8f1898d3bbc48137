"""`PATCH /api/v1/registers/{register}/records/{id}`: correct a record's fields, as the
edit page does — only the fields given change; a field a workflow step asks for or sets is
refused naming that step; at the version the caller read, with the form's checks and the
pages' point rule. The workflow's `edit_record` checks and writes it."""

from __future__ import annotations

from typing import Any

from ..forms.steps import edit_fields
from ..integers import parse_int
from ..workflow import Forbidden, edit_record
from ..workflow.edit import PLACE
from .api_call import ApiError, Call
from .api_points import confirmed_points, given_points, refuse_outside
from .api_records import full_record
from .api_uploads import photo_values
from .records import fetch


def edit(call: Call) -> Any:
    """PATCH ``{"version": N, "values": {…}}`` and optionally ``"node"``, ``"category"``,
    ``"severity"``: change those; the record as it ends up. 409 when the version is stale,
    422 with field errors (nothing stored)."""
    name, record_id = call.register(verb="edit"), int(call.request.path_params["id"])
    site, body = call.site, call.body
    version, values = body.get("version"), body.get("values", {})
    place = {key: body[key] for key in PLACE if key in body}
    errors: dict[str, list[str]] = {}
    if not isinstance(version, int) or parse_int(version) is None:
        errors["version"] = ["required: the version of the record you read"]
    if not isinstance(values, dict) or not (values or place):
        errors["values"] = ["required: an object of the field values to change"]
    errors |= {key: ["must be a code"] for key, value in place.items()
               if not isinstance(value, str)}
    if errors or not isinstance(values, dict) or not isinstance(version, int):
        raise ApiError(422, errors=errors)
    with site.engine.connect() as conn:
        if fetch(conn, site, call.user, name, record_id) is None:
            raise ApiError(404, f"no {name} #{record_id} in your area")
        row = fetch(conn, site, call.user, name, record_id, "edit")
    if row is None:
        raise Forbidden(f"{name} #{record_id} is outside where you may edit {name} records")
    values, confirmed = confirmed_points(call, name, photo_values(call, name, values, row.values))
    node = place.get("node") or row.node
    system = {"category": place.get("category", row.category),
              "severity": place.get("severity", row.severity)}
    with site.engine.connect() as conn:
        refuse_outside(call, conn, name, node, given_points(
            call, name, node, values, system, edit_fields(site.deployment, name)), confirmed)
    edit_record(site.engine, site.runtime, call.user, name, record_id,
                {**values, **place}, version=version, clock=site.clock, partial=True)
    with site.engine.connect() as conn:
        return full_record(conn, site, call.user, name, record_id)
