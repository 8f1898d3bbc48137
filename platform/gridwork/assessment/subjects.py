"""Who a sheet scores — nodes of a level (each with its subtree), users of a role,
departments — and which column of a row makes it theirs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, String, func, select

from ..config.models.outputs import Subject
from ..storage import Schema


@dataclass(frozen=True)
class Who:
    """One subject on a sheet."""

    kind: str
    """node, user or department."""
    id: int
    key: str
    """The node's or department's code, the user's name."""
    name: str
    parent: str | None
    """The key of the node it is ranked within (None: ranked among all)."""
    node: int | None = None
    """The node it answers for (a user's: where the role is granted), for scopes."""

    def shape(self) -> dict[str, Any]:
        return {"kind": self.kind, "key": self.key, "name": self.name, "id": self.id,
                "parent": self.parent, "node": self.node}


def spec_key(subject: Subject) -> str:
    """The subject set's name: `level:grid`, `role:grid_worker`, `departments`."""
    if subject.level is not None:
        return f"level:{subject.level}"
    if subject.role is not None:
        return f"role:{subject.role}"
    return "departments"


def parse_spec(text: str, subjects: tuple[Subject, ...]) -> Subject:
    """The configured subject set ``text`` names; ValueError lists those there are."""
    for subject in subjects:
        if spec_key(subject) == text:
            return subject
    raise ValueError(f"'{text}' is not assessed; the config assesses "
                     f"{', '.join(spec_key(s) for s in subjects)}")


def subjects(conn: Connection, schema: Schema, subject: Subject) -> list[Who]:
    """Every subject of the set, in a stable order."""
    nodes = schema.system("nodes")
    if subject.level is not None:
        parent = nodes.alias("parent")
        rows = conn.execute(select(nodes.c.id, nodes.c.code, nodes.c.name, parent.c.code)
                            .outerjoin(parent, parent.c.id == nodes.c.parent)
                            .where(nodes.c.level == subject.level).order_by(nodes.c.path))
        return [Who("node", r[0], r[1], r[2], r[3], r[0]) for r in rows]
    if subject.role is not None:
        users, grants = schema.system("users"), schema.system("grants")
        node = nodes.alias("at")
        parent = nodes.alias("parent")
        first = (select(grants.c.user, func.min(grants.c.node).label("node"))
                 .where(grants.c.role == subject.role).group_by(grants.c.user).subquery())
        rows = conn.execute(select(users.c.id, users.c.username, users.c.display_name,
                                   parent.c.code, first.c.node)
                            .join(first, first.c.user == users.c.id)
                            .outerjoin(node, node.c.id == first.c.node)
                            .outerjoin(parent, parent.c.id == node.c.parent)
                            .where(users.c.active.is_(True)).order_by(users.c.username))
        return [Who("user", r[0], r[1], r[2], r[3], r[4]) for r in rows]
    departments = schema.system("departments")
    rows = conn.execute(select(departments.c.id, departments.c.code, departments.c.name,
                               departments.c.node).order_by(departments.c.code))
    return [Who("department", r[0], r[1], r[2], None, r[3]) for r in rows]


def node_owner(schema: Schema, level: str) -> Select[Any]:
    """(node, subject): every node with the node of ``level`` whose subtree holds it.

    Each node looks up the nearest ``level`` path at or before its own (one backward
    step along the path index) and keeps it when its path lies in that subtree's range;
    a join of every node with every node of the level would compare them all."""
    nodes = schema.system("nodes")
    top = nodes.alias("top")
    owner = nodes.alias("owner")
    nearest = (select(top.c.path).where(top.c.level == level, top.c.path <= nodes.c.path)
               .order_by(top.c.path.desc()).limit(1).correlate(nodes).scalar_subquery())
    end = func.substr(owner.c.path, 1, func.length(owner.c.path) - 1, type_=String).concat("0")
    return (select(nodes.c.id.label("node"), owner.c.id.label("subject"))
            .select_from(nodes).join(owner, owner.c.path == nearest)
            .where(nodes.c.path < end))
