"""What a form shows for each field: the widget, its options, the value as typed, its errors.

Values travel as the browser sends them (text, or lists of text for checkboxes and
photos), so a re-rendered form shows exactly what was typed, valid or not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from ..auth import User
from ..config.models import FieldSpec
from .map_points import geo_value
from .records import scope_node_ids, scoped
from .site import Site

FormState = dict[str, Any]
"""Field name → the text typed (a list for multichoice and photos; ``NAME_lat``/``NAME_lon``
for points)."""

_WIDGETS = {"text": "text", "textarea": "textarea", "integer": "number", "decimal": "decimal",
            "boolean": "boolean", "date": "date", "datetime": "datetime", "choice": "choice",
            "multichoice": "checkboxes", "phone": "tel", "email": "email", "id_card": "text",
            "credit_code": "text", "geo_point": "geo", "photo": "photo", "file": "photo",
            "reference": "select", "node": "tree", "user": "select", "department": "select"}
RADIO_LIMIT = 4
"""Choice fields with at most this many options show as radio buttons."""
REFERENCE_LIMIT = 500


@dataclass
class FieldView:
    """One field as the form template draws it."""

    spec: FieldSpec
    label: str
    widget: str
    value: Any
    options: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    hidden: bool = False

    @property
    def name(self) -> str:
        """The input's name."""
        return self.spec.name

    @property
    def values(self) -> list[str]:
        """The value as a list (checkboxes, photos)."""
        if self.value is None:
            return []
        return [str(v) for v in self.value] if isinstance(self.value, list) else [str(self.value)]


def choice_options(site: Site, spec: FieldSpec) -> list[tuple[str, str]]:
    """(code, label) for each option of a choice or multichoice field."""
    options: Any = spec.choices
    if isinstance(options, str):
        options = site.deployment.choices.get(options, {})
    if isinstance(options, Mapping):
        return [(str(code), site.label(label, str(code))) for code, label in options.items()]
    return [(str(code), str(code)) for code in options or ()]


def field_options(conn: Connection, site: Site, user: User, spec: FieldSpec,
                  ) -> list[tuple[str, str]]:
    """The options a select offers: choices, nodes in scope, users, records in scope."""
    if spec.type in ("choice", "multichoice"):
        return choice_options(site, spec)
    if spec.type == "node":
        nodes = site.nodes()
        return node_options(site, [i for i in scope_node_ids(conn, site, user)
                                   if spec.level is None or nodes[i].level == spec.level])
    if spec.type == "user":
        users, grants = site.schema.system("users"), site.schema.system("grants")
        query = select(users.c.username, users.c.display_name).where(users.c.active.is_(True))
        if spec.role:
            query = query.where(users.c.id.in_(select(grants.c.user)
                                               .where(grants.c.role == spec.role)))
        return [(row.username, f"{row.display_name} ({row.username})")
                for row in conn.execute(query.order_by(users.c.username))]
    if spec.type == "department":
        return [(d.code, site.label(d.name, d.code)) for d in site.deployment.departments]
    if spec.type == "reference" and spec.register_name:
        target = spec.register_name
        table, query = scoped(site, user, target)
        title = record_title_column(site, target)
        rows = conn.execute(query.with_only_columns(table.c.id, table.c[title])
                            .order_by(table.c.id.desc()).limit(REFERENCE_LIMIT))
        return [(str(row.id), f"{row[1] or ''} #{row.id}") for row in rows]
    return []


def record_title_column(site: Site, register: str) -> str:
    """The field that names a register's records in lists."""
    spec = site.deployment.registers[register]
    name = spec.title or spec.fields[0].name
    return name if name in site.schema.table(register).c else "id"


def mask(text: str) -> str:
    """Hide the middle of an ID-card number or phone: 110105********1234 → 110***********1234."""
    if len(text) <= 4:
        return "*" * len(text)
    keep = 3 if len(text) > 7 else 1
    return text[:keep] + "*" * (len(text) - keep - 4) + text[-4:]


def _widget(site: Site, kind: str) -> str:
    """The built-in widget of a type, or the one a plugin's field type names."""
    if kind in _WIDGETS:
        return _WIDGETS[kind]
    offered = site.runtime.field_types.get(kind)
    return offered.widget if offered is not None and offered.widget else "text"


def build_views(conn: Connection, site: Site, user: User, register: str, state: FormState,
                errors: Mapping[str, list[str]], visible: set[str],
                masked: frozenset[str] = frozenset(),
                only: Collection[str] | None = None) -> list[FieldView]:
    """A view of every field of the register's form (or of the ``only`` ones it takes);
    ``masked`` ones show read-only, masked."""
    views = []
    for spec in site.deployment.registers[register].fields:
        if only is not None and spec.name not in only:
            continue
        widget = "computed" if spec.computed is not None else _widget(site, spec.type)
        if widget == "choice":
            options = choice_options(site, spec)
            widget = "radio" if len(options) <= RADIO_LIMIT else "select"
        elif widget in ("checkboxes", "select", "tree"):
            options = field_options(conn, site, user, spec)
        else:
            options = []
        value = (geo_value(state, spec.name) if spec.type == "geo_point"
                 else state.get(spec.name))
        if spec.name in masked and value:
            widget, value = "masked", mask(str(value))
        views.append(FieldView(spec, site.label(spec.label, spec.name), widget, value, options,
                               [site.t(e) for e in errors.get(spec.name, [])],
                               spec.name not in visible))
    return views


def state_from_record(site: Site, register: str, values: Mapping[str, Any],
                      codes: Mapping[str, Mapping[int, str]]) -> FormState:
    """A stored record's values as the form shows them for editing."""
    zone = site.runtime.zone
    state: FormState = {}
    for spec in site.deployment.registers[register].fields:
        value = values.get(spec.name)
        if value is None:
            continue
        if spec.type == "geo_point":
            state[f"{spec.name}_lat"], state[f"{spec.name}_lon"] = (str(v) for v in value)
        elif spec.type in ("node", "user"):
            state[spec.name] = codes[spec.type].get(value, "")
        elif isinstance(value, dt.datetime):
            state[spec.name] = value.astimezone(zone).strftime("%Y-%m-%dT%H:%M")
        elif isinstance(value, bool):
            state[spec.name] = "true" if value else "false"
        elif isinstance(value, list):
            state[spec.name] = [str(v) for v in value]
        else:
            state[spec.name] = value.isoformat() if isinstance(value, dt.date) else str(value)
    return state


def id_codes(conn: Connection, site: Site) -> dict[str, dict[int, str]]:
    """Node codes and usernames by id, to show stored ids as what users typed."""
    users = site.schema.system("users")
    return {"node": {node.id: node.code for node in site.nodes().values()},
            "user": dict(conn.execute(select(users.c.id, users.c.username)).all())}


def node_options(site: Site, ids: list[int]) -> list[tuple[str, str]]:
    """(code, name) of each node, indented below the shallowest one with no-break spaces
    (plain spaces collapse in an option; full-width ones break type-to-find)."""
    nodes = site.nodes()
    top = min((nodes[i].depth for i in ids), default=0)
    return [(nodes[i].code, "\u00a0\u00a0" * (nodes[i].depth - top) + nodes[i].name)
            for i in ids]
