"""Search across every register the user may view: the list's own free-text filter, so a
hit shows (and masks) exactly as the register's list would."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from starlette.requests import Request
from starlette.responses import Response

from ..auth import may
from .access import require, viewable
from .display import show, state_label
from .listing import Filters, filtered
from .names import Names
from .pages_list import list_columns
from .records import row_values
from .respond import page

HITS_SHOWN = 10
"""Hits a register shows on the search page; the rest are a click away in its list."""


async def search_page(request: Request) -> Response:
    """Records matching ``q`` in each register the user may view, within their scope."""
    site, user = require(request)
    q = request.query_params.get("q", "").strip()
    groups: list[dict[str, Any]] = []
    if q:
        nodes = site.nodes()
        with site.engine.connect() as conn:
            for register in viewable(site, user):
                unmask = may(site.deployment, user, "unmask", register)
                _table, query = filtered(site, user, register, Filters(q=q), unmask)
                total = conn.execute(query.with_only_columns(func.count()).order_by(None)
                                     ).scalar_one()
                if not total:
                    continue
                rows = conn.execute(query.limit(HITS_SHOWN)).all()
                names = Names.load(conn, site, register, rows)
                columns = list_columns(site, register)
                hits = []
                for row in rows:
                    values = row_values(site, register, row)
                    cells = [show(site, f, values.get(f.name), names, unmask) for f in columns]
                    hits.append({"id": row.id, "title": cells[0] or f"#{row.id}",
                                 "more": [c for c in cells[1:] if c],
                                 "node": nodes[row.node].name if row.node in nodes else "",
                                 "state": state_label(site, register,
                                                      getattr(row, "state", None))})
                spec = site.deployment.registers[register]
                groups.append({"name": register, "label": site.label(spec.label, register),
                               "total": total, "hits": hits,
                               "more": Filters(q=q).query_string(page="", sort="")})
    return page(request, site, user, "search.html", q=q, groups=groups)
