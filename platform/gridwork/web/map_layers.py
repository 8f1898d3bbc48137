"""The overview map's data: measures per bounded node for the thematic colouring, points of
a register clustered in SQL for the zoom, what lies in a clicked area, and where a search
hit is. All within the user's scope, through the list's own filters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, and_, case, cast, func, select
from starlette.datastructures import QueryParams

from .. import hierarchy
from ..auth import User, may
from ..config.models import FieldSpec
from . import overview
from .access import viewable
from .listing import Filters, filtered, read_filters
from .pages_list import list_columns
from .records import row_values
from .site import NodeInfo, Site
from .widgets import mask

MEASURES = ("open", "overdue", "on_time_rate", "count")
"""What the map colours areas by."""
MAX_FEATURES = 2000
"""Features one layer answer holds at most: cells grow until the clusters fit."""
AREA_ITEMS = 20
"""Records a clicked area lists per register; the rest are in the register's list."""


def point_field(site: Site, register: str) -> FieldSpec | None:
    """The register's first point field (its map layer), or None."""
    return next((f for f in site.deployment.registers[register].fields
                 if f.type == "geo_point"), None)


def layers(site: Site, user: User) -> list[str]:
    """The registers the user may view that have a point field: the map's layers."""
    return [r for r in viewable(site, user) if point_field(site, r) is not None]


@dataclass(frozen=True)
class Box:
    """A bounding box (west, south, east, north) from ``bbox=w,s,e,n``."""

    west: float
    south: float
    east: float
    north: float

    @classmethod
    def parse(cls, text: str | None) -> Box | None:
        """The box written ``w,s,e,n``; BadParameter saying how to write it."""
        if not text:
            return None
        try:
            west, south, east, north = (float(p) for p in text.split(","))
        except ValueError:
            raise overview.BadParameter("bbox", "bbox is west,south,east,north in degrees, "
                             "e.g. 120.1,30.2,120.2,30.3") from None
        if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
            raise overview.BadParameter(
                "bbox", "bbox is west,south,east,north with west ≤ east and south ≤ north")
        return cls(west, south, east, north)


def clustered(site: Site, user: User, register: str, params: QueryParams,
              box: Box | None, zoom: int) -> dict[str, Any]:
    """The register's points in scope (and the list's filters in ``params``) within
    ``box`` as GeoJSON: one feature per occupied cell of a grid about 60 px wide at
    ``zoom`` (a lone record keeps its id), never more than `MAX_FEATURES`."""
    spec = point_field(site, register)
    if spec is None:
        raise ValueError(f"register {register} has no point field to show on a map")
    unmask = may(site.deployment, user, "unmask", register)
    table, query = filtered(site, user, register, read_filters(site, register, params), unmask)
    lat, lon = table.c[f"{spec.name}_lat"], table.c[f"{spec.name}_lon"]
    query = query.where(lat.is_not(None), lon.is_not(None)).order_by(None)
    if box is not None:
        query = query.where(lat >= box.south, lat <= box.north,
                            lon >= box.west, lon <= box.east)
    sub = query.subquery()
    size = 360 / 2 ** max(0, min(zoom, 22)) / 4  # a 256 px tile holds four cells
    while True:
        cell_x = cast((sub.c[lon.name] + 180) / size, Integer).label("cx")
        cell_y = cast((sub.c[lat.name] + 90) / size, Integer).label("cy")
        cells = select(cell_x, cell_y, sub.c[lat.name].label("lat"),
                       sub.c[lon.name].label("lon"), sub.c.id.label("id")).subquery()
        rows = site_rows(site, select(func.count().label("n"), func.avg(cells.c.lat),
                                      func.avg(cells.c.lon), func.min(cells.c.id))
                         .group_by(cells.c.cx, cells.c.cy), MAX_FEATURES + 1)
        if len(rows) <= MAX_FEATURES:
            break
        size *= 2
    features = [{"type": "Feature",
                 "geometry": {"type": "Point", "coordinates": [round(x, 6), round(y, 6)]},
                 "properties": {"count": n, **({"id": first,
                                                "url": f"/registers/{register}/{first}"}
                                               if n == 1 else {})}}
                for n, y, x, first in rows]
    return {"type": "FeatureCollection", "features": features,
            "properties": {"register": register, "zoom": zoom, "cell_degrees": size}}


def site_rows(site: Site, query: Any, limit: int) -> list[Any]:
    """At most ``limit`` rows of ``query``."""
    with site.engine.connect() as conn:
        return list(conn.execute(query.limit(limit)).all())


def area_measures(site: Site, user: User, register: str, params: QueryParams,
                  measure: str) -> dict[str, Any]:
    """``{code: value}`` of ``measure`` for every bounded node the user may see, summed from
    SQL groups by record node, with the breaks of the legend."""
    if measure not in MEASURES:
        raise overview.BadParameter("measure", f"measure must be one of {', '.join(MEASURES)}")
    unmask = may(site.deployment, user, "unmask", register)
    table, query = filtered(site, user, register, read_filters(site, register, params), unmask)
    sub = query.order_by(None).subquery()
    closed = overview.status_clause(site, register, sub, "closed")
    with site.engine.connect() as conn:
        groups = conn.execute(select(
            sub.c.node, func.count().label("count"),
            func.sum(case((overview.status_clause(site, register, sub, "open"), 1), else_=0)),
            func.sum(case((overview.status_clause(site, register, sub, "overdue"), 1),
                          else_=0)),
            func.sum(case((closed, 1), else_=0)),
            func.sum(case((and_(closed, overview.on_time_clause(sub)), 1), else_=0)),
        ).group_by(sub.c.node)).all()
    nodes = site.nodes()
    shown = _shown(site, user)
    sums = {n.code: [0, 0, 0, 0, 0] for n in shown}
    for node_id, *counts in groups:
        node = nodes.get(node_id)
        if node is None:
            continue
        for code in _owners(node):
            if code in sums:
                for i, n in enumerate(counts):
                    sums[code][i] += int(n or 0)
    values: dict[str, float | None] = {}
    for code, (count, open_, overdue, closed_n, on_time) in sums.items():
        values[code] = {"count": count, "open": open_, "overdue": overdue,
                        "on_time_rate": round(on_time / closed_n, 3) if closed_n else None
                        }[measure]
    return {"measure": measure, "values": values, "levels": _levels_of(site, shown)}


def _owners(node: NodeInfo) -> list[str]:
    """The codes of the node and its ancestors."""
    return hierarchy.ancestor_codes(node.path)


def _shown(site: Site, user: User) -> list[NodeInfo]:
    """The bounded nodes within the user's scope."""
    bounded = site.deployment.boundaries
    tops = overview.top_nodes(site, user)
    return [n for n in site.nodes().values()
            if n.code in bounded and any(n.path.startswith(t.path) for t in tops)]


def _levels_of(site: Site, shown: list[NodeInfo]) -> dict[str, str]:
    return {n.code: n.level for n in shown}


def area_contents(site: Site, user: User, code: str) -> dict[str, Any] | None:
    """What lies in node ``code``: per register the user may view, how many records and
    the first few with links; None when the node is not the user's to see."""
    node = site.node_by_code(code)
    if node is None or not overview.may_see_node(site, user, node):
        return None
    registers = []
    with site.engine.connect() as conn:
        for register in viewable(site, user):
            unmask = may(site.deployment, user, "unmask", register)
            filters = Filters(node=code)
            table, query = filtered(site, user, register, filters, unmask)
            total = conn.execute(query.with_only_columns(func.count()).order_by(None)
                                 ).scalar_one()
            if not total:
                continue
            title = list_columns(site, register)[0]
            rows = conn.execute(query.limit(AREA_ITEMS)).all()
            items = []
            for row in rows:
                value = row_values(site, register, row).get(title.name)
                shown = value if unmask or not site.schema.personal(title) else None
                items.append({"id": row.id, "title": str(shown or f"#{row.id}"),
                              "url": f"/registers/{register}/{row.id}"})
            spec = site.deployment.registers[register]
            registers.append({"register": register,
                              "label": site.label(spec.label, register), "total": total,
                              "list": f"/registers/{register}?"
                                      + filters.query_string(page="", sort=""),
                              "items": items})
    return {"code": node.code, "name": node.name, "registers": registers}


def find(site: Site, user: User, q: str) -> list[dict[str, Any]]:
    """Records matching ``q`` (as the search page finds them) with where to show each: its
    point when it has one, else the boundary codes of its node's area."""
    if not q.strip():
        return []
    hits: list[dict[str, Any]] = []
    nodes = site.nodes()
    with site.engine.connect() as conn:
        for register in viewable(site, user):
            unmask = may(site.deployment, user, "unmask", register)
            _table, query = filtered(site, user, register, Filters(q=q.strip()), unmask)
            spec = point_field(site, register)
            title = list_columns(site, register)[0]
            for row in conn.execute(query.limit(10)).all():
                values = row_values(site, register, row)
                text = values.get(title.name)
                if text is not None and site.schema.personal(title) and not unmask:
                    text = mask(str(text))
                point = values.get(spec.name) if spec is not None else None
                node = nodes.get(row.node)
                hits.append({
                    "register": register, "id": row.id, "title": str(text or f"#{row.id}"),
                    "url": f"/registers/{register}/{row.id}",
                    "node": node.name if node else "",
                    "point": list(point) if point else None,
                    "areas": hierarchy.area_codes(site.deployment, node.code) if node else []})
    return hits

