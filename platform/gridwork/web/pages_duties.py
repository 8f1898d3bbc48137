"""The duties page (我的任务): a worker's duties overdue, due today, coming and done, each
with the link that starts the record fulfilling it; and, for whoever leads an area, how
many of its duties have nobody to do them; with `?counted=`, the duties a score sheet's
number counted."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, false, func, select
from starlette.requests import Request
from starlette.responses import Response

from ..assessment.view import counted_duties
from ..auth import User, may
from ..hierarchy import scope_filter
from ..storage.system import DutyState
from .access import require
from .display import when
from .respond import page
from .site import Site

SHOWN = 50
"""Duties listed per section at most."""


async def duties_page(request: Request) -> Response:
    """The signed-in user's duties by section, and the unassigned ones in their area."""
    site, user = require(request)
    if (counted := request.query_params.get("counted")) is not None:
        return _counted(request, site, user, counted)
    now = site.clock()
    zone = site.runtime.zone
    tomorrow = dt.datetime.combine(now.astimezone(zone).date() + dt.timedelta(days=1),
                                   dt.time(), zone)
    duties = site.schema.system("duties")
    mine = duties.c.assignee == user.id
    with site.engine.connect() as conn:
        sections = [
            ("overdue", site.t("Overdue"), _rows(conn, site, user, mine,
                                                 duties.c.state == DutyState.OVERDUE)),
            ("today", site.t("Due today"), _rows(conn, site, user, mine,
                                                 duties.c.state == DutyState.OPEN,
                                                 duties.c.due_at <= tomorrow)),
            ("coming", site.t("Coming up"), _rows(conn, site, user, mine,
                                                  duties.c.state == DutyState.OPEN,
                                                  duties.c.due_at > tomorrow)),
            ("done", site.t("Done"), _rows(conn, site, user, mine,
                                           duties.c.state == DutyState.DONE, newest=True)),
        ]
        unassigned = conn.execute(select(func.count()).select_from(duties).where(
            duties.c.assignee.is_(None), scope_filter(user, duties),
            duties.c.state.in_((DutyState.OPEN, DutyState.OVERDUE)))).scalar() or 0
    return page(request, site, user, "duties.html", sections=sections,
                unassigned=unassigned)


def _counted(request: Request, site: Site, user: User, counted: str) -> Response:
    """The duties in the user's area a score sheet's coverage or misses counted."""
    duties = site.schema.system("duties")
    ids = counted_duties(site.runtime, counted)
    with site.engine.connect() as conn:
        rows = _rows(conn, site, user, scope_filter(user, duties),
                     duties.c.id.in_(ids) if ids is not None else false(), limit=None)
    return page(request, site, user, "duties.html", unassigned=0, counted=counted,
                sections=[("counted", site.t("Counted by the score sheet"), rows)])


def _rows(conn: Connection, site: Site, user: User, *conditions: Any,
          newest: bool = False, limit: int | None = SHOWN) -> list[dict[str, Any]]:
    duties, nodes = site.schema.system("duties"), site.schema.system("nodes")
    order = duties.c.done_at.desc() if newest else duties.c.due_at
    rows = conn.execute(select(duties, nodes.c.name.label("node_name"))
                        .join(nodes, nodes.c.id == duties.c.node)
                        .where(*conditions).order_by(order, duties.c.id).limit(limit)).mappings()
    labels = {s.name: site.label(s.label, s.name) for s in site.deployment.schedules}
    sources = {s.name: s.register_name for s in site.deployment.schedules}
    found = []
    for row in rows:
        register = row["register"]
        source = sources.get(row["schedule"])
        what = row["node_name"]
        if source is not None and source in site.deployment.registers:
            what += " · " + site.label(site.deployment.registers[source].label, source) \
                + f" #{row['entry']}"
        startable = (row["record"] is None and register in site.deployment.registers
                     and may(site.deployment, user, "create", register))
        found.append({
            "id": row["id"], "name": labels.get(row["schedule"], row["schedule"]),
            "what": what, "period": row["period"], "due": when(site, row["due_at"]),
            "done": when(site, row["done_at"]), "state": row["state"],
            "start": f"/registers/{register}/new?duty={row['id']}" if startable else None,
            "record": f"/registers/{register}/{row['record']}"
            if row["record"] is not None else None})
    return found
