"""The JSON the API answers with: registers, records, history and actions, in the
shapes the OpenAPI document states; values as JSON holds them (ISO dates, decimals as text, points as [lat, lon])."""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Select, Table, bindparam, select

from ..auth import User, may
from ..config.models import FieldSpec
from ..config.types import Moment
from ..forms.steps import create_fields, edit_fields
from ..workflow import Available, Entry, Record
from ..workflow.records import department_ids
from .site import Site
from .names import choice_options
from .widgets import mask


def plain(value: Any) -> Any:
    """A stored value as JSON holds it."""
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple | list):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    return value


def dumps(content: Any) -> bytes:
    """JSON bytes of ``content``, Chinese kept readable."""
    return json.dumps(plain(content), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def field_json(site: Site, spec: FieldSpec) -> dict[str, Any]:
    """One field as a client needs it to build a form."""
    shape: dict[str, Any] = {
        "name": spec.name, "type": spec.type, "label": site.label(spec.label, spec.name),
        "required": spec.required, "unique": spec.unique, "computed": spec.computed is not None,
        "choices": [{"value": code, "label": label}
                    for code, label in choice_options(site, spec)]
        if "choices" in site.schema.field_type(spec).options else [],
    }
    if spec.help is not None:
        shape["help"] = site.label(spec.help)
    extras = {"register": spec.register_name, "level": spec.level, "role": spec.role,
              "min": _bound(spec.min), "max": _bound(spec.max), "max_length": spec.max_length,
              "multiple": spec.multiple or None}
    return shape | {name: value for name, value in extras.items() if value is not None}


def _bound(bound: Any) -> Any:
    """A field's min or max as JSON holds it: one that moves with the clock as written."""
    return str(bound) if isinstance(bound, Moment) else bound


def register_json(site: Site, name: str) -> dict[str, Any]:
    """A register: its name, label, workflow and fields (and categories, when it has them)."""
    spec = site.deployment.registers[name]
    shape: dict[str, Any] = {
        "name": name, "label": site.label(spec.label, name), "workflow": spec.workflow,
        "level": site.deployment.record_levels(name)[0],
        "levels": list(site.deployment.record_levels(name)),
        "fields": [field_json(site, field) for field in spec.fields],
        "create": list(create_fields(site.deployment, name)),
        "edit": list(edit_fields(site.deployment, name)),
    }
    if spec.categorized and site.deployment.categories:
        shape["categories"] = [
            {"value": c.code, "label": site.label(c.label, c.code),
             "parent": parent.code if parent else None, "severities": list(c.severities or ())}
            for c, parent in site.deployment.all_categories()]
    return shape


def record_rows(conn: Connection, site: Site, register: str, ids: Sequence[int]) -> list[Any]:
    """The rows of the records ``ids``, in that order, with their node's code (one query)."""
    rows = conn.execute(_rows(site.schema.table(register)), {"_ids": list(ids)}).mappings()
    by_id = {row["id"]: row for row in rows}
    return [by_id[i] for i in ids if i in by_id]


@functools.lru_cache(maxsize=1024)
def _rows(table: Table) -> Select[Any]:
    """The rows of the records ``:_ids`` with their node's code, built once per table."""
    nodes = table.metadata.tables["nodes"]
    return (select(table, nodes.c.code.label("_node_code"))
            .join(nodes, nodes.c.id == table.c.node)
            .where(table.c.id.in_(bindparam("_ids", expanding=True))))


_SYSTEM = ("round", "category", "severity", "assignee", "reporter", "priority", "deadline",
           "created_at", "updated_at")
"""The system values a record's JSON holds, those of its table's columns."""


def records_json(conn: Connection, site: Site, user: User, register: str,
                rows: Iterable[Any]) -> list[dict[str, Any]]:
    """Records as the list answers them: system values, and field values (personal ones
    masked for roles without `unmask`)."""
    unmask = may(site.deployment, user, "unmask", register)
    departments = ({i: code for code, i in department_ids(conn, site.schema).items()}
                   if "department" in site.schema.table(register).c else {})
    found = []
    for row in rows:
        shape = _shape(site, register, unmask, row["id"], row["_node_code"], row.get("state"),
                       row["version"], site.schema.values(register, row))
        for name in _SYSTEM:
            if name in row:
                shape[name] = row[name]
        if "department" in row:
            shape["department"] = departments.get(row["department"])
        found.append(shape)
    return found


def record_json(site: Site, user: User, record: Record) -> dict[str, Any]:
    """A record as the engine just returned it, in the shape of `records_json` (without
    reading it again)."""
    register = record.register
    columns = site.schema.table(register).c
    shape = _shape(site, register, may(site.deployment, user, "unmask", register), record.id,
                   record.node, record.state, record.version, record.values)
    for name in _SYSTEM:
        if name in columns:
            shape[name] = getattr(record, name)
    if "department" in columns:
        shape["department"] = record.department
    return shape


def _shape(site: Site, register: str, unmask: bool, record_id: int, node: str,
           state: str | None, version: int, values: dict[str, Any]) -> dict[str, Any]:
    if not unmask:
        spec = site.deployment.registers[register]
        values = {name: _masked(site, spec.field(name), value)
                  for name, value in values.items()}
    return {"id": record_id, "register": register, "node": node, "values": values,
            "state": state, "version": version}


def _masked(site: Site, spec: FieldSpec | None, value: Any) -> Any:
    if spec is None or value is None or not site.schema.personal(spec):
        return value
    return mask(str(value))


def history_json(entries: Iterable[Entry]) -> list[dict[str, Any]]:
    """A record's timeline, every round, oldest first."""
    return [{"at": e.at, "actor": e.actor_name, "kind": e.kind.value, "action": e.action,
             "from": e.from_state, "to": e.to_state, "comment": e.comment, "round": e.round,
             "config": e.config}
            for e in entries]


def actions_json(found: Iterable[Available]) -> list[dict[str, Any]]:
    """The actions the caller may take now."""
    return [{"name": a.name, "label": a.label, "to": a.to, "require": list(a.require),
             "optional": list(a.optional)}
            for a in found]
