"""What map pickers ask: the grid's boundaries (shown even without tiles), the area to open
on, and where a picked point lies against the record's chosen node."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .. import hierarchy
from .access import require
from .map_points import note_for, place_name, scope_codes


async def boundaries(request: Request) -> Response:
    """Every node's boundary as a GeoJSON FeatureCollection."""
    site, _user = require(request)
    features = [{"type": "Feature", "geometry": geometry, "properties": {"code": code}}
                for code, geometry in site.deployment.boundaries.items()]
    return JSONResponse({"type": "FeatureCollection", "features": features},
                        headers={"Cache-Control": "private, max-age=3600"})


async def area(request: Request) -> Response:
    """The bounds ``[[south, west], [north, east]]`` to open a map on: those of the chosen
    ``node`` when the user may see it, else of the user's own nodes, else of the whole
    map; null without boundaries."""
    site, user = require(request)
    chosen = request.query_params.get("node", "")
    with site.engine.connect() as conn:
        scope = scope_codes(conn, site, user)
    nodes = site.nodes()
    own = [nodes[g.node].code for g in user.grants if g.node is not None and g.node in nodes]
    box = None
    for codes in ([chosen] if chosen in scope else [], own):
        box = hierarchy.area_box(site.deployment, codes) if codes else None
        if box is not None:
            break
    box = box or hierarchy.area_box(site.deployment)
    bounds = None if box is None else [[box[1], box[0]], [box[3], box[2]]]
    return JSONResponse({"bounds": bounds})


async def locate(request: Request) -> Response:
    """Where the point ``lat``, ``lng`` lies against the chosen ``node`` (optional) at
    ``level``: the words to show, whether it is outside, and the node in the user's scope
    that holds it to offer instead. Only nodes the user may see are named."""
    site, user = require(request)
    params = request.query_params
    try:
        lat, lon = float(params["lat"]), float(params["lng"])
    except (KeyError, ValueError):
        return JSONResponse({"error": site.t("lat and lng must be numbers")}, 400)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return JSONResponse({"error": site.t("lat and lng must be numbers")}, 400)
    level = params.get("level") or None
    with site.engine.connect() as conn:
        note = note_for(conn, site, user, lat, lon, params.get("node") or None, level)
    if note is None:
        return JSONResponse({"message": None, "outside": False, "offer": None})
    offer = None
    if note.offer is not None:
        name = place_name(site, note.offer)
        offer = {"code": note.offer.code, "name": name,
                 "label": site.t("Use {place}", place=name)}
    return JSONResponse({"message": note.message, "outside": note.outside, "offer": offer,
                         "confirm": site.t("The point is right: save it anyway")
                         if note.outside else None})
