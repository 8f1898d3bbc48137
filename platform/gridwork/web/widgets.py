"""What a form shows for each field: the widget, its options, the value as typed, its errors.

Values travel as the browser sends them (text, or lists of text for checkboxes and
photos), so a re-rendered form shows exactly what was typed, valid or not.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from ..auth import User
from ..config.models import FieldSpec
from .names import Names, choice_options, record_title_column
from .records import scope_node_ids, scoped
from .site import Site

FormState = dict[str, Any]
"""Field name → the text typed (a list for multichoice and photos; ``NAME_lat``/``NAME_lon``
for points)."""

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


class Offer:
    """What a form's selects may offer the signed-in user: options, nodes and records in
    their scope, users, departments."""

    def __init__(self, conn: Connection, site: Site, user: User) -> None:
        self.conn, self.site, self.user = conn, site, user

    def choices(self, spec: FieldSpec) -> list[tuple[str, str]]:
        """The options of a choice field."""
        return choice_options(self.site, spec)

    def nodes(self, level: str | None) -> list[tuple[str, str]]:
        """The nodes in the user's scope (at ``level``)."""
        nodes = self.site.nodes()
        return node_options(self.site, [i for i in scope_node_ids(self.conn, self.site, self.user)
                                        if level is None or nodes[i].level == level])

    def record_nodes(self, register: str) -> list[tuple[str, str]]:
        """The nodes in the user's scope that may hold ``register``'s records."""
        nodes, d = self.site.nodes(), self.site.deployment
        return node_options(self.site, [i for i in scope_node_ids(self.conn, self.site, self.user)
                                        if d.holds_records(register, nodes[i].code,
                                                           nodes[i].level)])

    def users(self, role: str | None) -> list[tuple[str, str]]:
        """The active users (holding ``role``)."""
        users, grants = self.site.schema.system("users"), self.site.schema.system("grants")
        query = select(users.c.username, users.c.display_name).where(users.c.active.is_(True))
        if role:
            query = query.where(users.c.id.in_(select(grants.c.user)
                                               .where(grants.c.role == role)))
        return [(row.username, f"{row.display_name} ({row.username})")
                for row in self.conn.execute(query.order_by(users.c.username))]

    def departments(self) -> list[tuple[str, str]]:
        """Every department."""
        return [(d.code, self.site.label(d.name, d.code)) for d in self.site.deployment.departments]

    def records(self, register: str) -> list[tuple[str, str]]:
        """The latest records of ``register`` in the user's scope."""
        table, query = scoped(self.site, self.user, register)
        title = record_title_column(self.site, register)
        rows = self.conn.execute(query.with_only_columns(table.c.id, table.c[title])
                                 .order_by(table.c.id.desc()).limit(REFERENCE_LIMIT))
        return [(str(row.id), f"{row[1] or ''} #{row.id}") for row in rows]


def field_options(conn: Connection, site: Site, user: User, spec: FieldSpec,
                  ) -> list[tuple[str, str]]:
    """The options a field's select, radio buttons or checkboxes offer."""
    return site.schema.field_type(spec).form_options(spec, Offer(conn, site, user))


def mask(text: str) -> str:
    """Hide the middle of an ID-card number or phone: 110105********1234 → 110***********1234."""
    if len(text) <= 4:
        return "*" * len(text)
    keep = 3 if len(text) > 7 else 1
    return text[:keep] + "*" * (len(text) - keep - 4) + text[-4:]


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
        kind = site.schema.field_type(spec)
        widget = "computed" if spec.computed is not None else kind.widget
        options = [] if widget == "computed" else field_options(conn, site, user, spec)
        if widget == "choice":
            widget = "radio" if len(options) <= RADIO_LIMIT else "select"
        value = kind.form_value(spec, state)
        if spec.name in masked and value:
            widget, value = "masked", mask(str(value))
        views.append(FieldView(spec, site.label(spec.label, spec.name), widget, value, options,
                               [site.t(e) for e in errors.get(spec.name, [])],
                               spec.name not in visible))
    return views


def state_from_record(site: Site, register: str, values: Mapping[str, Any],
                      codes: Mapping[str, Mapping[int, str]]) -> FormState:
    """A stored record's values as the form shows them for editing."""
    names = Names(site, usernames=dict(codes["user"]))
    state: FormState = {}
    for spec in site.deployment.registers[register].fields:
        value = values.get(spec.name)
        if value is not None:
            state |= site.schema.field_type(spec).form_state(spec, value, names)
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
