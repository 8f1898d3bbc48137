"""Staffing: which nodes (or departments) have fewer or more active users of a role than
its `min_per_node` / `max_per_node` say — one SQL count per role, never a loop over users."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, and_, func, or_, select, true

from ..config import Deployment
from .schema import Schema


@dataclass(frozen=True)
class Staffing:
    """One node or department whose count of a role's active users is out of bounds."""

    role: str
    code: str
    name: str
    count: int
    minimum: int | None
    maximum: int | None

    @property
    def short(self) -> bool:
        """Fewer than the role's `min_per_node`."""
        return self.minimum is not None and self.count < self.minimum

    def describe(self) -> str:
        """One line for a terminal: where, how many, how many it needs."""
        wanted = (f"needs at least {self.minimum}" if self.short
                  else f"may have at most {self.maximum}")
        return f"{self.role}: {self.code} {self.name} has {self.count}, {wanted}"


def out_of_bounds(conn: Connection, deployment: Deployment, schema: Schema,
                  roles: list[str] | None = None) -> list[Staffing]:
    """Every node or department outside its roles' bounds (all bounded roles, or
    ``roles``), role by role in config order and nodes in tree order."""
    found: list[Staffing] = []
    for key, role in deployment.roles.items():
        if roles is not None and key not in roles:
            continue
        if role.min_per_node is None and role.max_per_node is None:
            continue
        found.extend(_counted(conn, schema, key, role.at, role.department,
                              role.min_per_node, role.max_per_node))
    return found


def _counted(conn: Connection, schema: Schema, role: str, levels: tuple[str, ...],
             department: str | None, minimum: int | None,
             maximum: int | None) -> list[Staffing]:
    grants, users = schema.system("grants"), schema.system("users")
    if levels:
        unit = schema.system("nodes")
        joined, where, order = grants.c.node, unit.c.level.in_(levels), unit.c.path
    else:
        unit = schema.system("departments")
        joined, order = grants.c.department, unit.c.code
        where = true() if department == "*" else unit.c.code == department
    count = func.count(func.distinct(users.c.id))
    bounds = []
    if minimum is not None:
        bounds.append(count < minimum)
    if maximum is not None:
        bounds.append(count > maximum)
    query = (select(unit.c.code, unit.c.name, count.label("count"))
             .select_from(unit.outerjoin(grants, and_(joined == unit.c.id, grants.c.role == role))
                          .outerjoin(users, and_(users.c.id == grants.c.user,
                                                 users.c.active.is_(True))))
             .where(where).group_by(unit.c.id, unit.c.code, unit.c.name, order)
             .having(or_(*bounds)).order_by(order))
    return [Staffing(role, row.code, row.name, row.count, minimum, maximum)
            for row in conn.execute(query)]
