"""A record as the engine reads it: system columns by name, field values, and its stay."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Row, Table, insert, select, update

from ..hierarchy import HasGrants, scope_filter
from ..storage import Schema
from ..storage.system import DUTY_LINK
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
    record = read_record(conn, schema, register, record_id)
    if record is None:
        raise NotFound(f"{register} #{record_id}")
    return record


def read_record(conn: Connection, schema: Schema, register: str, record_id: int, *,
                within: HasGrants | None = None) -> Record | None:
    """Read one record of any register with one statement; None when there is none (or,
    ``within`` given, when it lies outside those grants' scope)."""
    table = schema.table(register)
    nodes, departments = schema.system("nodes"), schema.system("departments")
    query = (select(table, nodes.c.code.label("_node_code"), nodes.c.path.label("_node_path"))
             .join(nodes, nodes.c.id == table.c.node).where(table.c.id == record_id))
    if "department" in table.c:
        query = query.add_columns(departments.c.code.label("_department_code")).outerjoin(
            departments, departments.c.id == table.c.department)
    if within is not None:
        query = query.where(scope_filter(within, table))
    row = conn.execute(query).mappings().first()
    return None if row is None else _record(schema, register, row)


def _record(schema: Schema, register: str, row: Any) -> Record:
    return Record(
        register=register, id=row["id"], node=row["_node_code"], node_id=row["node"],
        node_path=row["_node_path"], state=row.get("state"), version=row["version"],
        round=row.get("round") or 1, category=row.get("category"),
        severity=row.get("severity"), department=row.get("_department_code"),
        department_id=row.get("department"), assignee=row.get("assignee"),
        reporter=row["reporter"], priority=row.get("priority"), deadline=row.get("deadline"),
        created_at=row["created_at"], updated_at=row["updated_at"],
        values=schema.values(register, row))


def department_ids(conn: Connection, schema: Schema) -> dict[str, int]:
    """Department ids by code."""
    departments = schema.system("departments")
    return dict(conn.execute(select(departments.c.code, departments.c.id)).all())


def node_row(conn: Connection, nodes: Table, code: str) -> Row[Any, Any, Any] | None:
    """The node with ``code`` (id, path, level), if any."""
    query = select(nodes.c.id, nodes.c.path, nodes.c.level).where(nodes.c.code == code)
    return conn.execute(query).first()


def change_system(conn: Connection, schema: Schema, record: Record, *, at: dt.datetime,
                  **columns: Any) -> Record:
    """Change a record's system columns (node, priority…) as the system: a new version,
    read back. The history row saying why is the caller's to write."""
    table = schema.table(record.register)
    conn.execute(update(table).where(table.c.id == record.id).values(
        version=table.c.version + 1, updated_at=at, **columns))
    return load_record(conn, schema, record.register, record.id)


def insert_records(conn: Connection, schema: Schema, register: str,
                   rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert records given as column values (an import, demo data) with one statement;
    return their ids in order. Their history rows are the caller's to write, in the same
    transaction, with `history.write_many`."""
    if not rows:
        return []
    table = schema.table(register)
    return list(conn.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                             list(rows)).scalars())


def set_deadline(conn: Connection, schema: Schema, record: Record,
                 deadline: dt.datetime | None) -> None:
    """Store the deadline the plan of the record's stay gives it."""
    table = schema.table(record.register)
    conn.execute(update(table).where(table.c.id == record.id).values(deadline=deadline))


def link_duty(conn: Connection, schema: Schema, register: str, record_id: int,
              duty: int) -> None:
    """Mark a record as the one that fulfils ``duty`` (its register is one a schedule
    `creates`, so it has the link column)."""
    table = schema.table(register)
    conn.execute(update(table).where(table.c.id == record_id).values({DUTY_LINK: duty}))
