"""The grid tree: subtrees and ancestors by materialized path, record scopes, locating a point.

A node's path is ``/<root code>/…/<its code>/``. Every node below it has a path that
starts with it, so a subtree is the range ``path >= p AND path < p'`` where ``p'`` is ``p``
with its final ``/`` raised to ``0`` (the next character): one b-tree range scan on both
SQLite and PostgreSQL (where the column is byte-ordered, ``COLLATE "C"``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import (
    CTE,
    ColumnElement,
    Connection,
    Row,
    Select,
    Table,
    and_,
    bindparam,
    case,
    false,
    or_,
    select,
)

from .config import Deployment


def node_path(codes: Sequence[str]) -> str:
    """The materialized path of the node reached through ``codes`` from the root."""
    return "/" + "".join(f"{code}/" for code in codes)


def in_subtree(path_column: Any, path: str) -> ColumnElement[bool]:
    """SQL condition: the path column lies in the subtree at ``path`` (itself included)."""
    return and_(path_column >= path, path_column < path[:-1] + "0")


def subtree_ids(nodes: Table, path: str) -> Select[Any]:
    """SELECT the ids of the nodes in the subtree at ``path``."""
    return select(nodes.c.id).where(in_subtree(nodes.c.path, path))


def child_owner(nodes: Table, paths: Sequence[str]) -> CTE:
    """(id, child) for every node: the index of the subtree among ``paths`` that holds it
    (-1: none). Worked out once per node, so a count over many rows joins a few thousand
    nodes and groups by child instead of testing each row against each subtree."""
    return (select(nodes.c.id, case(*((in_subtree(nodes.c.path, path), i)
                                      for i, path in enumerate(paths)), else_=-1)
                   .label("child"))
            .cte("owner").prefix_with("MATERIALIZED"))


def ancestor_codes(path: str) -> list[str]:
    """Codes from the root down to the node itself."""
    return path.strip("/").split("/")


def ancestors(conn: Connection, nodes: Table, code: str) -> list[Row[Any]]:
    """The node ``code`` and its ancestors, root first."""
    path = conn.execute(select(nodes.c.path).where(nodes.c.code == code)).scalar()
    if path is None:
        return []
    query = select(nodes).where(nodes.c.code.in_(ancestor_codes(path))).order_by(nodes.c.depth)
    return list(conn.execute(query))


def descendants(conn: Connection, nodes: Table, code: str,
                level: str | None = None) -> list[Row[Any]]:
    """The nodes below ``code`` (not itself), optionally only those at ``level``, by path."""
    path = conn.execute(select(nodes.c.path).where(nodes.c.code == code)).scalar()
    if path is None:
        return []
    query = select(nodes).where(in_subtree(nodes.c.path, path), nodes.c.path != path)
    if level is not None:
        query = query.where(nodes.c.level == level)
    return list(conn.execute(query.order_by(nodes.c.path)))


@dataclass(frozen=True)
class Grant:
    """A role a user holds at a node (territorial) or for a department (departmental)."""

    role: str
    scope: str = "subtree"
    """``node``: records of that node only; ``subtree``: of every node below it too."""
    node: int | None = None
    node_path: str | None = None
    department: int | None = None


class HasGrants(Protocol):
    """Anything that says which roles a user holds where."""

    @property
    def grants(self) -> Sequence[Grant]: ...


def user_grants(conn: Connection, grants: Table, user_id: int) -> tuple[Grant, ...]:
    """Load a user's grants, with the path of each grant's node."""
    return tuple(Grant(*row) for row in conn.execute(_grants_of(grants), {"_user": user_id}))


@functools.lru_cache(maxsize=64)
def _grants_of(grants: Table) -> Select[Any]:
    """The grants of ``:_user`` with their nodes' paths, built once (read per request)."""
    nodes = grants.metadata.tables["nodes"]
    return (select(grants.c.role, grants.c.scope, grants.c.node, nodes.c.path,
                   grants.c.department)
            .outerjoin(nodes, nodes.c.id == grants.c.node)
            .where(grants.c.user == bindparam("_user")).order_by(grants.c.id))


def scope_filter(user: HasGrants, table: Table) -> ColumnElement[bool]:
    """SQL condition selecting the rows of ``table`` the user may see; every query uses it.

    A departmental grant sees its department's records where the table has a department
    column, and otherwise acts at the department's node like a territorial grant.
    """
    nodes = table.metadata.tables["nodes"]
    conditions: list[ColumnElement[bool]] = []
    for grant in user.grants:
        if grant.department is not None and "department" in table.c:
            conditions.append(table.c.department == grant.department)
        elif grant.node is not None and grant.node_path is not None:
            conditions.append(_at_node(table, nodes, grant))
    return or_(*conditions) if conditions else false()


def covers(user: HasGrants, node: int, node_path: str, department: int | None, *,
           by_department: bool) -> bool:
    """What `scope_filter` says in SQL, for one row already read: whether any of the
    user's grants holds a row at ``node`` (with ``node_path``) of ``department``
    (``by_department``: the row's table has a department column)."""
    for grant in user.grants:
        if grant.department is not None and by_department:
            if department == grant.department:
                return True
        elif grant.node is not None and grant.node_path is not None:
            if node == grant.node if grant.scope == "node" else node_path.startswith(
                    grant.node_path):
                return True
    return False


def _at_node(table: Table, nodes: Table, grant: Grant) -> ColumnElement[bool]:
    assert grant.node_path is not None
    if table is nodes:
        if grant.scope == "node":
            return nodes.c.id == grant.node
        return in_subtree(nodes.c.path, grant.node_path)
    if "node" not in table.c:
        raise ValueError(f"table {table.name} has no node column to scope by")
    if grant.scope == "node":
        return table.c.node == grant.node
    return table.c.node.in_(subtree_ids(nodes, grant.node_path))


Box = tuple[float, float, float, float]
"""min lon, min lat, max lon, max lat"""


@dataclass(frozen=True)
class _Shape:
    code: str
    depth: int
    box: Box
    polygons: tuple[tuple[tuple[tuple[float, float], ...], ...], ...]
    """Each polygon: its outer ring, then its holes; points as (lon, lat)."""

    def contains(self, lon: float, lat: float) -> bool:
        min_lon, min_lat, max_lon, max_lat = self.box
        if not (min_lon <= lon <= max_lon and min_lat <= lat <= max_lat):
            return False
        return any(_in_ring(lon, lat, rings[0]) and not any(_in_ring(lon, lat, hole)
                                                            for hole in rings[1:])
                   for rings in self.polygons)


@dataclass(frozen=True)
class _Shapes:
    """The boundaries of one deployment, deepest first, with the tree to find a node's."""

    deepest_first: list[_Shape]
    by_code: dict[str, _Shape]
    parent: dict[str, str | None]
    children: dict[str, list[str]]


_SHAPES: dict[str, _Shapes] = {}


def locate(deployment: Deployment, lat: float, lon: float) -> str | None:
    """The code of the deepest node whose boundary holds the point, or None."""
    for shape in _shapes(deployment).deepest_first:
        if shape.contains(lon, lat):
            return shape.code
    return None


def containing(deployment: Deployment, lat: float, lon: float) -> list[str]:
    """The codes of every node whose boundary holds the point, deepest first."""
    return [shape.code for shape in _shapes(deployment).deepest_first
            if shape.contains(lon, lat)]


def area_codes(deployment: Deployment, code: str) -> list[str]:
    """The nodes whose boundaries stand for the area of node ``code``: its own boundary;
    without one, those of the nearest bounded nodes below it; else its nearest bounded
    ancestor's (a building inside a bounded grid). Empty when no boundary says anything."""
    shapes = _shapes(deployment)
    if code in shapes.by_code:
        return [code]
    below, todo = [], list(shapes.children.get(code, ()))
    while todo:
        child = todo.pop()
        if child in shapes.by_code:
            below.append(child)
        else:
            todo.extend(shapes.children.get(child, ()))
    if below:
        return sorted(below)
    parent = shapes.parent.get(code)
    while parent is not None:
        if parent in shapes.by_code:
            return [parent]
        parent = shapes.parent.get(parent)
    return []


def within(deployment: Deployment, code: str, lat: float, lon: float) -> bool | None:
    """Whether the point lies in node ``code``'s area (see area_codes); None when no
    boundary tells."""
    codes = area_codes(deployment, code)
    if not codes:
        return None
    by_code = _shapes(deployment).by_code
    return any(by_code[c].contains(lon, lat) for c in codes)


def area_box(deployment: Deployment, codes: Iterable[str] | None = None) -> Box | None:
    """The box around the areas of the nodes ``codes`` (every boundary when None), or None
    when no boundary covers them."""
    shapes = _shapes(deployment)
    if codes is None:
        boxes = [shape.box for shape in shapes.deepest_first]
    else:
        boxes = [shapes.by_code[c].box for code in codes for c in area_codes(deployment, code)]
    if not boxes:
        return None
    return (min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes))


def _shapes(deployment: Deployment) -> _Shapes:
    key = deployment.source_hash
    if key and key in _SHAPES:
        return _SHAPES[key]
    depth = {level.key: i for i, level in enumerate(deployment.hierarchy.levels)}
    level_of = {node.code: node.level for node in deployment.nodes}
    shapes = []
    for code, geometry in deployment.boundaries.items():
        coordinates = geometry["coordinates"]
        polygons = [coordinates] if geometry["type"] == "Polygon" else coordinates
        rings = tuple(tuple(tuple((float(p[0]), float(p[1])) for p in ring) for ring in polygon)
                      for polygon in polygons)
        points = [p for polygon in rings for p in polygon[0]]
        box = (min(p[0] for p in points), min(p[1] for p in points),
               max(p[0] for p in points), max(p[1] for p in points))
        shapes.append(_Shape(code, depth.get(level_of.get(code, ""), 0), box, rings))
    shapes.sort(key=lambda s: -s.depth)
    children: dict[str, list[str]] = {}
    for node in deployment.nodes:
        if node.parent is not None:
            children.setdefault(node.parent, []).append(node.code)
    found = _Shapes(shapes, {s.code: s for s in shapes},
                    {node.code: node.parent for node in deployment.nodes}, children)
    if key:
        if len(_SHAPES) > 8:
            _SHAPES.clear()
        _SHAPES[key] = found
    return found


def _in_ring(x: float, y: float, ring: Sequence[tuple[float, float]]) -> bool:
    """Ray casting: an odd number of edge crossings to the right means inside."""
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, (*ring[1:], *ring[:1]), strict=True):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside
