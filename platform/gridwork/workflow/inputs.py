"""What a person gives with an action or a new record, checked by the register's form:
field values, the system values a person may set (department, assignee, priority) and
the fields a transition requires."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from sqlalchemy import Connection, select

from ..config import Deployment
from ..config.models import SYSTEM_FIELDS, FieldSpec, Register
from ..forms.inputs import is_blank
from ..forms.messages import REQUIRED, message
from ..runtime import Runtime
from ..hierarchy import HasGrants, scope_filter
from ..integers import parse_int
from ..storage import Schema
from .dispatch import category_lineage
from .errors import Invalid
from .records import department_ids

SETTABLE = ("department", "assignee", "priority")
"""System values a person may give with an action."""

Errors = dict[str, list[str]]


NOT_ASKED = "not asked by this action"
NOT_ON_FORM = "not on the form for a new record"


def split(register: Register, given: Mapping[str, Any], allowed: tuple[str, ...],
          errors: Errors, asked: Collection[str] | None = None,
          ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Separate the register's field values (those ``asked``, by default all) from the
    allowed system values; note others."""
    fields: dict[str, Any] = {}
    system: dict[str, Any] = {}
    for name, value in given.items():
        if register.field(name) is not None and asked is not None and name not in asked:
            errors[name] = [message(NOT_ON_FORM)]
        elif register.field(name) is not None:
            fields[name] = value
        elif name in allowed:
            system[name] = value
        else:
            errors[name] = [message("not a field of this register")]
    return fields, system


def system_columns(conn: Connection, schema: Schema, given: Mapping[str, Any],
                   errors: Errors) -> dict[str, Any]:
    """Column values for the given system values: a department code and a user as ids."""
    columns: dict[str, Any] = {}
    users = schema.system("users")
    for name, value in given.items():
        if is_blank(value):
            columns[name] = None
        elif name == "department":
            ids = department_ids(conn, schema)
            if value in ids:
                columns[name] = ids[value]
            else:
                errors[name] = [message("no department '{code}'", code=value)]
        elif name == "assignee":
            key = users.c.id if isinstance(value, int) else users.c.username
            found = conn.execute(select(users.c.id).where(key == value)).scalar()
            if found is None:
                errors[name] = [message("no user '{user}'", user=value)]
            columns[name] = found
        else:
            codes = schema.deployment.choices.get(name)
            if codes is not None and str(value) not in codes:
                errors[name] = [message("'{code}' is not one of the options", code=value)]
            columns[name] = str(value)
    return columns


def clean_fields(conn: Connection, runtime: Runtime, register_name: str, raw: Mapping[str, Any],
                 system: Mapping[str, Any], functions: Mapping[str, Callable[..., Any]],
                 user: HasGrants | None = None, kept: Mapping[str, Any] | None = None,
                 only: Collection[str] | None = None) -> tuple[dict[str, Any], Errors]:
    """Every field's clean value and every field's errors, through the register's form.

    With ``user``, a reference must point to a record in the user's scope, unless it is the
    value the record already holds (``kept``): someone else may have set it.
    """
    schema, form = runtime.schema, runtime.forms[register_name].gridwork_form
    known = {name: system.get(name) for name in SYSTEM_FIELDS}
    held = kept or {}

    def resolve(spec: FieldSpec, value: Any) -> Any:
        scope = None if user is None or held.get(spec.name) == value else user
        return _resolve(conn, schema, spec, value, scope)

    return form.clean(raw, system=known, functions=functions, resolve=resolve, only=only)


OUTSIDE = "not within your area"
WRONG_LEVEL = "not at the right level"
HAS_BELOW = "records sit on the areas below this one; choose one of them"


def place_error(deployment: Deployment, register: str, code: str, level: str) -> str | None:
    """Why a record of ``register`` may not sit on node ``code`` of ``level``, if it may not."""
    if deployment.holds_records(register, code, level):
        return None
    return message(HAS_BELOW if level in deployment.record_levels(register) else WRONG_LEVEL)


def _resolve(conn: Connection, schema: Schema, spec: FieldSpec, value: Any,
             user: HasGrants | None) -> Any:
    """The stored form of a node, user or reference value; ValueError when it names nothing
    (or, checked for ``user``, a node or record outside their scope). The messages are the
    pages' words, so the pages show them translated."""
    return schema.field_type(spec).resolve(spec, value, _Existing(conn, schema, user))


class _Existing:
    """Looks codes up among what exists; nodes and records also within ``user``'s scope,
    if given."""

    def __init__(self, conn: Connection, schema: Schema, user: HasGrants | None) -> None:
        self.conn, self.schema, self.user = conn, schema, user

    def node(self, code: str, level: str | None) -> int:
        nodes = self.schema.system("nodes")
        query = select(nodes.c.id, nodes.c.level).where(nodes.c.code == code)
        if self.user is not None:
            query = query.where(scope_filter(self.user, nodes))
        found = self.conn.execute(query).first()
        if found is None:
            raise ValueError(message(OUTSIDE))
        if level is not None and found.level != level:
            raise ValueError(message(WRONG_LEVEL))
        return int(found.id)

    def user(self, username: str) -> int:
        users = self.schema.system("users")
        found = self.conn.execute(
            select(users.c.id).where(users.c.username == username)).scalar()
        if found is None:
            raise ValueError(message("no such user"))
        return int(found)

    def record(self, register: str, number: Any) -> Any:
        if register not in self.schema.registers:
            return number
        table = self.schema.table(register)
        found = parse_int(number if isinstance(number, int) else str(number), lo=1)
        query = select(table.c.id).where(table.c.id == (found or 0))
        if found is None or self.conn.execute(query).first() is None:
            raise ValueError(message("no such record"))
        if self.user is not None and self.conn.execute(
                query.where(scope_filter(self.user, table))).first() is None:
            raise ValueError(message(OUTSIDE))
        return found


def category_errors(schema: Schema, register: Register, category: Any,
                    severity: Any) -> tuple[str | None, str | None, Errors]:
    """Check a new record's category and severity; default the severity to the first
    the category allows."""
    errors: Errors = {}
    if not register.categorized or not schema.deployment.categories:
        return None, None, errors
    deployment = schema.deployment
    lineage = category_lineage(deployment, category) if isinstance(category, str) else []
    if is_blank(category):
        errors["category"] = [message(REQUIRED)]
        return None, None, errors
    if not lineage:
        errors["category"] = [message("no category '{code}'", code=category)]
        return None, None, errors
    by_code = {c.code: c for c, _ in deployment.all_categories()}
    allowed = next((by_code[c].severities for c in lineage if by_code[c].severities), None)
    if is_blank(severity):
        return str(category), allowed[0] if allowed else None, errors
    if allowed is not None and severity not in allowed:
        errors["severity"] = [message("'{code}' is not one of the options", code=severity)]
    return str(category), str(severity), errors


UNIQUE_CLASH = "already used by another record"


def unique_clashes(conn: Connection, schema: Schema, register: str, clean: Mapping[str, Any],
                   record_id: int | None = None) -> Errors:
    """Unique fields whose value another record already holds (over all records, not only
    the user's: the database's constraint would refuse it anyway)."""
    table = schema.table(register)
    errors: Errors = {}
    for spec in schema.deployment.registers[register].fields:
        value = clean.get(spec.name)
        if not spec.unique or value is None:
            continue
        query = select(table.c.id).where(table.c[spec.name] == value)
        if record_id is not None:
            query = query.where(table.c.id != record_id)
        if conn.execute(query.limit(1)).first() is not None:
            errors[spec.name] = [UNIQUE_CLASH]
    return errors


def raise_if(errors: Errors) -> None:
    """Raise Invalid when there are errors."""
    if errors:
        raise Invalid(errors)
