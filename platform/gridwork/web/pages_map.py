"""The grid's boundaries for map pickers, which still show the grid when no tiles are set."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .access import require


async def boundaries(request: Request) -> Response:
    """Every node's boundary as a GeoJSON FeatureCollection."""
    site, _user = require(request)
    features = [{"type": "Feature", "geometry": geometry, "properties": {"code": code}}
                for code, geometry in site.deployment.boundaries.items()]
    return JSONResponse({"type": "FeatureCollection", "features": features},
                        headers={"Cache-Control": "private, max-age=3600"})
