"""Keep the grid tree in the database in step with the config: add, rename, move, remove."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import Connection, Table, bindparam, func, insert, inspect, select, update
from sqlalchemy import delete as sql_delete

from ..hierarchy import subtree_ids
from .plan import Migrator, Step
from .schema import Schema
from .system import NODE_SUBJECT


@dataclass(frozen=True)
class WantedNode:
    """A node as the config wants it stored."""

    code: str
    name: str
    level: str
    depth: int
    parent: str | None
    path: str
    boundary: dict[str, Any] | None


def wanted_nodes(schema: Schema) -> dict[str, WantedNode]:
    """Every config node with its depth and materialized path, parents first."""
    d = schema.deployment
    depth = {level.key: i for i, level in enumerate(d.hierarchy.levels)}
    out: dict[str, WantedNode] = {}
    for node in d.nodes:
        base = out[node.parent].path if node.parent else "/"
        out[node.code] = WantedNode(node.code, node.name, node.level, depth[node.level],
                                    node.parent, f"{base}{node.code}/", d.boundaries.get(node.code))
    return out


def referencing(conn: Connection, schema: Schema, target: str,
                skip: tuple[str, ...] = ()) -> list[tuple[Table, str]]:
    """(table, column) pairs in the database that point at ``target``'s ids."""
    inspector = inspect(conn)
    tables = set(inspector.get_table_names())
    found = []
    for table in schema.metadata.sorted_tables:
        if table.name not in tables or table.name in (target, *skip):
            continue
        present = {c["name"] for c in inspector.get_columns(table.name)}
        found += [(table, fk.parent.name) for fk in table.foreign_keys
                  if fk.column.table.name == target and fk.parent.name in present]
    return found


def tree_steps(conn: Connection, schema: Schema) -> list[Step]:
    """Steps that bring the nodes table to the config's tree."""
    wanted = wanted_nodes(schema)
    tables = set(inspect(conn).get_table_names())
    nodes = schema.system("nodes")
    have: dict[str, Any] = {}
    if "nodes" in tables:
        parent = nodes.alias("parent_node")
        query = select(nodes, parent.c.code.label("parent_code")).outerjoin(
            parent, parent.c.id == nodes.c.parent)
        have = {row.code: row for row in conn.execute(query)}
    steps: list[Step] = []
    new = [w for code, w in wanted.items() if code not in have]
    if new:
        steps.append(Step(f"add {_nodes(len(new))}: {_sample(w.code for w in new)}",
                          lambda m: _insert(m, new)))
    moved, changed, repathed = [], [], []
    for code, w in wanted.items():
        row = have.get(code)
        if row is None:
            continue
        if row.parent_code != w.parent:
            moved.append((row, w))
        elif (row.name, row.level, row.boundary) != (w.name, w.level, w.boundary):
            changed.append((row, w))
        elif (row.path, row.depth) != (w.path, w.depth):
            repathed.append((row, w))
    for row, w in moved:
        records = sum(conn.execute(select(func.count()).where(
            table.c.node.in_(subtree_ids(nodes, row.path)))).scalar() or 0
            for table in schema.registers.values() if table.name in tables)
        steps.append(Step(f"move node {w.code} ({w.name}) from {row.parent_code} to {w.parent}, "
                          f"keeping its {records} records; history written",
                          partial(_update, pairs=[(row, w)], moved=True)))
    if changed:
        steps.append(Step(f"update {_nodes(len(changed))}: "
                          + _sample(f"{r.code} {r.name} → {w.name}" for r, w in changed),
                          lambda m: _update(m, changed)))
    if repathed:
        steps.append(Step(f"update the paths of {_nodes(len(repathed))} below moved nodes",
                          lambda m: _update(m, repathed)))
    gone = [row for code, row in have.items() if code not in wanted]
    if gone:
        steps.append(_remove(conn, schema, gone))
    return steps


def _nodes(n: int) -> str:
    return f"{n} node{'s' if n != 1 else ''}"


def _sample(items: Any, limit: int = 5) -> str:
    shown = list(items)
    more = f" and {len(shown) - limit} more" if len(shown) > limit else ""
    return ", ".join(str(s) for s in shown[:limit]) + more


def _insert(m: Migrator, new: list[WantedNode]) -> None:
    nodes = m.schema.system("nodes")
    ids = dict(m.conn.execute(select(nodes.c.code, nodes.c.id)).all())
    for depth in sorted({w.depth for w in new}):
        rows = [{"code": w.code, "name": w.name, "level": w.level, "depth": w.depth,
                 "parent": ids.get(w.parent) if w.parent else None, "path": w.path,
                 "boundary": w.boundary} for w in new if w.depth == depth]
        m.conn.execute(insert(nodes), rows)
        ids.update(m.conn.execute(select(nodes.c.code, nodes.c.id)
                                  .where(nodes.c.depth == depth)).all())


def _update(m: Migrator, pairs: list[tuple[Any, WantedNode]], moved: bool = False) -> None:
    nodes = m.schema.system("nodes")
    parents = {w.parent for _, w in pairs if w.parent}
    ids = dict(m.conn.execute(select(nodes.c.code, nodes.c.id)
                              .where(nodes.c.code.in_(parents))).all())
    statement = update(nodes).where(nodes.c.id == bindparam("row_id")).values(
        name=bindparam("new_name"), level=bindparam("new_level"), depth=bindparam("new_depth"),
        parent=bindparam("new_parent"), path=bindparam("new_path"),
        boundary=bindparam("new_boundary", type_=nodes.c.boundary.type))
    m.conn.execute(statement, [
        {"row_id": row.id, "new_name": w.name, "new_level": w.level, "new_depth": w.depth,
         "new_parent": ids.get(w.parent) if w.parent else None, "new_path": w.path,
         "new_boundary": w.boundary} for row, w in pairs])
    if moved:
        # The workflow package writes every history row; a migration imports it only here.
        from ..workflow import history
        history.write_many(m.conn, m.schema, [history.Change(
            history.Kind.REGRIDDED, NODE_SUBJECT, row.id, m.now,
            comment=f"re-gridded by gridwork migrate: {row.parent_code} → {w.parent}",
            before={"parent": row.parent_code, "path": row.path},
            after={"parent": w.parent, "path": w.path}) for row, w in pairs])


def _remove(conn: Connection, schema: Schema, gone: list[Any]) -> Step:
    ids = [row.id for row in gone]
    text = f"remove {_nodes(len(gone))}: {_sample(f'{r.code} ({r.name})' for r in gone)}"
    uses = []
    # Departments follow the config, which names only nodes that stay.
    for table, column in referencing(conn, schema, "nodes", skip=("departments",)):
        n = conn.execute(select(func.count()).select_from(table)
                         .where(table.c[column].in_(ids))).scalar()
        if n:
            uses.append(f"{n} rows of {table.name}.{column}")
    if uses:
        return Step(text, blocked=f"{', '.join(uses)} sit in them; move those first or "
                    "keep the nodes")
    order = [row.id for row in sorted(gone, key=lambda r: -r.depth)]

    def run(m: Migrator) -> None:
        nodes = m.schema.system("nodes")
        for node_id in order:
            m.conn.execute(sql_delete(nodes).where(nodes.c.id == node_id))
    return Step(text, run)
