"""`gridwork seed --demo`: demo users on one branch of the tree and records all over it.

Besides one user per role (and, for a role held at several levels, one more per level, named
``ROLE_LEVEL``), every department a category routes events to gets a user named
after its code, so each seeded event can be taken on by somebody who can sign in. Open
workflow records are reported a few days back and their timers planned as the engine plans
them, so the first sweep reminds and escalates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from ..config import Deployment
from ..config.models import Department, Register, Role
from .demo_values import DemoValues
from ..storage.passwords import hash_password
from ..storage.schema import Schema, build_schema
from .seed_flow import DemoGrant, DemoUser
from .seed_records import Records

DEMO_PASSWORD = "demo"
DEMO_MAIL_DOMAIN = "example.org"
"""Demo users' addresses are on a domain reserved for examples: nothing reaches anyone."""


@dataclass
class SeedResult:
    """Who was created where, and how many records each register got."""

    users: list[str] = field(default_factory=list)
    records: dict[str, int] = field(default_factory=dict)


def demo_branch(deployment: Deployment) -> list[str]:
    """Codes from the root to the first leaf grid (the first node at the lowest level)."""
    lowest = deployment.hierarchy.levels[-1].key
    parents = {n.code: n.parent for n in deployment.nodes}
    leaf = next((n.code for n in deployment.nodes if n.level == lowest), None)
    branch: list[str] = []
    while leaf is not None:
        branch.insert(0, leaf)
        leaf = parents[leaf]
    return branch


def routed_departments(deployment: Deployment) -> list[str]:
    """Codes of the departments that some category sends events to, in config order."""
    routed = {cat.department for cat, _ in deployment.all_categories() if cat.department}
    routed |= {rule.department for wf in deployment.workflows.values()
               for rule in wf.routing if rule.department}
    return [dep.code for dep in deployment.departments if dep.code in routed]


def seed_demo(engine: Engine, deployment: Deployment, *, records: int = 3000, seed: int = 0,
              schema: Schema | None = None, echo: Callable[[str], None] = print,
              now: dt.datetime | None = None) -> SeedResult:
    """Create the demo users (password `demo`) and about ``records`` demo records."""
    schema = schema or build_schema(deployment)
    values = DemoValues(deployment, seed, now=now)
    result = SeedResult()
    with engine.begin() as conn:
        nodes = schema.system("nodes")
        rows = conn.execute(select(nodes.c.code, nodes.c.id, nodes.c.level)).all()
        node_ids = {r.code: r.id for r in rows}
        by_level: dict[str, list[str]] = {}
        for r in rows:
            by_level.setdefault(r.level, []).append(r.code)
        branch = demo_branch(deployment)
        level_of = {n.code: n.level for n in deployment.nodes}
        on_branch = {level_of[code]: code for code in branch}
        people = _People(conn, schema, node_ids, on_branch, values.now, result, echo)
        people.make()
        seeder = Records(conn, schema, values, node_ids, by_level, on_branch, people.by_role,
                         people.demo)
        per_register = max(records // max(len(deployment.registers), 1), 1)
        for name in _in_reference_order(deployment.registers):
            result.records[name] = seeder.fill(name, per_register)
    echo("records: " + ", ".join(f"{n} {name}" for name, n in result.records.items()))
    return result


class _People:
    """The demo users: one per role, one per department events are routed to."""

    def __init__(self, conn: Connection, schema: Schema, node_ids: dict[str, int],
                 on_branch: dict[str, str], now: dt.datetime, result: SeedResult,
                 echo: Callable[[str], None]) -> None:
        self.conn, self.schema, self.node_ids, self.on_branch = conn, schema, node_ids, on_branch
        self.now, self.result, self.echo = now, result, echo
        users, departments = schema.system("users"), schema.system("departments")
        self.dept_ids: dict[str, int] = dict(conn.execute(
            select(departments.c.code, departments.c.id)).all())
        self.existing: dict[str, int] = dict(conn.execute(
            select(users.c.username, users.c.id)).all())
        self.password = hash_password(DEMO_PASSWORD)
        """One hash for every demo user: they share the password, and hashing is slow."""
        self.by_role: dict[str, int] = {}
        """Role → its demo user's id (the user that fields naming a role get)."""
        self.demo: list[DemoUser] = []

    def make(self) -> None:
        """Create the users that are not there yet, and echo who is who."""
        d = self.schema.deployment
        locale = d.about.locale
        self.echo(f"demo users (password '{DEMO_PASSWORD}'):")
        taken = {*d.roles, *(dep.code for dep in d.departments)}
        for key, role in d.roles.items():
            department = self._department_of(role)
            grant = self._grant(key, role, department)
            self.by_role[key] = self._user(key, role.label.text(locale), department, (grant,))
            if department is not None and department.node:
                continue  # the department's own node is the only place it is held
            first = grant_level(role, self.on_branch, department)
            for level in role.at:
                node = self.on_branch.get(level)
                if level == first or node is None or f"{key}_{level}" in taken:
                    continue
                self._user(f"{key}_{level}", role.label.text(locale), department,
                           (DemoGrant(key, role.scope, node,
                                      department.code if department else None),))
        for code in routed_departments(d):
            department = d.department(code)
            assert department is not None
            roles = [k for k, r in d.roles.items() if r.department == code] or [
                k for k, r in d.roles.items() if r.department == "*"]
            if not roles or code in d.roles:
                continue
            grants = tuple(self._grant(k, d.roles[k], department) for k in roles)
            name = f"{department.name.text(locale)}·{d.roles[roles[0]].label.text(locale)}"
            self._user(code, name, department, grants)

    def _department_of(self, role: Role) -> Department | None:
        d = self.schema.deployment
        if role.department is None:
            return None
        if role.department != "*":
            return d.department(role.department)
        return next((dep for dep in d.departments if dep.node in (None, *self.on_branch.values())),
                    d.departments[0] if d.departments else None)

    def _grant(self, key: str, role: Role, department: Department | None) -> DemoGrant:
        level = grant_level(role, self.on_branch, department)
        node = department.node if department and department.node else self.on_branch.get(
            level or "")
        return DemoGrant(key, role.scope, node, department.code if department else None)

    def _user(self, username: str, display: str, department: Department | None,
              grants: tuple[DemoGrant, ...]) -> int:
        users, table = self.schema.system("users"), self.schema.system("grants")
        user_id = self.existing.get(username)
        where = ", ".join(_where(g, self.schema.deployment) for g in grants)
        if user_id is None:
            user_id = self.conn.execute(insert(users).values(
                username=username, display_name=display, email=demo_address(username),
                password_hash=self.password, active=True, created_at=self.now,
                department=self.dept_ids.get(department.code) if department else None,
            ).returning(users.c.id)).scalar_one()
            self.conn.execute(insert(table), [
                {"user": user_id, "role": g.role, "scope": g.scope,
                 "node": self.node_ids.get(g.node or ""),
                 "department": self.dept_ids.get(g.department or "")} for g in grants])
            self.existing[username] = user_id
            self.result.users.append(username)
            self.echo(f"  {username}: {display} at {where}")
        else:
            self.echo(f"  {username}: already there")
        self.demo.append(DemoUser(username, user_id, grants))
        return user_id


def grant_level(role: Role, on_branch: dict[str, str],
                department: Department | None) -> str | None:
    """The level the role key's own demo user holds the role at: of several, the first on
    the demo branch (the others get users named ``ROLE_LEVEL``)."""
    return next((at for at in role.at if at in on_branch),
                department.level if department else None)


def demo_address(username: str) -> str:
    """A demo user's e-mail address, on a domain that delivers nothing."""
    return f"{username}@{DEMO_MAIL_DOMAIN}"


def _where(grant: DemoGrant, deployment: Deployment) -> str:
    level = {n.code: n.level for n in deployment.nodes}.get(grant.node or "")
    where = f"{grant.node} ({level})" if grant.node else "no node"
    if grant.department is not None:
        where += f", department {grant.department}"
    return where


def _in_reference_order(registers: dict[str, Register]) -> list[str]:
    """Registers that others refer to come first."""
    done: list[str] = []

    def visit(name: str, seen: tuple[str, ...]) -> None:
        if name in done or name in seen or name not in registers:
            return
        for spec in registers[name].fields:
            if spec.register_name:
                visit(spec.register_name, (*seen, name))
        done.append(name)
    for name in registers:
        visit(name, ())
    return done
