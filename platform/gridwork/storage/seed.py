"""`gridwork seed --demo`: demo users on one branch of the tree and records all over it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from ..config import Deployment
from ..config.models import Register
from .demo_values import DemoValues
from .passwords import hash_password
from .schema import Schema, build_schema

DEMO_PASSWORD = "demo"


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


def seed_demo(engine: Engine, deployment: Deployment, *, records: int = 3000, seed: int = 0,
              schema: Schema | None = None, echo: Callable[[str], None] = print) -> SeedResult:
    """Create one user per role (password `demo`) and about ``records`` demo records."""
    schema = schema or build_schema(deployment)
    values = DemoValues(deployment, seed)
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
        users = _users(conn, schema, node_ids, on_branch, values.now, result, echo)
        seeder = _Records(conn, schema, values, node_ids, by_level, on_branch, users)
        per_register = max(records // max(len(deployment.registers), 1), 1)
        for name in _in_reference_order(deployment.registers):
            result.records[name] = seeder.fill(name, per_register)
    echo("records: " + ", ".join(f"{n} {name}" for name, n in result.records.items()))
    return result


def _users(conn: Connection, schema: Schema, node_ids: dict[str, int],
           on_branch: dict[str, str], now: dt.datetime, result: SeedResult,
           echo: Callable[[str], None]) -> dict[str, int]:
    """Create each role's demo user (unless there) with its grant; return role → user id."""
    d = schema.deployment
    users, grants, departments = (schema.system(n) for n in ("users", "grants", "departments"))
    dept_ids = dict(conn.execute(select(departments.c.code, departments.c.id)).all())
    existing = dict(conn.execute(select(users.c.username, users.c.id)).all())
    made: dict[str, int] = {}
    echo(f"demo users (password '{DEMO_PASSWORD}'):")
    for key, role in d.roles.items():
        department = None
        if role.department is not None:
            department = d.department(role.department) if role.department != "*" else next(
                (dep for dep in d.departments if dep.node in (None, *on_branch.values())),
                d.departments[0] if d.departments else None)
        level = role.at or (department.level if department else None)
        node = (department.node if department and department.node else on_branch.get(level or ""))
        where = f"{node} ({level})" if node else "no node"
        if department is not None:
            where += f", department {department.code}"
        if key in existing:
            made[key] = existing[key]
            echo(f"  {key}: already there")
            continue
        user_id = conn.execute(insert(users).values(
            username=key, display_name=role.label.text(d.deployment.locale),
            password_hash=hash_password(DEMO_PASSWORD), active=True, created_at=now,
            department=dept_ids.get(department.code) if department else None,
        ).returning(users.c.id)).scalar_one()
        conn.execute(insert(grants).values(
            user=user_id, role=key, scope=role.scope, node=node_ids.get(node or ""),
            department=dept_ids.get(department.code) if department else None))
        made[key] = user_id
        result.users.append(key)
        echo(f"  {key}: {role.label.text(d.deployment.locale)} at {where}")
    return made


def _in_reference_order(registers: dict[str, Register]) -> list[str]:
    """Registers that others refer to come first."""
    done: list[str] = []

    def visit(name: str, seen: tuple[str, ...]) -> None:
        if name in done or name in seen or name not in registers:
            return
        for spec in registers[name].fields:
            if spec.type == "reference" and spec.register_name:
                visit(spec.register_name, (*seen, name))
        done.append(name)
    for name in registers:
        visit(name, ())
    return done


class _Records:
    """Fills registers with demo records and their `create` history rows."""

    def __init__(self, conn: Connection, schema: Schema, values: DemoValues,
                 node_ids: dict[str, int], by_level: dict[str, list[str]],
                 on_branch: dict[str, str], users: dict[str, int]) -> None:
        self.conn, self.schema, self.values = conn, schema, values
        self.node_ids, self.by_level, self.on_branch, self.users = (
            node_ids, by_level, on_branch, users)
        self.ids: dict[str, list[int]] = {}
        d = schema.deployment
        self.dept_ids = dict(conn.execute(select(schema.system("departments").c.code,
                                                 schema.system("departments").c.id)).all())
        resolved: dict[str, tuple[Any, Any]] = {}
        for cat, parent in d.all_categories():  # parents first: children inherit
            above = resolved[parent.code] if parent else (None, None)
            resolved[cat.code] = (cat.severities or above[0], cat.department or above[1])
        self.categories = [(cat.code, *resolved[cat.code]) for cat, _ in d.all_categories()
                           if not cat.children]
        lowest = d.hierarchy.levels[-1].key
        self.reporter = next((users[k] for k, r in d.roles.items() if r.at == lowest), None)

    def fill(self, name: str, count: int) -> int:
        """Insert ``count`` records into register ``name``; return the count."""
        d, rnd = self.schema.deployment, self.values.random
        register = d.registers[name]
        level = register.attach_to or d.hierarchy.levels[-1].key
        places = self.by_level.get(level, [])
        if not places:
            return 0
        home = self.on_branch.get(level, places[0])
        rows = []
        for i in range(count):
            node = home if i % 10 == 0 else rnd.choice(places)
            row: dict[str, Any] = {"node": self.node_ids[node], "created_at": self.values.now,
                                   "updated_at": self.values.now, "version": 1,
                                   "reporter": self.reporter}
            for spec in register.fields:
                if spec.computed is not None or spec.show_if is not None:
                    value = None
                elif spec.type == "reference":
                    targets = self.ids.get(spec.register_name or "", [])
                    value = rnd.choice(targets) if targets else None
                elif spec.type == "node":
                    value = self.node_ids[rnd.choice(self.by_level.get(spec.level or level,
                                                                       places))]
                elif spec.type == "user":
                    value = self.users.get(spec.role or "") or rnd.choice([*self.users.values(),
                                                                            None])
                else:
                    value = self.values.value(spec, node)
                if spec.type == "geo_point":
                    point = value if isinstance(value, tuple) else (None, None)
                    row |= {f"{spec.name}_lat": point[0], f"{spec.name}_lon": point[1]}
                else:
                    row[spec.name] = value
            self.values.settle(register, row)
            if register.workflow or register.categorized:
                row |= self._flow(register, i)
            rows.append(row)
        table = self.schema.table(name)
        ids = self.conn.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                                rows).scalars().all()
        self.ids[name] = list(ids)
        self.conn.execute(insert(self.schema.system("history")), [
            {"register": name, "record": record_id, "actor": self.reporter,
             "at": self.values.now, "action": "create", "to_state": row.get("state")}
            for record_id, row in zip(ids, rows, strict=True)])
        return len(rows)

    def _flow(self, register: Register, i: int) -> dict[str, Any]:
        """Category, state, department and deadline: every state gets open records."""
        rnd, now = self.values.random, self.values.now
        out: dict[str, Any] = {}
        if self.categories:
            code, severities, department = rnd.choice(self.categories)
            out |= {"category": code, "severity": rnd.choice(severities) if severities else None}
            if register.workflow:
                out["department"] = self.dept_ids.get(department or "")
        if register.workflow:
            workflow = self.schema.deployment.workflows[register.workflow]
            states = list(workflow.states)
            state = states[i % len(states)]
            final = workflow.states[state].final
            out |= {"state": state, "round": 1, "priority": None, "assignee": None,
                    "deadline": None if final else now + dt.timedelta(
                        hours=rnd.randint(-72, 240))}
        return out

