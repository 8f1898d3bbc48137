"""The OpenAPI 3.1 document of a deployment's `/api/v1`, generated from its config: one path
per register (so each carries its own field schemas) and one per workflow action (with the
values that action requires)."""

from __future__ import annotations

from typing import Any

from .. import __version__
from ..config.models import Deployment
from .openapi_schemas import (
    INSTANT,
    INTEGER,
    TEXT,
    Schema,
    actions,
    common_schemas,
    obj,
    ref,
    register_schemas,
    schema_name,
)

PER_PAGE_NOTE = "50 records a page, newest first"

_ERRORS: dict[str, tuple[str, str]] = {
    "400": ("The body is not a JSON object, or too large or deep.", "Error"),
    "401": ("No valid API token: send `Authorization: Bearer TOKEN`.", "Error"),
    "403": ("Your roles may not do this (here, now).", "Error"),
    "404": ("No such register or record within your area.", "Error"),
    "409": ("The record changed since you read it (stale `version`): read it again.",
            "Error"),
    "422": ("Values refused, with messages by field.", "FieldErrors"),
    "500": ("A plugin failed while acting; nothing was changed.", "Error"),
    "503": ("The database is busy or out of reach: retry after `Retry-After` seconds.",
            "Error"),
}


def openapi_document(deployment: Deployment, *, server: str = "/api/v1") -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``deployment``'s JSON API, served under ``server``."""
    locale = deployment.about.locale
    schemas = common_schemas()
    paths: dict[str, Any] = {
        "/openapi.json": {"get": {
            "operationId": "openapi", "summary": "This document", "security": [],
            "tags": ["about"], "responses": {"200": _json("The OpenAPI document",
                                                          {"type": "object"})}}},
        "/me": {"get": _op("me", "Who the token stands for", "Me", tags=["about"])},
        "/queues": {"get": _op("queues", "Work queues and how many records wait in each",
                               {"type": "array", "items": ref("Queue")}, tags=["about"])},
        "/messages": {"get": _op(
            "messages", "The message log (roles that may `admin`)", "MessagePage",
            tags=["messages"], errors=("403", "422"), parameters=[
                _query("channel", TEXT), _query("status", TEXT),
                _query("recipient", TEXT, "a username"),
                _query("from", TEXT, "a date (YYYY-MM-DD) or an ISO instant"),
                _query("to", TEXT, "a date (that whole day) or an ISO instant"),
                _page()])},
        "/duties": {"get": _op(
            "duties", "Duties in the token's area, by due time", "DutyPage",
            tags=["duties"], errors=("422",), parameters=[
                _query("schedule", TEXT), _query("period", TEXT, "e.g. 2026-12 or 2026-W49"),
                _query("state", {"type": "string",
                                 "enum": ["open", "overdue", "done", "dropped"]}),
                _query("assignee", TEXT, "a username, or `me`"),
                _query("unassigned", TEXT, "`true`: only duties nobody holds"),
                _query("counted", TEXT, "a score sheet's number, `PERIOD/SUBJECTS/KEY/METRIC` "
                       "(e.g. `2026-Q4/level:grid/G01/patrols`): only the duties its coverage "
                       "or misses counted"),
                _page()])},
        "/uploads": {"post": _upload(deployment)},
        "/stats": {"get": _op(
            "stats", "Counts of a register's records in your area, grouped", {
                "type": "object", "required": ["register", "by", "rows"], "properties": {
                    "register": TEXT, "by": {"type": "array", "items": TEXT},
                    "level": TEXT, "period": TEXT, "from": TEXT, "to": TEXT,
                    "rows": {"type": "array", "items": {"type": "object", "properties": {
                        "count": {"type": "integer"}, "overdue": {"type": "integer"},
                        "closed": {"type": "integer"},
                        "on_time_rate": {"type": ["number", "null"]},
                        "median_working_hours": {"type": ["number", "null"]}}}}}},
            tags=["about"], errors=("422",), parameters=[
                _query("register", TEXT), _query("by", TEXT,
                                                 "comma-separated: category, node, period, state"),
                _query("level", TEXT, "the hierarchy level of the node key"),
                _query("period", TEXT, "day, week, month or quarter"),
                _query("from", TEXT, "a date (YYYY-MM-DD)"),
                _query("to", TEXT, "a date (that whole day)")])},
        "/map/{layer}": {"get": _op(
            "map_layer", "A register's points in your area, clustered for the zoom (GeoJSON)",
            {"type": "object", "required": ["type", "features"], "properties": {
                "type": {"const": "FeatureCollection"},
                "features": {"type": "array", "items": {"type": "object"}}}},
            tags=["about"], errors=("404", "422"), parameters=[
                {"name": "layer", "in": "path", "required": True, "schema": TEXT},
                _query("bbox", TEXT, "west,south,east,north in degrees"),
                _query("zoom", {"type": "integer"}, "the map's zoom, 0 to 22"),
                _query("category", TEXT), _query("state", TEXT),
                _query("from", TEXT, "a date (YYYY-MM-DD)"),
                _query("to", TEXT, "a date (that whole day)")])},
        "/switches": _switches(),
    }
    for name in deployment.registers:
        schemas |= register_schemas(deployment, name)
        paths |= _register_paths(deployment, name)
    return {
        "openapi": "3.1.0",
        "info": {"title": deployment.about.title.text(locale) + " API",
                 "version": __version__,
                 "description": "The records, actions and messages of the deployment "
                                f"`{deployment.about.name}`, each scoped to the area "
                                "of the token's user, as its pages are."},
        "servers": [{"url": server}],
        "security": [{"bearer": []}],
        "tags": [{"name": "about"}, {"name": "messages"}, {"name": "duties"},
                 {"name": "uploads"}, {"name": "switches"},
                 *({"name": name, "description": spec.label.text(locale)}
                   for name, spec in deployment.registers.items())],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {
                "type": "http", "scheme": "bearer",
                "description": "`gridwork token create USERNAME PATH` makes one."}},
            "responses": {status: _json(text, ref(shape)) | (
                {"headers": {"Retry-After": {"schema": INTEGER}}} if status == "503" else {})
                for status, (text, shape) in _ERRORS.items()},
        },
    }


def _register_paths(deployment: Deployment, name: str) -> dict[str, Any]:
    spec = deployment.registers[name]
    label = spec.label.text(deployment.about.locale)
    base, record = f"/registers/{name}", schema_name(name, "Record")
    workflow = deployment.workflows.get(spec.workflow) if spec.workflow else None
    filters = [_query("node", TEXT, "a node's code: records in its subtree")]
    if workflow is not None:
        filters.append(_query("state", {"type": "string", "enum": list(workflow.states)}))
    if spec.categorized and deployment.categories:
        filters.append(_query("category", {"type": "string", "enum": [
            c.code for c, _ in deployment.all_categories()]}, "with the categories below it"))
    read_links = {"read": {"operationId": f"{name}_read",
                           "parameters": {"id": "$response.body#/id"}}}
    act_links = {f"act_{action}": {"operationId": f"{name}_{action}",
                                   "parameters": {"id": "$response.body#/id"}}
                 for action in actions(deployment, spec)}
    first = {f"{key}_first": {"operationId": link["operationId"],
                              "parameters": {"id": "$response.body#/items/0/id"}}
             for key, link in (read_links | act_links).items()}
    paths: dict[str, Any] = {
        base: {"get": _op(f"{name}_form", f"{label}: fields and categories",
                          "RegisterInfo", tags=[name], errors=("403", "404"))},
        f"{base}/records": {
            "get": _op(f"{name}_list", f"{label}: records in your area ({PER_PAGE_NOTE})",
                       schema_name(name, "Page"), tags=[name], errors=("403", "404", "422"),
                       parameters=[*filters, _page()], links=first),
            "post": _op(f"{name}_create", f"{label}: report or add a record", record,
                        tags=[name], status="201", errors=("403", "404", "422"),
                        body=schema_name(name, "New"),
                        links=read_links | act_links)},
        f"{base}/records/{{id}}": {
            "get": _op(f"{name}_read",
                       f"{label}: one record, its history and the actions you may take",
                       record, tags=[name], errors=("403", "404"), parameters=[_record_id()]),
            "patch": _op(f"{name}_edit", f"{label}: correct the fields given, as the edit "
                         "page does", record, tags=[name], errors=("403", "404", "409", "422"),
                         parameters=[_record_id()], body=schema_name(name, "Edit"),
                         links=read_links,
                         description="A field an action sets is a 422 naming that action. "
                                     "Send the `version` you read: a stale one is a 409.")},
    }
    for action, transition in actions(deployment, spec).items():
        text = transition.label.text(deployment.about.locale) if transition.label \
            else action
        paths[f"{base}/records/{{id}}/actions/{action}"] = {"post": _op(
            f"{name}_{action}", f"{label}: {text} (to {transition.to})", record,
            tags=[name], errors=("403", "404", "409", "422"), parameters=[_record_id()],
            body=schema_name(name, f"Action_{action}"), links=read_links | act_links,
            description=_action_note(transition.require, transition.optional))}
    return paths


def _action_note(require: tuple[str, ...], optional: tuple[str, ...]) -> str:
    parts = []
    if require:
        parts.append("Requires " + ", ".join(f"`{n}`" for n in require) + ".")
    if optional:
        parts.append("Also takes " + ", ".join(f"`{n}`" for n in optional) + ".")
    parts.append("Send the `version` you read: a stale one is a 409.")
    return " ".join(parts)


def _switches() -> dict[str, Any]:
    """Workflow switches for subtrees: read them, set one (roles that `can: switch`)."""
    flag = {"type": "boolean"}
    setting = obj({"workflow": TEXT, "name": TEXT, "node": TEXT, "node_name": TEXT,
                   "level": TEXT, "on": flag, "at": INSTANT, "by": {"type": ["string", "null"]},
                   "reason": TEXT},
                  ["workflow", "name", "node", "on", "at", "reason"])
    change = obj({"at": INSTANT, "by": {"type": ["string", "null"]}, "workflow": TEXT, "name": TEXT, "node": TEXT,
                  "on": flag, "was": flag, "reason": TEXT},
                 ["at", "workflow", "name", "node", "on", "was", "reason"])
    listed = obj({"configured": {"type": "object", "additionalProperties": {
                      "type": "object", "additionalProperties": flag}},
                  "settings": {"type": "array", "items": setting},
                  "changes": {"type": "array", "items": change}},
                 ["configured", "settings", "changes"])
    post = _op("set_switch", "Turn a workflow switch on or off for a subtree, with a reason",
               change, tags=["switches"], status="201", errors=("403", "404", "422"))
    post["requestBody"] = {"required": True, "content": {"application/json": {"schema": obj(
        {"workflow": TEXT, "switch": TEXT, "node": {**TEXT, "description": "a node's code"},
         "on": flag, "reason": TEXT}, ["workflow", "switch", "node", "on", "reason"])}}}
    post["responses"]["400"] = {"$ref": "#/components/responses/400"}
    return {"get": _op("switches", "Workflow switches as set for areas, and the latest changes",
                       listed, tags=["switches"], errors=("403",)),
            "post": post}


def _upload(deployment: Deployment) -> dict[str, Any]:
    with_photos = [name for name, spec in deployment.registers.items()
                   if any(f.type in ("photo", "file") for f in spec.fields)]
    form = obj({"register": {"type": "string", "enum": with_photos} if with_photos else TEXT,
                "field": {"type": "string", "description": "a photo field of the register"},
                "file": {"type": "string", "contentMediaType": "application/octet-stream",
                         "description": "JPEG, PNG or WebP, at most the field's max_size"}},
               ["register", "field", "file"])
    operation = _op("upload", "Send a photo; put the id it answers in a record's values",
                    "Upload", tags=["uploads"], status="201", errors=("422",))
    operation["requestBody"] = {"required": True,
                                "content": {"multipart/form-data": {"schema": form}}}
    operation["responses"]["415"] = _json("The body is not multipart/form-data",
                                          ref("Error"))
    return operation


def _op(operation_id: str, summary: str, answer: str | Schema, *, tags: list[str],
        status: str = "200", errors: tuple[str, ...] = (), parameters: list[Any] | None = None,
        body: str | None = None, links: dict[str, Any] | None = None,
        description: str | None = None) -> dict[str, Any]:
    """An operation answering ``answer`` (a component's name, or a schema) with ``status``,
    and the errors every call may meet besides ``errors``."""
    answered = _json("OK" if status == "200" else "Created",
                     ref(answer) if isinstance(answer, str) else answer)
    if links:
        answered["links"] = links
    codes = ["401", *errors, "503"]
    if body is not None:
        codes += ["400", "500"]
    operation: dict[str, Any] = {
        "operationId": operation_id, "summary": summary, "tags": tags,
        "responses": {status: answered, **{code: {"$ref": f"#/components/responses/{code}"}
                                           for code in sorted(set(codes))}}}
    if description:
        operation["description"] = description
    if parameters:
        operation["parameters"] = parameters
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": ref(body)}}}
    return operation


def _json(description: str, schema: Schema) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _query(name: str, schema: Schema, description: str | None = None) -> dict[str, Any]:
    found = {"name": name, "in": "query", "required": False, "schema": schema}
    return found | ({"description": description} if description else {})


def _page() -> dict[str, Any]:
    return _query("page", {"type": "integer", "minimum": 1}, "from 1")


def _record_id() -> dict[str, Any]:
    return {"name": "id", "in": "path", "required": True,
            "schema": {"type": "integer", "minimum": 0, "maximum": 9_999_999_999}}
