"""`gridwork users import|export`: accounts and role grants in and out of CSV/XLSX files.

Users are not records of a register (a register may even be called `users`), so they
have commands of their own; the file shape and the all-or-nothing rule are the same.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update

from ..config import Deployment
from ..storage import sessions
from ..storage.cells import Lookups
from .importer import ImportFailed
from ..storage.passwords import hash_password, initial_password
from ..storage.schema import Schema, build_schema
from ..storage.staffing import Staffing, out_of_bounds
from ..storage.tabular import TableFileError, read_table, write_table
from ..storage.user_rows import USER_COLUMNS, GrantSpec, RowReader, UserPlan, map_columns


@dataclass
class UsersImported:
    """What an import did, user by user, and where the generated passwords went."""

    created: list[str] = field(default_factory=list)
    updated: dict[str, list[str]] = field(default_factory=dict)
    """Username → what changed: name, password, active, phone, email, grants."""
    unchanged: list[str] = field(default_factory=list)
    passwords: Path | None = None
    """The file holding the initial passwords of new users given none."""
    short: list[Staffing] = field(default_factory=list)
    """Nodes (departments) left with fewer users of a role than its `min_per_node`."""


def default_passwords_file(path: Path) -> Path:
    """Where the initial passwords of an import of ``path`` go unless told otherwise."""
    return path.with_name(f"{path.stem}.passwords.csv")


def import_users(engine: Engine, deployment: Deployment, path: Path, *,
                 passwords: Path | None = None, schema: Schema | None = None,
                 now: dt.datetime | None = None) -> UsersImported:
    """Create or update every user ``path`` names, with their grants; all or nothing.

    The grants in the file replace those of the users it names (a file without a role
    column leaves grants alone). A blank cell keeps the stored value; a blank password
    keeps the stored one and, for a new user, generates one that is written only to
    ``passwords`` (created readable by its owner alone, never overwritten).
    """
    try:
        header, rows = read_table(path)
    except TableFileError as err:
        raise ImportFailed([str(err)]) from None
    columns, problems = map_columns(path.name, header)
    if problems:
        raise ImportFailed(problems)
    schema = schema or build_schema(deployment)
    passwords = passwords or default_passwords_file(path)
    with engine.begin() as conn:
        reader = RowReader(path.name, deployment, Lookups(conn, schema))
        plans = reader.read(rows, columns)
        stored = _stored(conn, schema, list(plans))
        problems = reader.problems
        if passwords.exists() and any(p.username not in stored and "password" not in p.account
                                      for p in plans.values()):
            problems.append(f"{passwords}: already exists; hand out and delete those "
                            "passwords first, or name another file with --passwords")
        if problems:
            raise ImportFailed(problems)
        result, generated = _apply(conn, schema, plans, stored, "role" in columns.values(),
                                   now or dt.datetime.now(dt.UTC))
        bounds = out_of_bounds(conn, deployment, schema)
        crowded = [f"{path.name}: {found.describe()}" for found in bounds if not found.short]
        if crowded:
            raise ImportFailed(crowded)
        result.short = [found for found in bounds if found.short]
        if generated:
            try:
                _write_passwords(passwords, generated)
            except OSError as err:  # still inside the transaction: nothing is saved
                raise ImportFailed([f"{passwords}: cannot write: {err}"]) from None
            result.passwords = passwords
    return result


def _apply(conn: Connection, schema: Schema, plans: dict[str, UserPlan],
           stored: dict[str, _Stored], with_grants: bool, now: dt.datetime
           ) -> tuple[UsersImported, list[tuple[str, str, str]]]:
    """Write checked plans; return what was done and the passwords generated."""
    ids = _ids(conn, schema)
    result = UsersImported()
    generated: list[tuple[str, str, str]] = []
    for plan in plans.values():
        if plan.username in stored:
            changes = _update(conn, schema, ids, plan, stored[plan.username], with_grants,
                              now)
            if changes:
                result.updated[plan.username] = changes
            else:
                result.unchanged.append(plan.username)
            continue
        password = plan.account.get("password")
        if password is None:
            password = initial_password()
            generated.append((plan.username, plan.account["name"], password))
        _create(conn, schema, ids, plan, hash_password(password), now)
        result.created.append(plan.username)
    return result, generated


@dataclass
class _Stored:
    """A user as stored, in the shape of a plan, to tell what an import changes."""

    id: int
    account: dict[str, Any]
    grants: list[GrantSpec]


def _stored(conn: Connection, schema: Schema, usernames: list[str]) -> dict[str, _Stored]:
    """The users among ``usernames`` that exist, with their account values and grants."""
    users = schema.system("users")
    found: dict[str, _Stored] = {}
    for start in range(0, len(usernames), 500):
        for row in conn.execute(select(users).where(
                users.c.username.in_(usernames[start:start + 500]))):
            found[row.username] = _Stored(row.id, {
                "name": row.display_name, "active": row.active, "phone": row.phone,
                "email": row.email}, [])
    by_id = {s.id: s for s in found.values()}
    for user_id, grant in _grants(conn, schema, list(by_id)):
        by_id[user_id].grants.append(grant)
    return found


def _grants(conn: Connection, schema: Schema, user_ids: list[int] | None
            ) -> Iterator[tuple[int, GrantSpec]]:
    """(user id, grant) in grant order, for ``user_ids`` or for everyone."""
    grants, nodes, departments = (schema.system(n) for n in ("grants", "nodes", "departments"))
    query = (select(grants.c.user, grants.c.role, grants.c.scope, nodes.c.code.label("node"),
                    departments.c.code.label("department"))
             .outerjoin(nodes, nodes.c.id == grants.c.node)
             .outerjoin(departments, departments.c.id == grants.c.department)
             .order_by(grants.c.id))
    if user_ids is not None:
        query = query.where(grants.c.user.in_(user_ids))
    for row in conn.execute(query):
        yield row.user, GrantSpec(row.role, row.scope, row.node, row.department)


def _ids(conn: Connection, schema: Schema) -> dict[str, dict[str, int]]:
    """Node and department ids by code."""
    return {name: dict(conn.execute(select(schema.system(name).c.code,
                                           schema.system(name).c.id)).all())
            for name in ("nodes", "departments")}


def _columns(plan: UserPlan) -> dict[str, Any]:
    """The users-table values a plan gives."""
    return {column: plan.account[key] for key, column in (
        ("name", "display_name"), ("active", "active"), ("phone", "phone"), ("email", "email"))
        if key in plan.account}


def _department(plan: UserPlan, ids: dict[str, dict[str, int]]) -> int | None:
    """A user's department is that of their first departmental grant."""
    return next((ids["departments"][g.department] for g in plan.grants
                 if g.department is not None), None)


def _create(conn: Connection, schema: Schema, ids: dict[str, dict[str, int]], plan: UserPlan,
            password_hash: str, now: dt.datetime) -> None:
    users = schema.system("users")
    user_id = conn.execute(insert(users).values(
        username=plan.username, password_hash=password_hash, created_at=now,
        department=_department(plan, ids), **{"active": True} | _columns(plan),
    ).returning(users.c.id)).scalar_one()
    _add_grants(conn, schema, ids, user_id, plan.grants)


def _update(conn: Connection, schema: Schema, ids: dict[str, dict[str, int]], plan: UserPlan,
            stored: _Stored, with_grants: bool, now: dt.datetime) -> list[str]:
    """Apply what differs from the stored user; return the names of what changed."""
    changes: list[str] = [key for key in ("name", "active", "phone", "email")
               if key in plan.account and plan.account[key] != stored.account[key]]
    values = _columns(plan)
    if "password" in plan.account:
        values["password_hash"] = hash_password(plan.account["password"])
        changes.append("password")
    users, grants = schema.system("users"), schema.system("grants")
    if with_grants and set(plan.grants) != set(stored.grants):
        changes.append("grants")
        values["department"] = _department(plan, ids)
        conn.execute(delete(grants).where(grants.c.user == stored.id))
        _add_grants(conn, schema, ids, stored.id, plan.grants)
    if changes:
        conn.execute(update(users).where(users.c.id == stored.id).values(values))
    ended_why = (sessions.DISABLED if "active" in changes and not plan.account["active"]
                 else sessions.PASSWORD if "password" in changes else None)
    if ended_why is not None:
        sessions.end_for_user(conn, schema, stored.id, now, ended_why)
    return changes


def _add_grants(conn: Connection, schema: Schema, ids: dict[str, dict[str, int]],
                user_id: int, grants: list[GrantSpec]) -> None:
    if grants:
        conn.execute(insert(schema.system("grants")), [
            {"user": user_id, "role": g.role, "scope": g.scope,
             "node": ids["nodes"][g.node] if g.node else None,
             "department": ids["departments"][g.department] if g.department else None}
            for g in grants])


def _write_passwords(path: Path, rows: list[tuple[str, str, str]]) -> None:
    """Create the file readable by its owner only, and refuse to overwrite one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    write_table(path, ("username", "name", "password"), rows)


def export_users(engine: Engine, deployment: Deployment, path: Path, *,
                 schema: Schema | None = None) -> int:
    """Write every user, one row per grant, in the shape import reads; return the user count.

    The password column stays empty: hashes never leave the database, and an empty cell
    keeps a user's password when the file is imported again.
    """
    schema = schema or build_schema(deployment)
    users = schema.system("users")
    with engine.connect() as conn:
        grants: dict[int, list[GrantSpec]] = {}
        for user_id, grant in _grants(conn, schema, None):
            grants.setdefault(user_id, []).append(grant)
        accounts = list(conn.execute(select(users).order_by(users.c.username)))

    def rows() -> Iterator[list[Any]]:
        for user in accounts:
            account = [user.username, user.display_name, None]
            tail = [user.active, user.phone, user.email]
            held = grants.get(user.id, [])
            for g in held:
                yield [*account, g.role, g.node, g.department, g.scope, *tail]
            if not held:
                yield [*account, None, None, None, None, *tail]
    write_table(path, list(USER_COLUMNS), rows())
    return len(accounts)
