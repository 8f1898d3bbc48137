"""`gridwork import`: load a CSV/XLSX file into a register, every row valid or none at all."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, select

from ..config import Deployment
from ..config.models import SYSTEM_FIELDS, FieldSpec, Register
from ..workflow import history
from ..workflow.records import insert_records
from ..storage.cells import Lookups, clean_cell, record_node_id
from ..storage.schema import Schema, build_schema
from ..storage.submissions import submission_columns
from ..storage.tabular import TableFileError, read_table

NODE_HEADERS = ("node", "节点")
_CHUNK = 500


class ImportFailed(ValueError):
    """The file has problems (one line each, ``file:row N: column: message``); nothing was saved."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def import_file(engine: Engine, deployment: Deployment, register: str, path: Path, *,
                schema: Schema | None = None, actor: int | None = None,
                now: dt.datetime | None = None) -> int:
    """Validate every row of ``path`` and insert them all into ``register``; return the count.

    Columns are matched by field name or label, plus a node column (``node`` or a level's
    key or label) holding node codes. Engine columns such as ``id`` are ignored, so an
    exported file imports again.
    """
    spec = deployment.registers.get(register)
    if spec is None:
        raise ImportFailed([f"unknown register '{register}'; the deployment has "
                            + ", ".join(deployment.registers)])
    try:
        header, rows = read_table(path)
    except TableFileError as err:
        raise ImportFailed([str(err)]) from None
    schema = schema or build_schema(deployment)
    header, rows = submission_columns(header, rows, spec, {
        *_header_names(spec, deployment), *SYSTEM_FIELDS})
    columns, problems = _columns(path.name, header, spec, deployment)
    if problems:
        raise ImportFailed(problems)
    table = schema.table(register)
    now = now or dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        lookups = Lookups(conn, schema)
        records: list[dict[str, Any]] = []
        for number, cells in rows:
            record: dict[str, Any] = {}
            where = f"{path.name}:row {number}"
            for index, field in columns.items():
                try:
                    if field is None:
                        record["node"] = record_node_id(lookups, cells[index], register)
                    else:
                        record.update(clean_cell(field, cells[index], schema, lookups))
                except ValueError as err:
                    problems.append(f"{where}: {field.name if field else 'node'}: {err}")
            records.append(record)
        problems += _assignees(conn, schema, header, rows, records, register, path.name)
        problems += _unique_problems(conn, table, spec, rows, records, path.name)
        problems += _reference_problems(conn, schema, spec, rows, records, path.name)
        if problems:
            raise ImportFailed(problems)
        _insert(conn, schema, register, records, actor, now)
    return len(records)


def _columns(name: str, header: list[str], register: Register, deployment: Deployment
             ) -> tuple[dict[int, FieldSpec | None], list[str]]:
    """Map header cells to fields (None: the node column) and list the problems."""
    names = _header_names(register, deployment)
    columns: dict[int, FieldSpec | None] = {}
    problems: list[str] = []
    for index, cell in enumerate(header):
        key = cell.strip().lower()
        if key in SYSTEM_FIELDS and key != "node":
            continue  # an export's engine columns; `assignee` is read by _assignees
        if key not in names:
            problems.append(f"{name}:row 1: unknown column '{cell}'; expected the node column "
                            f"or one of {', '.join(f.name for f in register.fields)}")
        elif names[key] in columns.values():
            problems.append(f"{name}:row 1: column '{cell}' repeats another column")
        else:
            columns[index] = names[key]
    if None not in columns.values():
        problems.append(f"{name}:row 1: no node column; add one named 'node' holding node codes")
    for spec in register.fields:
        if spec.required and spec.show_if is None and spec not in columns.values():
            problems.append(f"{name}:row 1: missing column '{spec.name}', which is required")
    return columns, problems


def _assignees(conn: Connection, schema: Schema, header: list[str],
               rows: list[tuple[int, list[Any]]], records: list[dict[str, Any]],
               register: str, name: str) -> list[str]:
    """Read the `assignee` column (usernames) into the records of a register with a
    workflow. When a first step is for the assignee only, each row needs one who holds a
    role of that step, or the record would wait for nobody."""
    workflow = schema.deployment.workflows.get(
        schema.deployment.registers[register].workflow or "")
    if workflow is None:
        return []
    steps = workflow.assignee_steps(workflow.initial_state)
    roles = sorted({role for step in steps for role in step.by})
    at = next((i for i, cell in enumerate(header) if cell.strip().lower() == "assignee"), None)
    users, grants = schema.system("users"), schema.system("grants")
    held: dict[str, set[str]] = {}
    for username, role in conn.execute(select(users.c.username, grants.c.role)
                                       .join(grants, grants.c.user == users.c.id)):
        held.setdefault(username, set()).add(role)
    ids = dict(conn.execute(select(users.c.username, users.c.id)).all())
    problems: list[str] = []
    for (number, cells), record in zip(rows, records, strict=True):
        cell = cells[at] if at is not None and at < len(cells) else None
        given = "" if cell is None else str(cell).strip()
        if not given and steps:
            problems.append(f"{name}:row {number}: assignee: required: only the assignee may "
                            f"take '{steps[0].name}', the first step; add an 'assignee' column "
                            f"with the username of a user with a role of {', '.join(roles)}")
        elif given and given not in ids:
            problems.append(f"{name}:row {number}: assignee: no user '{given}'")
        elif given and steps and not held.get(given, set()) & set(roles):
            problems.append(f"{name}:row {number}: assignee: '{given}' holds none of the roles "
                            f"that may take '{steps[0].name}' ({', '.join(roles)})")
        elif given:
            record["assignee"] = ids[given]
    return problems


def _header_names(register: Register, deployment: Deployment
                  ) -> dict[str, FieldSpec | None]:
    """Each header (lower case) a column may have: a field's name or label, or a name of
    the node column (None)."""
    names: dict[str, FieldSpec | None] = {h: None for h in NODE_HEADERS}
    for level in deployment.hierarchy.levels:
        for text in (level.key, level.label.zh, level.label.en):
            if text:
                names[text.lower()] = None
    for spec in register.fields:
        for text in (spec.name, spec.label.zh if spec.label else None,
                     spec.label.en if spec.label else None):
            if text:
                names[text.lower()] = spec
    return names


def _unique_problems(conn: Connection, table: Table, register: Register,
                     rows: list[tuple[int, list[Any]]], records: list[dict[str, Any]],
                     name: str) -> list[str]:
    problems = []
    for spec in register.fields:
        if not spec.unique:
            continue
        first: dict[Any, int] = {}
        for (number, _), record in zip(rows, records, strict=True):
            value = record.get(spec.name)
            if value is None:
                continue
            if value in first:
                problems.append(f"{name}:row {number}: {spec.name}: same value as row "
                                f"{first[value]}")
            else:
                first[value] = number
        values = list(first)
        for start in range(0, len(values), _CHUNK):
            taken = conn.execute(select(table.c[spec.name]).where(
                table.c[spec.name].in_(values[start:start + _CHUNK]))).scalars()
            problems += [f"{name}:row {first[v]}: {spec.name}: '{v}' is already recorded"
                         for v in taken]
    return problems


def _reference_problems(conn: Connection, schema: Schema, register: Register,
                        rows: list[tuple[int, list[Any]]], records: list[dict[str, Any]],
                        name: str) -> list[str]:
    problems = []
    for spec in register.fields:
        if spec.register_name not in schema.registers:
            continue
        target = schema.table(spec.register_name)
        wanted = {r[spec.name] for r in records if r.get(spec.name) is not None}
        found: set[int] = set()
        ids = list(wanted)
        for start in range(0, len(ids), _CHUNK):
            found.update(conn.execute(select(target.c.id).where(
                target.c.id.in_(ids[start:start + _CHUNK]))).scalars())
        problems += [f"{name}:row {number}: {spec.name}: no {spec.register_name} record "
                     f"has id {record[spec.name]}"
                     for (number, _), record in zip(rows, records, strict=True)
                     if record.get(spec.name) is not None and record[spec.name] not in found]
    return problems


def _insert(conn: Connection, schema: Schema, register: str, records: list[dict[str, Any]],
            actor: int | None, now: dt.datetime) -> None:
    """Insert the records and, in the same transaction, a history row for each."""
    if not records:
        return
    table = schema.table(register)
    workflow = schema.deployment.registers[register].workflow
    system: dict[str, Any] = {"created_at": now, "updated_at": now, "version": 1,
                              "reporter": actor}
    if workflow:
        system |= {"state": schema.deployment.workflows[workflow].initial_state, "round": 1}
    ids = insert_records(conn, schema, register, [system | r for r in records])
    history.write_many(conn, schema, [
        history.Change(history.Kind.IMPORTED, register, record_id, now, actor=actor,
                       to_state=system.get("state"), round=system.get("round"), after=record)
        for record_id, record in zip(ids, records, strict=True)])
