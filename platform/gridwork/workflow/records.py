"""A record as the engine reads it: system columns by name, field values, and its stay."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Connection,
    Insert,
    Row,
    Select,
    Table,
    Update,
    bindparam,
    insert,
    select,
    update,
)

from ..hierarchy import HasGrants, covers
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

    def but(self, **changes: Any) -> Record:
        """This record with ``changes`` made (as `dataclasses.replace`, without running the
        constructor again: the engine makes a few each step)."""
        unknown = changes.keys() - self.__dict__.keys()
        if unknown:
            raise TypeError(f"a record has no {', '.join(sorted(unknown))}")
        made = object.__new__(Record)
        made.__dict__.update(self.__dict__, **changes)
        return made

    def scope(self) -> dict[str, Any]:
        """What expressions on this record read: its fields and its system fields."""
        return {**self.values, "id": self.id, "node": self.node, "state": self.state,
                "category": self.category, "severity": self.severity,
                "department": self.department, "assignee": self.assignee,
                "reporter": self.reporter, "priority": self.priority, "round": self.round,
                "deadline": self.deadline, "created_at": self.created_at,
                "updated_at": self.updated_at, "version": self.version}


def load_record(conn: Connection, schema: Schema, register: str, record_id: int, *,
                lock: bool = False) -> Record:
    """Read one record of a register that has a workflow; NotFound when there is none.
    With ``lock``, the row stays locked until the transaction ends (``FOR UPDATE`` on
    PostgreSQL; a SQLite write transaction holds the whole database already)."""
    spec = schema.deployment.registers.get(register)
    if spec is None or spec.workflow is None:
        raise NotFound(f"no register '{register}' with a workflow")
    row = conn.execute(_reading(schema.table(register), lock),
                       {"_record": record_id}).mappings().first()
    if row is None:
        raise NotFound(f"{register} #{record_id}")
    return _record(schema, register, row)


def read_record(conn: Connection, schema: Schema, register: str, record_id: int, *,
                within: HasGrants | None = None) -> Record | None:
    """Read one record of any register with one statement; None when there is none (or,
    ``within`` given, when it lies outside those grants' scope)."""
    table = schema.table(register)
    row = conn.execute(_reading(table, False), {"_record": record_id}).mappings().first()
    if row is None or within is not None and not covers(
            within, row["node"], row["_node_path"], row.get("department"),
            by_department="department" in table.c):
        return None
    return _record(schema, register, row)


@functools.lru_cache(maxsize=1024)
def _reading(table: Table, lock: bool) -> Select[Any]:
    """The SELECT of one record (``:_record``) with its node's code and path and its
    department's code; built once per table, so its compiled form is reused."""
    nodes, departments = table.metadata.tables["nodes"], table.metadata.tables["departments"]
    query = (select(table, nodes.c.code.label("_node_code"), nodes.c.path.label("_node_path"))
             .join(nodes, nodes.c.id == table.c.node)
             .where(table.c.id == bindparam("_record")))
    if "department" in table.c:
        query = query.add_columns(departments.c.code.label("_department_code")).outerjoin(
            departments, departments.c.id == table.c.department)
    return query.with_for_update(of=table) if lock else query


def _returned(table: Table) -> list[Any]:
    """The columns a write returns: the row as `_reading` reads it (its node's code and
    path, its department's code), so that nothing needs to read it again."""
    nodes, departments = table.metadata.tables["nodes"], table.metadata.tables["departments"]
    node = select(nodes.c.code, nodes.c.path).where(nodes.c.id == table.c.node)
    returned: list[Any] = [*table.c,
                           node.with_only_columns(nodes.c.code).scalar_subquery()
                           .label("_node_code"),
                           node.with_only_columns(nodes.c.path).scalar_subquery()
                           .label("_node_path")]
    if "department" in table.c:
        returned.append(select(departments.c.code).where(
            departments.c.id == table.c.department).scalar_subquery()
            .label("_department_code"))
    return returned


@functools.lru_cache(maxsize=1024)
def _changing(table: Table) -> Update:
    """The UPDATE of one record (``:_record`` at ``:_version``) whose SET clause is the
    parameters given, returning the row as `_reading` reads it; built once per table."""
    return update(table).where(table.c.id == bindparam("_record"),
                               table.c.version == bindparam("_version")
                               ).returning(*_returned(table))


@functools.lru_cache(maxsize=1024)
def _inserting(table: Table) -> Insert:
    """The INSERT of one record returning its columns; built once per table."""
    return insert(table).returning(*table.c)


def insert_record(conn: Connection, schema: Schema, register: str,
                  columns: Mapping[str, Any], *, node_code: str, node_path: str) -> Record:
    """Insert one record given as column values, at the node with ``node_code`` and
    ``node_path``, and return it as stored, with one statement. Its history row is the
    caller's to write, in the same transaction."""
    row = conn.execute(_inserting(schema.table(register)), dict(columns)).mappings().one()
    department = row.get("department")
    return _record(schema, register, {
        **row, "_node_code": node_code, "_node_path": node_path,
        "_department_code": None if department is None else {
            i: code for code, i in department_ids(conn, schema).items()}[department]})


def write_record(conn: Connection, schema: Schema, record: Record,
                 columns: Mapping[str, Any], *, stored: int) -> Record | None:
    """Write ``columns`` to the record if its row is still at version ``stored`` and return
    it as it is now, with one statement; None when its version moved on."""
    row = conn.execute(_changing(schema.table(record.register)),
                       {"_record": record.id, "_version": stored, **columns}
                       ).mappings().first()
    return None if row is None else _record(schema, record.register, row)


_OPTIONAL = ("state", "round", "category", "severity", "department", "assignee", "priority",
             "deadline")
"""System columns a register's table has only when its register needs them."""


def _record(schema: Schema, register: str, row: Any) -> Record:
    # Rows are read by key only where the table has the column: a row mapping's get() of
    # a missing key costs as much as the rest of the record together.
    has = _columns(schema.table(register))
    state, round_, category, severity, department, assignee, priority, deadline = (
        row[name] if name in has else None for name in _OPTIONAL)
    return Record(
        register=register, id=row["id"], node=row["_node_code"], node_id=row["node"],
        node_path=row["_node_path"], state=state, version=row["version"],
        round=round_ or 1, category=category, severity=severity,
        department=row["_department_code"] if department is not None else None,
        department_id=department, assignee=assignee, reporter=row["reporter"],
        priority=priority, deadline=deadline, created_at=row["created_at"],
        updated_at=row["updated_at"], values=schema.values(register, row))


@functools.lru_cache(maxsize=1024)
def _columns(table: Table) -> frozenset[str]:
    return frozenset(table.c.keys())


def department_ids(conn: Connection, schema: Schema) -> dict[str, int]:
    """Department ids by code."""
    return dict(conn.execute(_departments(schema.system("departments"))).all())


@functools.lru_cache(maxsize=64)
def _departments(departments: Table) -> Select[Any]:
    return select(departments.c.code, departments.c.id)


def node_row(conn: Connection, nodes: Table, code: str) -> Row[Any, Any, Any] | None:
    """The node with ``code`` (id, path, level), if any."""
    return conn.execute(_node(nodes), {"_code": code}).first()


@functools.lru_cache(maxsize=64)
def _node(nodes: Table) -> Select[Any]:
    return select(nodes.c.id, nodes.c.path, nodes.c.level).where(
        nodes.c.code == bindparam("_code"))


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
