"""Keep the departments table in step with the config."""

from __future__ import annotations

from functools import partial
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, inspect, select, update

from .plan import Migrator, Step
from .schema import Schema
from .tree import referencing


def wanted_departments(schema: Schema) -> dict[str, dict[str, Any]]:
    """Each config department as a row (node as a code), by code."""
    d = schema.deployment
    return {dep.code: {"code": dep.code, "name": dep.name.text(d.about.locale),
                       "level": dep.level, "node": dep.node} for dep in d.departments}


def department_steps(conn: Connection, schema: Schema) -> list[Step]:
    """Steps adding, updating and removing departments (run after the nodes are in place)."""
    wanted = wanted_departments(schema)
    departments, nodes = schema.system("departments"), schema.system("nodes")
    have: dict[str, Any] = {}
    if inspect(conn).has_table("departments"):
        query = select(departments, nodes.c.code.label("node_code")).outerjoin(
            nodes, nodes.c.id == departments.c.node)
        have = {row.code: row for row in conn.execute(query)}
    steps: list[Step] = []
    new = [w for code, w in wanted.items() if code not in have]
    if new:
        steps.append(Step(f"add {len(new)} department(s): {', '.join(w['code'] for w in new)}",
                          lambda m: _write(m, new, insert_rows=True)))
    changed = [w for code, w in wanted.items() if code in have
               and (have[code].name, have[code].level, have[code].node_code)
               != (w["name"], w["level"], w["node"])]
    if changed:
        steps.append(Step(f"update department(s): {', '.join(w['code'] for w in changed)}",
                          lambda m: _write(m, changed, insert_rows=False)))
    gone = [row for code, row in have.items() if code not in wanted]
    if gone:
        ids = [row.id for row in gone]
        text = f"remove department(s): {', '.join(row.code for row in gone)}"
        uses = [f"{n} rows of {table.name}.{column}"
                for table, column in referencing(conn, schema, "departments")
                if (n := conn.execute(select(func.count()).select_from(table)
                                      .where(table.c[column].in_(ids))).scalar())]
        if uses:
            steps.append(Step(text, blocked=f"{', '.join(uses)} belong to them; "
                              "reassign those first or keep the departments"))
        else:
            steps.append(Step(text, partial(_delete, ids=ids)))
    return steps


def _delete(m: Migrator, ids: list[int]) -> None:
    departments = m.schema.system("departments")
    m.conn.execute(delete(departments).where(departments.c.id.in_(ids)))


def _write(m: Migrator, rows: list[dict[str, Any]], insert_rows: bool) -> None:
    departments, nodes = m.schema.system("departments"), m.schema.system("nodes")
    codes = {r["node"] for r in rows if r["node"]}
    ids = dict(m.conn.execute(select(nodes.c.code, nodes.c.id)
                              .where(nodes.c.code.in_(codes))).all())
    values = [{**r, "node": ids.get(r["node"]) if r["node"] else None} for r in rows]
    if insert_rows:
        m.conn.execute(insert(departments), values)
        return
    statement = update(departments).where(departments.c.code == bindparam("key")).values(
        name=bindparam("new_name"), level=bindparam("new_level"), node=bindparam("new_node"))
    m.conn.execute(statement, [{"key": v["code"], "new_name": v["name"],
                                "new_level": v["level"], "new_node": v["node"]}
                               for v in values])
