"""`PATCH /api/v1/registers/{register}/records/{id}`: correct a record's fields, as the
edit page does — only the fields an edit takes (not those a workflow step asks for or
sets), at the version the caller read, with the form's checks and the pages' point rule."""

from __future__ import annotations

from typing import Any

from ..auth import may
from ..forms.steps import edit_fields, taken_by
from ..integers import parse_int
from ..workflow import Conflict, Forbidden, replan
from ..workflow.inputs import clean_fields, raise_if, split, unique_clashes
from .api_call import ApiError, Call
from .api_points import confirmed_points, refuse_outside
from .api_records import full_record
from .api_uploads import photo_values
from .records import fetch, row_values, update_record
from .submission import functions


def edit(call: Call) -> Any:
    """PATCH ``{"version": N, "values": {…}}``: change those fields; the record as it ends
    up. 409 when the version is stale, 422 with field errors (nothing stored)."""
    name, record_id = call.register(verb="edit"), int(call.request.path_params["id"])
    site, body = call.site, call.body
    version, values = body.get("version"), body.get("values")
    errors: dict[str, list[str]] = {}
    if not isinstance(version, int) or parse_int(version) is None:
        errors["version"] = ["required: the version of the record you read"]
    if not isinstance(values, dict) or not values:
        errors["values"] = ["required: an object of the field values to change"]
    if errors or not isinstance(values, dict):
        raise ApiError(422, errors=errors)
    with site.engine.connect() as conn:
        if fetch(conn, site, call.user, name, record_id) is None:
            raise ApiError(404, f"no {name} #{record_id} in your area")
        row = fetch(conn, site, call.user, name, record_id, "edit")
    if row is None:
        raise Forbidden(f"{name} #{record_id} is outside where you may edit {name} records")
    held = row_values(site, name, row)
    values, confirmed = confirmed_points(call, name, photo_values(call, name, values, held))
    spec, editable = site.deployment.registers[name], edit_fields(site.deployment, name)
    fields, _ = split(spec, values, (), errors)
    for field in [f for f in fields if f not in editable]:
        steps = taken_by(site.deployment, name, field)
        errors[field] = ["not changed by an edit" + (
            " but by the action " + " or ".join(f"'{step}'" for step in steps) if steps
            else ": it is computed from fields an action sets")]
        del fields[field]
    if not may(site.deployment, call.user, "unmask", name):
        for field in [f for f in fields if (found := spec.field(f)) and found.is_personal]:
            errors[field] = ["personal data you see masked: your roles may not change it"]
            del fields[field]
    if version != row.version:
        raise Conflict(f"{name} #{record_id} was changed by someone else; reload it")
    with site.engine.begin() as conn:
        system = {"node": site.nodes()[row.node].code,
                  **{key: getattr(row, key, None) for key in ("category", "severity")}}
        clean, field_errors = clean_fields(conn, site.schema, name, {**held, **fields}, system,
                                           functions(site), call.user, held, only=list(fields))
        changed = {n: clean.get(n) for n in fields} | {
            f.name: clean.get(f.name) for f in spec.fields
            if f.computed is not None and clean.get(f.name) != held.get(f.name)}
        raise_if({**errors, **field_errors,
                  **unique_clashes(conn, site.schema, name, changed, record_id)})
        points = {f.name: changed[f.name] for f in spec.fields
                  if f.type == "geo_point" and f.name in changed}
        refuse_outside(call, conn, name, system["node"], points, confirmed)
        update_record(conn, site, call.user, name, row, held | changed, {})
        if spec.workflow is not None:
            replan(conn, site.deployment, site.schema, name, record_id, clock=site.clock)
    with site.engine.connect() as conn:
        return full_record(conn, site, call.user, name, record_id)
