"""`/api/v1/registers/…`: a register's form, its records within the caller's scope, new
records and actions on them — each through the workflow engine the pages use."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from ..auth import User
from ..duties.fulfil import NotYours, link, start
from ..hierarchy import scope_filter, subtree_ids
from ..integers import INT_MAX, parse_int
from ..workflow import (
    Record,
    available_actions,
    create_entry,
    create_record,
    take_action,
    timeline,
)
from ..workflow.actors import with_verb
from ..forms.steps import create_fields
from .api_call import ApiError, Call
from .api_points import confirmed_points, given_points, refuse_outside
from .api_shapes import (
    actions_json,
    history_json,
    record_json,
    record_rows,
    records_json,
    register_json,
)
from .api_uploads import photo_values
from .records import fetch
from .site import Site

PER_PAGE = 50


def register(call: Call) -> Any:
    """GET: the register's name, label, workflow and fields."""
    return register_json(call.site, call.register())


def records(call: Call) -> Any:
    """GET: the caller's records, filtered and paged; POST: report a new record."""
    if call.request.method == "POST":
        return _create(call, call.register(verb=None))
    return _list(call, call.register())


def record(call: Call) -> Any:
    """GET: one record with its history and the actions the caller may take now."""
    name, record_id = call.register(), int(call.request.path_params["id"])
    _visible(call.db, call.site, call.user, name, record_id)
    return full_record(call.db, call.site, call.user, name, record_id)


def act(call: Call) -> Any:
    """POST: take an action at the version the caller read; the record as it ends up, read
    in the same transaction (one per request: the answer is what this action left)."""
    name, record_id = call.register(), int(call.request.path_params["id"])
    site, body, conn = call.site, call.body, call.db
    version, values, comment = body.get("version"), body.get("values") or {}, body.get("comment")
    errors: dict[str, list[str]] = {}
    if not isinstance(version, int) or parse_int(version) is None:
        errors["version"] = ["required: the version of the record you read"]
    if not isinstance(values, dict):
        errors["values"] = ["must be an object of field values"]
    if comment is not None and not isinstance(comment, str):
        errors["comment"] = ["must be text"]
    if errors or _photos_given(site, name, values):
        # A record the caller may not see is not found before anything else is said about
        # the request; photos given are checked against those the record already has.
        own = _visible(conn, site, call.user, name, record_id).values
        if errors:
            raise ApiError(422, errors=errors)
        values = photo_values(call, name, values, own)
    # Otherwise the engine's one (locked) read of the record tells whether it is visible.
    moved = take_action(conn, site.runtime, call.user, name, record_id,
                        call.request.path_params["action"], version=version,
                        values=values, comment=comment, clock=site.clock,
                        within=with_verb(site.deployment, call.user, "view", name))
    return full_record(conn, site, call.user, name, record_id, moved)


def _photos_given(site: Site, name: str, values: Any) -> bool:
    """Whether ``values`` gives a value for a photo field of the register."""
    return isinstance(values, dict) and any(
        site.schema.field_type(spec).files and values.get(spec.name) not in (None, "", [])
        for spec in site.deployment.registers[name].fields)


def full_record(conn: Connection, site: Site, user: User, name: str, record_id: int,
                record: Record | None = None) -> dict[str, Any]:
    """A record with its whole history and the actions ``user`` may take now (``record``:
    the record as the engine just left it, so that it is not read again)."""
    if record is None:
        shape = records_json(conn, site, user, name,
                             record_rows(conn, site, name, [record_id]))[0]
    else:
        shape = record_json(site, user, record)
    shape["history"] = history_json(timeline(conn, site.schema, name, record_id))
    shape["actions"] = actions_json(available_actions(
        conn, site.runtime, user, name, record_id, clock=site.clock, record=record)
        ) if site.deployment.registers[name].workflow else []
    return shape


def _visible(conn: Connection, site: Site, user: User, name: str,
             record_id: int) -> Record:
    """The record's row; 404 unless it exists within the caller's scope."""
    row = fetch(conn, site, user, name, record_id)
    if row is None:
        raise ApiError(404, f"no {name} #{record_id} in your area")
    return row


def _create(call: Call, name: str) -> Any:
    site, body = call.site, call.body
    node, values = body.get("node"), body.get("values") or {}
    errors: dict[str, list[str]] = {}
    if not isinstance(node, str) or not node.strip():
        errors["node"] = ["required: the code of the node the record belongs to"]
    if not isinstance(values, dict):
        errors["values"] = ["must be an object of field values"]
    duty = body.get("duty")
    if duty is not None and (not isinstance(duty, int) or isinstance(duty, bool)):
        errors["duty"] = ["the id of the open duty this record fulfils"]
    if errors:
        raise ApiError(422, errors=errors)
    values, confirmed = confirmed_points(call, name, photo_values(call, name, values))
    system = {key: values.get(key) for key in ("category", "severity")}
    asked = create_fields(site.deployment, name)
    create = create_entry if site.deployment.registers[name].workflow is None else create_record
    # The request's one transaction: the checks, the record and the answer.
    conn = call.db
    refuse_outside(call, conn, name, node.strip(),
                   given_points(call, name, node.strip(), values, system, asked), confirmed)
    if duty is not None:
        try:
            if start(conn, site.runtime, duty, call.user.id).register != name:
                raise NotYours(str(duty))
        except NotYours:
            raise ApiError(422, errors={"duty": [f"no open duty #{duty} of {name} is "
                                                 "yours"]}) from None
    made = create(conn, site.runtime, call.user, name, node.strip(), values,
                  clock=site.clock)
    if duty is not None:  # the link writes the record: read it back
        link(conn, site.runtime, duty, name, made.id, site.clock())
        return 201, full_record(conn, site, call.user, name, made.id)
    return 201, full_record(conn, site, call.user, name, made.id, made)


def _list(call: Call, name: str) -> Any:
    site = call.site
    table, nodes = site.schema.table(name), site.schema.system("nodes")
    where = [scope_filter(with_verb(site.deployment, call.user, "view", name), table)]
    errors: dict[str, list[str]] = {}
    if (code := call.param("node")) is not None:
        node = site.node_by_code(code)
        if node is None:
            errors["node"] = [f"no node '{code}'"]
        else:
            where.append(table.c.node.in_(subtree_ids(nodes, node.path)))
    if (state := call.param("state")) is not None:
        workflow = site.deployment.registers[name].workflow
        if workflow is None or state not in site.deployment.workflows[workflow].states:
            errors["state"] = [f"no state '{state}'"]
        else:
            where.append(table.c.state == state)
    if (category := call.param("category")) is not None:
        codes = _category_codes(call, category)
        if not codes or "category" not in table.c:
            errors["category"] = [f"no category '{category}'"]
        else:
            where.append(table.c.category.in_(codes))
    number = parse_int(call.param("page") or "1", lo=1, hi=INT_MAX)
    if number is None:
        errors["page"] = ["a page number from 1"]
    if errors or number is None:
        raise ApiError(422, errors=errors)
    conn = call.db
    total = conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()
    ids = list(conn.execute(select(table.c.id).where(*where).order_by(table.c.id.desc())
                            .limit(PER_PAGE).offset((number - 1) * PER_PAGE)).scalars())
    items = records_json(conn, site, call.user, name, record_rows(conn, site, name, ids))
    return {"items": items, "total": int(total), "page": number, "per_page": PER_PAGE}


def _category_codes(call: Call, code: str) -> list[str]:
    """The category and every category below it; none when there is no such category."""
    for category, _ in call.site.deployment.all_categories():
        if category.code == code:
            return [c.code for c, _ in category.walk()]
    return []
