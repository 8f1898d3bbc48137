"""`/api/v1/stats` and `/api/v1/map/{layer}`: the statistics table and the clustered map
layer the `/stats` and `/map` pages show, as JSON."""

from __future__ import annotations

from typing import Any

from . import map_layers, overview
from .access import viewable
from .api_call import ApiError, Call


def stats(call: Call) -> Any:
    """Rows ``{keys…, count, overdue, closed, on_time_rate, median_working_hours}`` (the
    median from creation to closing in the calendar's working hours) of one register over the
    caller's scope; 422 naming the parameter for a bad one."""
    site, user = call.site, call.user
    try:
        ask = overview.read_stats_query(site, user, call.request.query_params,
                                        viewable(site, user))
    except overview.BadParameter as exc:
        raise ApiError(422, errors={exc.name: [str(exc)]}) from None
    with site.engine.connect() as conn:
        rows = overview.stats_rows(conn, site, user, ask)
    return {"register": ask.register, "by": list(ask.by), "level": ask.level,
            "period": ask.period, "from": ask.first.isoformat(), "to": ask.last.isoformat(),
            "rows": rows}


def map_layer(call: Call) -> Any:
    """A register's points in the caller's scope as GeoJSON, clustered for ``zoom`` within
    ``bbox``; 404 for a register without points, 422 for a bad bbox or zoom."""
    site, user = call.site, call.user
    layer = call.request.path_params["layer"]
    if layer not in map_layers.layers(site, user):
        raise ApiError(404, f"no map layer '{layer}'")
    try:
        zoom = int(call.param("zoom") or "12")
    except ValueError:
        raise ApiError(422, errors={"zoom": ["zoom is a whole number, 0 to 22"]}) from None
    try:
        box = map_layers.Box.parse(call.param("bbox"))
    except overview.BadParameter as exc:
        raise ApiError(422, errors={exc.name: [str(exc)]}) from None
    return map_layers.clustered(site, user, layer, call.request.query_params, box, zoom)
