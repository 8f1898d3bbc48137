"""A record as the engine reads it: system columns by name, field values, and its stay."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Row, Table, select

from ..storage import Schema
from .errors import NotFound


@dataclass(frozen=True)
class Record:
    """One record of a register, with codes where the database keeps ids."""

    register: str
    id: int
    node: str
    node_id: int
    node_path: str
    state: str | None
    version: int
    round: int
    category: str | None
    severity: str | None
    department: str | None
    department_id: int | None
    assignee: int | None
    reporter: int | None
    priority: str | None
    deadline: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    values: dict[str, Any] = field(default_factory=dict)
    """The register's own fields; a point as (lat, lon)."""

    def scope(self) -> dict[str, Any]:
        """What expressions on this record read: its fields and its system fields."""
        return {**self.values, "id": self.id, "node": self.node, "state": self.state,
                "category": self.category, "severity": self.severity,
                "department": self.department, "assignee": self.assignee,
                "reporter": self.reporter, "priority": self.priority, "round": self.round,
                "deadline": self.deadline, "created_at": self.created_at,
                "updated_at": self.updated_at, "version": self.version}


def load_record(conn: Connection, schema: Schema, register: str, record_id: int) -> Record:
    """Read one record of a register that has a workflow; NotFound when there is none."""
    spec = schema.deployment.registers.get(register)
    if spec is None or spec.workflow is None:
        raise NotFound(f"no register '{register}' with a workflow")
    table = schema.table(register)
    nodes, departments = schema.system("nodes"), schema.system("departments")
    query = (select(table, nodes.c.code.label("_node_code"), nodes.c.path.label("_node_path"),
                    departments.c.code.label("_department_code"))
             .join(nodes, nodes.c.id == table.c.node)
             .outerjoin(departments, departments.c.id == table.c.department)
             .where(table.c.id == record_id))
    row = conn.execute(query).mappings().first()
    if row is None:
        raise NotFound(f"{register} #{record_id}")
    return _record(schema, register, row)


def _record(schema: Schema, register: str, row: Any) -> Record:
    return Record(
        register=register, id=row["id"], node=row["_node_code"], node_id=row["node"],
        node_path=row["_node_path"], state=row["state"], version=row["version"],
        round=row["round"] or 1, category=row["category"], severity=row["severity"],
        department=row["_department_code"], department_id=row["department"],
        assignee=row["assignee"], reporter=row["reporter"], priority=row["priority"],
        deadline=row["deadline"], created_at=row["created_at"], updated_at=row["updated_at"],
        values=schema.values(register, row))


def department_ids(conn: Connection, schema: Schema) -> dict[str, int]:
    """Department ids by code."""
    departments = schema.system("departments")
    return dict(conn.execute(select(departments.c.code, departments.c.id)).all())


def node_row(conn: Connection, nodes: Table, code: str) -> Row[Any, Any, Any] | None:
    """The node with ``code`` (id, path, level), if any."""
    query = select(nodes.c.id, nodes.c.path, nodes.c.level).where(nodes.c.code == code)
    return conn.execute(query).first()
