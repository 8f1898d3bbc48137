"""Turn one imported cell into the values its columns store, through its field type."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from ..config import Deployment
from ..config.models import FieldSpec
from .columns import choice_codes
from .schema import Schema


class Lookups:
    """The sheet an import reads: codes and names its cells refer to (read once per
    import), the deployment's zone and options."""

    def __init__(self, conn: Connection, schema: Schema) -> None:
        nodes, users = schema.system("nodes"), schema.system("users")
        self.nodes = {row.code: (row.id, row.level)
                      for row in conn.execute(select(nodes.c.code, nodes.c.id, nodes.c.level))}
        self.users = dict(conn.execute(select(users.c.username, users.c.id)).all())
        self.deployment: Deployment = schema.deployment
        self.timezone = self.deployment.about.zone
        self.lookup = self

    def node(self, code: str, level: str | None) -> int:
        """The id of the node with ``code``, which must sit at ``level`` when given."""
        return node_id(self, code, level)

    def user(self, username: str) -> int:
        """The id of the user named ``username``."""
        if username not in self.users:
            raise ValueError(f"no user '{username}'")
        return int(self.users[username])

    def record(self, register: str, number: int) -> int:
        """``number``: the import checks every row's references at once, after the cells."""
        return number

    def choice_codes(self, spec: FieldSpec) -> list[str] | None:
        """The codes a choice field allows."""
        return choice_codes(spec, self.deployment.choices)

    def codes_by_label(self, spec: FieldSpec) -> dict[str, str]:
        """A choice field's codes by each of their labels, in every language."""
        options: Any = spec.choices
        if isinstance(options, str):
            options = self.deployment.choices.get(options, {})
        if not isinstance(options, dict):
            return {}
        return {text: code for code, label in options.items()
                for text in (label.zh, label.en) if text}


def clean_cell(spec: FieldSpec, raw: Any, schema: Schema, lookups: Lookups) -> dict[str, Any]:
    """Column values for one cell of ``spec``'s field; raises ValueError with a user's message."""
    kind = schema.field_type(spec)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if spec.required and spec.show_if is None:
            raise ValueError("a value is required")
        return kind.to_columns(spec, None)
    return kind.to_columns(spec, kind.import_cell(spec, raw, lookups))


def node_id(lookups: Lookups, code: Any, level: str | tuple[str, ...] | None) -> int:
    """The id of the node with ``code``, which must sit at ``level`` (or one of several)
    when given."""
    found = lookups.nodes.get(str(code).strip())
    if found is None:
        raise ValueError(f"no node has code '{code}'")
    levels = (level,) if isinstance(level, str) else level
    if levels is not None and found[1] not in levels:
        raise ValueError(f"node '{code}' is a {found[1]}, not a {' or '.join(levels)}")
    return found[0]


def record_node_id(lookups: Lookups, code: Any, register: str) -> int:
    """The id of the node with ``code``, which must be one that holds ``register``'s records."""
    d = lookups.deployment
    found = node_id(lookups, code, d.record_levels(register))
    if not d.holds_records(register, str(code).strip(), lookups.nodes[str(code).strip()][1]):
        raise ValueError(f"node '{code}' has nodes below it; {register} records sit at "
                         f"{d.record_place(register)}")
    return found
