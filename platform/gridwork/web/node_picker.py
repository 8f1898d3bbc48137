"""The tree picker of node fields: one level of the grid tree, or a search, within the user's scope.

The form shows a plain select (or, for a large scope, a code input) that works without
JavaScript; the picker panel asks here for the levels it opens and the names it searches,
so a district of thousands of nodes is never sent whole. A record's own place names its
register, and only the nodes that may hold its records (`attach_to`, whose leaves may sit at
several levels) can be picked. Nothing outside the user's scope
is listed, and the form's submission checks the scope again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Connection, Select, exists, func, or_, select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from ..auth import User
from ..config.models import Leaves
from ..hierarchy import ancestor_codes, scope_filter
from .access import require
from .site import Site

TARGET = re.compile(r"[A-Za-z][\w-]{0,80}")
"""The id of the control a fragment fills (it names the fragment's own ids)."""
SEARCH_LIMIT = 30
"""Matches a search shows; a more precise name or code narrows them."""


@dataclass(frozen=True)
class TreeItem:
    """One node as the picker lists it."""

    code: str
    name: str
    level: str
    pickable: bool
    """At the level the field asks for (any level when it asks for none), and able to hold
    the register's records when the picker is for a record's place."""
    children: int
    """Nodes directly below it, within the user's scope and not below the field's level."""
    trail: str
    """Its ancestors' names, root first (for search results, where names repeat)."""


def level_rank(site: Site, level: str) -> int:
    """How deep ``level`` lies in the hierarchy (the root level is 0; unknown: the deepest);
    of several levels (``grid,subgrid``, where a register's records sit), the deepest."""
    keys = [lv.key for lv in site.deployment.hierarchy.levels]
    return max((keys.index(key) if key in keys else len(keys) - 1
                for key in level.split(",")), default=len(keys) - 1)


@dataclass(frozen=True)
class Wanted:
    """What the picker may pick: nodes at ``level`` (comma-separated levels; all when empty)
    that may hold ``register``'s records (any node when no register is named)."""

    level: str = ""
    register: str = ""

    def pickable(self, site: Site, code: str, level: str) -> bool:
        """Whether the node ``code`` of ``level`` may be picked."""
        if self.register:
            return site.deployment.holds_records(self.register, code, level)
        return not self.level or level in self.level.split(",")


def roots(conn: Connection, site: Site, user: User, level: Wanted) -> list[TreeItem]:
    """The tops of the user's scope (their grants' nodes, without those inside another);
    a single top that cannot be picked is opened, so a community's staff see its grids."""
    paths = sorted({g.node_path for g in user.grants if g.node is not None and g.node_path})
    tops = [p for p in paths if not any(p != q and p.startswith(q) for q in paths)]
    codes = [ancestor_codes(path)[-1] for path in tops]
    items = _items(conn, site, user,
                   _in_scope(site, user).where(_nodes(site).c.code.in_(codes)), level)
    while len(items) == 1 and not items[0].pickable and items[0].children:
        items = children(conn, site, user, items[0].code, level) or []
    return items


def children(conn: Connection, site: Site, user: User, parent: str,
             level: Wanted) -> list[TreeItem] | None:
    """The nodes directly below ``parent``; None when ``parent`` is not in the user's scope."""
    nodes = _nodes(site)
    found = conn.execute(_in_scope(site, user).where(nodes.c.code == parent)).first()
    if found is None:
        return None
    return _items(conn, site, user, _in_scope(site, user).where(nodes.c.parent == found.id),
                  level)


def search(conn: Connection, site: Site, user: User, text: str,
           level: Wanted) -> list[TreeItem]:
    """Nodes whose name or code holds ``text`` (pickable ones only), shallowest first."""
    nodes = _nodes(site)
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    query = _in_scope(site, user).where(or_(nodes.c.name.ilike(pattern, escape="\\"),
                                            nodes.c.code.ilike(pattern, escape="\\")))
    if level.level:
        query = query.where(nodes.c.level.in_(level.level.split(",")))
    if level.register and isinstance(site.deployment.registers[level.register].attach_to,
                                      Leaves):
        below = nodes.alias("below")
        query = query.where(~exists().where(below.c.parent == nodes.c.id))
    return _items(conn, site, user, query.limit(SEARCH_LIMIT), level, trail=True)


def _nodes(site: Site) -> Any:
    return site.schema.system("nodes")


def _in_scope(site: Site, user: User) -> Select[Any]:
    nodes = _nodes(site)
    return (select(nodes.c.id, nodes.c.code, nodes.c.name, nodes.c.level, nodes.c.path)
            .where(scope_filter(user, nodes)).order_by(nodes.c.depth, nodes.c.path))


def _items(conn: Connection, site: Site, user: User, query: Select[Any], level: Wanted,
           trail: bool = False) -> list[TreeItem]:
    rows = conn.execute(query).all()
    nodes = _nodes(site)
    deepest = (level_rank(site, level.level) if level.level
               else len(site.deployment.hierarchy.levels) - 1)
    open_ids = [row.id for row in rows if level_rank(site, row.level) < deepest]
    counts: dict[int, int] = dict(conn.execute(
        select(nodes.c.parent, func.count()).where(nodes.c.parent.in_(open_ids),
                                                   scope_filter(user, nodes))
        .group_by(nodes.c.parent)).all()) if open_ids else {}
    return [TreeItem(row.code, row.name, row.level, level.pickable(site, row.code, row.level),
                     counts.get(row.id, 0), _trail(site, row.path) if trail else "")
            for row in rows]


def _trail(site: Site, path: str) -> str:
    found = (site.node_by_code(code) for code in ancestor_codes(path)[:-1])
    return " / ".join(node.name for node in found if node is not None)


async def node_tree(request: Request) -> Response:
    """A fragment of the picker: roots, one node's children (``parent``) or matches (``q``)."""
    site, user = require(request)
    params = request.query_params
    level = params.get("level", "")
    if level and not set(level.split(",")) <= {lv.key for lv in site.deployment.hierarchy.levels}:
        raise HTTPException(404)
    register = params.get("register", "")
    if register:
        if register not in site.deployment.registers:
            raise HTTPException(404)
        level = ",".join(site.deployment.record_levels(register))
    wanted = Wanted(level, register)
    target = params.get("for", "in-node")
    if not TARGET.fullmatch(target):
        raise HTTPException(404)
    text, parent = params.get("q", "").strip(), params.get("parent", "")
    if "q" in params and not text:
        return HTMLResponse("")
    with site.engine.connect() as conn:
        if text:
            items: list[TreeItem] | None = search(conn, site, user, text, wanted)
        elif parent:
            items = children(conn, site, user, parent, wanted)
        else:
            items = roots(conn, site, user, wanted)
    if items is None:
        raise HTTPException(404)
    return HTMLResponse(site.render("_tree_nodes.html", items=items, target=target,
                                    searched=bool(text), more=lambda code: "/nodes/tree?" +
                                    tree_query(level, register, target, code)))


def tree_query(level: str, register: str, target: str, parent: str | None = None) -> str:
    """The picker's query string; the register only when it picks a record's place."""
    return urlencode({"level": level, **({"register": register} if register else {}),
                      **({"parent": parent} if parent else {}), "for": target})
