"""`/api/v1/stats`: the statistics table the `/stats` page shows, as JSON rows."""

from __future__ import annotations

from typing import Any

from . import overview
from .access import viewable
from .api_call import ApiError, Call


def stats(call: Call) -> Any:
    """Rows ``{keys…, count, overdue, closed, on_time_rate}`` of one register over the
    caller's scope; 422 naming the parameter for a bad one."""
    site, user = call.site, call.user
    try:
        ask = overview.read_stats_query(site, user, call.request.query_params,
                                        viewable(site, user))
    except ValueError as exc:
        raise ApiError(422, str(exc)) from None
    with site.engine.connect() as conn:
        rows = overview.stats_rows(conn, site, user, ask)
    return {"register": ask.register, "by": list(ask.by), "level": ask.level,
            "period": ask.period, "from": ask.first.isoformat(), "to": ask.last.isoformat(),
            "rows": rows}
