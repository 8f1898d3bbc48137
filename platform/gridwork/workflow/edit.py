"""Edit a record's fields, place and category: the one way a person changes a record other
than by a workflow action, used by the pages and the API alike."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from ..config import Deployment
from ..forms.inputs import is_blank
from ..forms.messages import REQUIRED, message
from ..forms.steps import edit_fields, taken_by
from ..storage import Schema
from . import stays
from .actors import Actor, holds_node, with_verb
from ..clock import Clock
from ..runtime import Runtime
from .errors import Conflict, NotFound
from .history import Change, Kind, write
from .inputs import (
    OUTSIDE,
    category_errors,
    clean_fields,
    place_error,
    raise_if,
    split,
    unique_clashes,
)
from .records import Record, read_record, set_deadline
from .transaction import transaction

PLACE = ("node", "category", "severity")
"""What an edit may change beside the fields: where the record sits and its category."""


def edit_record(conn_or_engine: Connection | Engine, runtime: Runtime, user: Actor,
                register: str, record_id: int, values: Mapping[str, Any], *,
                version: int, clock: Clock, partial: bool = False) -> Record:
    """Change a record as ``user`` made it read at ``version``: every field an edit takes
    (as typed, the form's whole set: one left out is cleared, or with ``partial`` keeps its
    value; a field only a workflow step takes keeps its value, and a change to it is an
    error naming the step), and ``node`` (a code), ``category`` and ``severity`` when given. Write an `edited` history row with what
    changed and, for a record of a workflow, plan its stay again; return it as it ends up.

    Personal fields stay as stored for a user whose roles may not `unmask` them. Raises
    NotFound (not within where the user may `edit`), Conflict (``version`` is stale;
    nothing changed) or Invalid (every field error at once; nothing changed).
    """
    now = clock()
    deployment, schema = runtime.deployment, runtime.schema
    with transaction(conn_or_engine) as conn:
        allowed = with_verb(deployment, user, "edit", register)
        old = read_record(conn, schema, register, record_id, within=allowed)
        if old is None:
            raise NotFound(f"no {register} #{record_id} you may edit")
        _claim(conn, schema, old, version, now)
        spec = deployment.registers[register]
        errors: dict[str, list[str]] = {}
        fields, place = split(spec, values, PLACE, errors)
        _refuse_step_fields(deployment, register, fields, old.values, errors)
        masked = _kept_personal(schema, user, register)
        kept = masked | _step_only(deployment, register)
        if partial:
            # Only what is given changes: a masked field given is a mistake worth saying
            # (a whole form sends the masked text back, which is simply kept).
            kept |= {f.name for f in spec.fields if f.name not in fields}
            errors |= {name: ["personal data you see masked: your roles may not change it"]
                       for name in masked & fields.keys()}
        columns = _place(conn, deployment, schema, user, old, place, errors)
        system = {"category": columns.get("category", old.category),
                  "severity": columns.get("severity", old.severity),
                  "node": place.get("node") or old.node}
        clean, field_errors = clean_fields(
            conn, runtime, register, {n: v for n, v in fields.items() if n not in kept},
            system, runtime.functions_at(now), user, old.values,
            only=[f.name for f in spec.fields if f.name not in kept])
        clean |= {name: old.values.get(name) for name in kept}
        raise_if({**errors, **field_errors, **unique_clashes(conn, schema, register, clean,
                                                           record_id)})
        table = schema.table(register)
        conn.execute(update(table).where(table.c.id == record_id).values(
            **schema.columns(register, clean), **columns))
        new = read_record(conn, schema, register, record_id)
        assert new is not None
        write(conn, schema, Change(Kind.EDITED, register, record_id, now, actor=user.id,
                                   from_state=old.state, to_state=old.state,
                                   round=old.round if old.state else None,
                                   **_changed(old, new)))
        if new.state is None:
            return new
        workflow = spec.workflow or ""
        set_deadline(conn, schema, new, stays.replan(conn, schema, runtime.deadlines,
                                                     workflow, new, now))
        replanned = read_record(conn, schema, register, record_id)
        assert replanned is not None
        return replanned


def _claim(conn: Connection, schema: Schema, old: Record, version: int,
           now: dt.datetime) -> None:
    """Move the version on first, so a concurrent edit of the same version waits and then
    finds nothing to claim."""
    table = schema.table(old.register)
    claimed = conn.execute(update(table).where(
        table.c.id == old.id, table.c.version == version).values(
        version=table.c.version + 1, updated_at=now)).rowcount
    if claimed != 1:
        raise Conflict(f"{old.register} #{old.id} was changed by someone else; reload it")


def _step_only(deployment: Deployment, register: str) -> frozenset[str]:
    """Fields an edit does not take (a workflow step asks for or sets them, or they are
    computed from such fields): they keep what the record holds."""
    editable = edit_fields(deployment, register)
    return frozenset(f.name for f in deployment.registers[register].fields
                     if f.name not in editable)


def _refuse_step_fields(deployment: Deployment, register: str, fields: dict[str, Any],
                        held: Mapping[str, Any], errors: dict[str, list[str]]) -> None:
    """A change to a field only a workflow step takes, named with the step that does."""
    for name in _step_only(deployment, register) & fields.keys():
        if fields[name] == held.get(name) or (is_blank(fields[name]) and is_blank(held.get(name))):
            continue
        steps = taken_by(deployment, register, name)
        errors[name] = ["not changed by an edit" + (
            " but by the action " + " or ".join(f"'{step}'" for step in steps) if steps
            else ": it is computed from fields an action sets")]


def _kept_personal(schema: Schema, user: Actor, register: str) -> frozenset[str]:
    """Personal fields a user whose roles may not `unmask` them sees masked, so cannot
    change."""
    if with_verb(schema.deployment, user, "unmask", register).grants:
        return frozenset()
    return frozenset(f.name for f in schema.deployment.registers[register].fields
                     if schema.personal(f))


def _place(conn: Connection, deployment: Deployment, schema: Schema, user: Actor, old: Record,
           given: dict[str, Any], errors: dict[str, list[str]]) -> dict[str, Any]:
    """Column values for a new node, category and severity, or what is wrong with them."""
    spec = deployment.registers[old.register]
    columns: dict[str, Any] = {}
    if "node" in given:
        code = given["node"]
        nodes = schema.system("nodes")
        found = None if is_blank(code) else conn.execute(
            select(nodes.c.id, nodes.c.path, nodes.c.level).where(nodes.c.code == str(code))
        ).first()
        allowed = with_verb(deployment, user, "edit", old.register).grants
        if is_blank(code):
            errors["node"] = [message(REQUIRED)]
        elif found is None or not any(holds_node(g, found.id, found.path) for g in allowed):
            errors["node"] = [message(OUTSIDE)]
        elif (wrong := place_error(deployment, old.register, str(code), found.level)) is not None:
            errors["node"] = [wrong]
        else:
            columns["node"] = found.id
    if spec.categorized and deployment.categories and (
            "category" in given or "severity" in given):
        category, severity, problems = category_errors(
            schema, spec, given.get("category", old.category),
            given.get("severity", old.severity))
        errors.update(problems)
        columns |= {"category": category, "severity": severity}
    return columns


def _changed(old: Record, new: Record) -> dict[str, dict[str, Any]]:
    """The fields, category and severity an edit changed: their old and new values."""
    was = {**old.values, "category": old.category, "severity": old.severity}
    now = {**new.values, "category": new.category, "severity": new.severity}
    names = [name for name, value in now.items() if was.get(name) != value]
    return {"before": {n: was.get(n) for n in names}, "after": {n: now[n] for n in names}}
