"""The staffing page for administrators: nodes (departments) with fewer or more users of a
role than its `min_per_node` / `max_per_node` — what `gridwork users staffing` prints."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ..auth import may
from ..storage.staffing import Staffing, out_of_bounds
from .access import require
from .pages_messages import ADMIN
from .respond import page

SHOWN = 200
"""Rows listed per role; the count above them says how many there are in all."""


@dataclass
class RoleStaffing:
    """One bounded role: its bounds, where it sits and the units out of bounds."""

    key: str
    label: str
    where: str
    minimum: int | None
    maximum: int | None
    found: list[Staffing] = field(default_factory=list)


async def staffing_page(request: Request) -> Response:
    """Every bounded role with the nodes (departments) outside its bounds; `admin` only."""
    site, user = require(request)
    if not may(site.deployment, user, ADMIN):
        raise HTTPException(403)
    d = site.deployment
    levels = {level.key: site.label(level.label, level.key) for level in d.hierarchy.levels}
    roles = {key: RoleStaffing(key, site.label(role.label, key),
                               " / ".join(levels.get(at, at) for at in role.at) if role.at
                               else site.t("Departments"),
                               role.min_per_node, role.max_per_node)
             for key, role in d.roles.items()
             if role.min_per_node is not None or role.max_per_node is not None}
    with site.engine.connect() as conn:
        for found in out_of_bounds(conn, d, site.schema, list(roles)):
            roles[found.role].found.append(found)
    return page(request, site, user, "staffing.html", roles=list(roles.values()), shown=SHOWN)
