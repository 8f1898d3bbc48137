"""What a page knows to show stored values: option labels, node and user names, record
titles, read once per page. A field type asks it through `gridwork.forms.fieldtype.Names`."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from ..config.models import FieldSpec
from .site import Site


def choice_options(site: Site, spec: FieldSpec) -> list[tuple[str, str]]:
    """(code, label) for each option of a choice or multichoice field."""
    options: Any = spec.choices
    if isinstance(options, str):
        options = site.deployment.choices.get(options, {})
    if isinstance(options, Mapping):
        return [(str(code), site.label(label, str(code))) for code, label in options.items()]
    return [(str(code), str(code)) for code in options or ()]


def record_title_column(site: Site, register: str) -> str:
    """The field that names a register's records in lists."""
    spec = site.deployment.registers[register]
    name = spec.title or spec.fields[0].name
    return name if name in site.schema.table(register).c else "id"


@dataclass
class Names:
    """Names for the ids a page shows: users' display names and usernames, referenced
    records' titles; nodes, departments and options come from the site."""

    site: Site
    users: dict[int, str] = field(default_factory=dict)
    titles: dict[str, dict[int, str]] = field(default_factory=dict)
    usernames: dict[int, str] = field(default_factory=dict)

    @classmethod
    def load(cls, conn: Connection, site: Site, register: str, rows: Iterable[Any]) -> Names:
        """Names of the users and records that ``rows`` of ``register`` point to."""
        rows = list(rows)
        users = site.schema.system("users")
        user_ids = {getattr(row, "reporter", None) for row in rows}
        registers = {table.name: name for name, table in site.schema.registers.items()}
        titles: dict[str, dict[int, str]] = {}
        for spec in site.deployment.registers[register].fields:
            key = site.schema.field_type(spec).foreign_key(spec)
            target = key.split(".")[0] if key else None
            if target != users.name and target not in registers:
                continue
            ids = {getattr(row, spec.name) for row in rows} - {None}
            if target == users.name:
                user_ids |= ids
            elif ids:
                other = registers[str(target)]
                table = site.schema.table(other)
                column = table.c[record_title_column(site, other)]
                titles.setdefault(other, {}).update(
                    conn.execute(select(table.c.id, column).where(table.c.id.in_(ids))).all())
        user_ids -= {None}
        names = dict(conn.execute(select(users.c.id, users.c.display_name)
                                  .where(users.c.id.in_(user_ids))).all()) if user_ids else {}
        return cls(site, names, titles)

    @property
    def timezone(self) -> zoneinfo.ZoneInfo:
        """The deployment's time zone."""
        return self.site.runtime.zone

    def t(self, text: str) -> str:
        """``text`` in the reader's language."""
        return self.site.t(text)

    def choices(self, spec: FieldSpec) -> list[tuple[str, str]]:
        """(code, label) of each option of a choice field."""
        return choice_options(self.site, spec)

    def node_name(self, node_id: int) -> str | None:
        """The name of a node."""
        node = self.site.nodes().get(node_id)
        return node.name if node else None

    def node_code(self, node_id: int) -> str | None:
        """The code of a node."""
        node = self.site.nodes().get(node_id)
        return node.code if node else None

    def username(self, user_id: int) -> str | None:
        """The username of a user."""
        return self.usernames.get(user_id)

    def user_name(self, user_id: int) -> str | None:
        """The display name of a user."""
        return self.users.get(user_id)

    def record_title(self, register: str, record_id: int) -> str | None:
        """The title of a record."""
        return self.titles.get(register, {}).get(record_id)

    def department_name(self, code: str) -> str | None:
        """The name of a department."""
        department = self.site.deployment.department(code)
        return self.site.label(department.name, code) if department else None
