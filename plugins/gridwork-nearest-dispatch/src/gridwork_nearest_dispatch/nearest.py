"""The strategy: candidates in one query, positions in one more, then the nearest."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, or_, select

from gridwork.hierarchy import ancestor_codes, in_subtree
from gridwork.workflow.dispatch import Route, category_department

if TYPE_CHECKING:
    from gridwork.storage import Schema
    from gridwork.workflow import Record

    from . import Settings

EARTH_KM = 6371.0


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (lat, lon) points (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_KM * math.asin(math.sqrt(h))


def centre(geometry: dict[str, Any]) -> tuple[float, float]:
    """The area-weighted centre (lat, lon) of a GeoJSON polygon's outer ring (the first
    polygon of a multipolygon)."""
    ring = (geometry["coordinates"] if geometry["type"] == "Polygon"
            else geometry["coordinates"][0])[0]
    area = cx = cy = 0.0
    for (x1, y1), (x2, y2) in zip(ring, (*ring[1:], ring[0]), strict=True):
        cross = x1 * y2 - x2 * y1
        area += cross
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    if abs(area) < 1e-15:
        return (sum(p[1] for p in ring) / len(ring), sum(p[0] for p in ring) / len(ring))
    return cy / (3 * area), cx / (3 * area)


@dataclass(frozen=True)
class Nearest:
    """``strategy(conn, schema, record, rule) -> Route | None``."""

    settings: Settings

    def __call__(self, conn: Connection, schema: Schema, record: Record,
                 rule: Any) -> Route | None:
        deployment = schema.deployment
        point = _point(deployment, record)
        department = rule.department or category_department(deployment, record.category)
        if point is None or department is None:
            return None
        area, dept_id = _area(conn, schema, department, record)
        workers = _workers(conn, schema, self.settings.role, area, dept_id)
        if not workers:
            return None
        places = {user: centre(deployment.boundaries[code])
                  for user, code in workers.items() if code in deployment.boundaries}
        places.update(self._positions(conn, schema, list(workers), record.created_at))
        ranked = sorted((distance_km(point, where), user) for user, where in places.items())
        if not ranked or ranked[0][0] > self.settings.max_km:
            return None
        return Route(department, ranked[0][1])

    def _positions(self, conn: Connection, schema: Schema, users: list[int],
                   now: dt.datetime) -> dict[int, tuple[float, float]]:
        """Each worker's last reported position within the window before ``now``."""
        positions = self.settings.positions
        if positions is None:
            return {}
        table = schema.table(positions.register_)
        lat, lon = table.c[f"{positions.field}_lat"], table.c[f"{positions.field}_lon"]
        since = now - dt.timedelta(minutes=positions.within_minutes)
        latest = (select(func.max(table.c.id))
                  .where(table.c.reporter.in_(users), table.c.created_at >= since,
                         table.c.created_at <= now, lat.is_not(None))
                  .group_by(table.c.reporter))
        rows = conn.execute(select(table.c.reporter, lat, lon).where(table.c.id.in_(latest)))
        return {row[0]: (float(row[1]), float(row[2])) for row in rows}


def _point(deployment: Any, record: Record) -> tuple[float, float] | None:
    for spec in deployment.registers[record.register].fields:
        if spec.type == "geo_point" and record.values.get(spec.name) is not None:
            lat, lon = record.values[spec.name]
            return float(lat), float(lon)
    return None


def _area(conn: Connection, schema: Schema, department: str,
          record: Record) -> tuple[str | None, int | None]:
    """The path of the department's area (its node, else the record's ancestor at its
    level; None: everywhere) and its id."""
    departments, nodes = schema.system("departments"), schema.system("nodes")
    row = conn.execute(select(departments.c.id, departments.c.level, nodes.c.path)
                       .outerjoin(nodes, nodes.c.id == departments.c.node)
                       .where(departments.c.code == department)).first()
    if row is None:
        return None, None
    if row.path is not None:
        return row.path, row.id
    path = conn.execute(select(nodes.c.path).where(
        nodes.c.code.in_(ancestor_codes(record.node_path)), nodes.c.level == row.level)).scalar()
    return path, row.id


def _workers(conn: Connection, schema: Schema, role: str, area: str | None,
             department: int | None) -> dict[int, str]:
    """On-duty holders of ``role`` in the area, by user id, with their grid's code: active
    accounts not tied to another department."""
    grants, users, nodes = (schema.system("grants"), schema.system("users"),
                            schema.system("nodes"))
    query = (select(users.c.id, nodes.c.code)
             .join(grants, grants.c.user == users.c.id)
             .join(nodes, nodes.c.id == grants.c.node)
             .where(grants.c.role == role, users.c.active.is_(True),
                    or_(users.c.department.is_(None), users.c.department == department)))
    if area is not None:
        query = query.where(in_subtree(nodes.c.path, area))
    return {user: code for user, code in conn.execute(query.order_by(users.c.id))}
