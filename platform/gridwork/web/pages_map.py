"""What map pickers ask: the grid's boundaries (shown even without tiles), the area to open
on, and where a picked point lies against the record's chosen node."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .. import hierarchy
from . import map_layers
from .access import require, viewable
from .display import category_labels
from .map_points import note_for, place_name, scope_codes
from .respond import page
from .site import Site


async def boundaries(request: Request) -> Response:
    """Every node's boundary as a GeoJSON FeatureCollection, with its name and level."""
    site, _user = require(request)
    features = []
    for code, geometry in site.deployment.boundaries.items():
        node = site.node_by_code(code)
        features.append({"type": "Feature", "geometry": geometry, "properties": {
            "code": code, "name": node.name if node else code,
            "level": node.level if node else ""}})
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


async def overview_map(request: Request) -> Response:
    """The one map: areas coloured by a measure, a register's points clustered, filters
    (category, created from/to, and a state of the measured register, which applies to a
    layer of the same register), a clicked area's records, and search."""
    site, user = require(request)
    registers = map_layers.layers(site, user)
    workflowed = [r for r in viewable(site, user) if site.deployment.registers[r].workflow]
    levels = {n.level for n in site.nodes().values() if n.code in site.deployment.boundaries}
    return page(request, site, user, "map.html",
                layers=[(r, site.label(site.deployment.registers[r].label, r))
                        for r in registers],
                measured=[(r, site.label(site.deployment.registers[r].label, r))
                          for r in workflowed],
                levels=[(lv.key, site.label(lv.label, lv.key))
                        for lv in site.deployment.hierarchy.levels if lv.key in levels],
                categories=list(category_labels(site).items()),
                states=[(r, key, site.label(state.label, key)) for r in workflowed
                        for key, state in site.deployment.workflows[
                            site.deployment.registers[r].workflow or ""].states.items()],
                node=request.query_params.get("node", ""))


def _bad(site: Site, exc: ValueError) -> Response:
    return JSONResponse({"error": str(exc)}, 400)


async def map_measures(request: Request) -> Response:
    """``{code: value}`` of the chosen measure of a register for the thematic colouring."""
    site, user = require(request)
    register = request.query_params.get("register", "")
    if register not in viewable(site, user):
        return JSONResponse({"error": site.t("No such register")}, 404)
    try:
        return JSONResponse(map_layers.area_measures(
            site, user, register, request.query_params,
            request.query_params.get("measure", "open")))
    except ValueError as exc:
        return _bad(site, exc)


async def map_layer(request: Request) -> Response:
    """A register's points as clustered GeoJSON for ``bbox`` and ``zoom``."""
    site, user = require(request)
    register = request.path_params["register"]
    if register not in map_layers.layers(site, user):
        return JSONResponse({"error": site.t("No such register")}, 404)
    params = request.query_params
    try:
        zoom = int(params.get("zoom", "12"))
        box = map_layers.Box.parse(params.get("bbox"))
        return JSONResponse(map_layers.clustered(site, user, register, params, box, zoom))
    except ValueError as exc:
        return _bad(site, exc)


async def map_area(request: Request) -> Response:
    """What lies in a clicked area (404 outside the user's scope)."""
    site, user = require(request)
    found = map_layers.area_contents(site, user, request.query_params.get("node", ""))
    if found is None:
        return JSONResponse({"error": site.t("Not found")}, 404)
    return JSONResponse(found)


async def map_find(request: Request) -> Response:
    """Records matching ``q`` with a point or an area to highlight."""
    site, user = require(request)
    return JSONResponse({"hits": map_layers.find(site, user,
                                                 request.query_params.get("q", ""))})
