"""The JSON API under `/api/v1` (records, their actions and history, and the message log): its routes, as
an app of its own so that unknown paths and methods answer JSON too."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import (
    api_assessment,
    api_duties,
    api_edits,
    api_messages,
    api_people,
    api_records,
    api_stats,
    api_switches,
    api_uploads,
)
from .api_call import endpoint, json_response
from .api_shapes import dumps
from .busy import BusyDatabase
from .openapi import openapi_document
from .params import ID
from .site import Site


def api_app(site: Site) -> Starlette:
    """The API of ``site``, to mount at `/api/v1`."""
    records = "/registers/{register}/records"
    documents: dict[str, str] = {}

    async def openapi(request: Request) -> Response:
        # Made once per configuration version: a reload swaps the deployment.
        deployment = site.deployment
        if deployment.source_hash not in documents:
            documents.clear()
            documents[deployment.source_hash] = dumps(openapi_document(deployment))
        return Response(documents[deployment.source_hash], media_type="application/json")

    routes = [
        Route("/openapi.json", openapi),
        Route("/me", endpoint(api_people.me)),
        Route("/queues", endpoint(api_people.queues)),
        Route("/messages", endpoint(api_messages.messages)),
        Route("/stats", endpoint(api_stats.stats)),
        Route("/map/{layer}", endpoint(api_stats.map_layer)),
        Route("/duties", endpoint(api_duties.duties)),
        Route("/assessment", endpoint(api_assessment.assessment)),
        Route("/switches", endpoint(api_switches.switches_api), methods=["GET", "POST"]),
        Route("/uploads", endpoint(api_uploads.upload, multipart=True), methods=["POST"]),
        Route("/registers/{register}", endpoint(api_records.register)),
        Route(records, endpoint(api_records.records, transaction=True),
              methods=["GET", "POST"]),
        Route(records + "/" + ID, endpoint(api_records.record, transaction=True)),
        Route(records + "/" + ID, endpoint(api_edits.edit), methods=["PATCH"]),
        Route(records + "/" + ID + "/actions/{action}",
              endpoint(api_records.act, transaction=True), methods=["POST"]),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(BusyDatabase, api=True)],
                    exception_handlers={HTTPException: _error})
    app.state.site = site
    return app


async def _error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    words = {404: "no such API path", 405: "this path does not take that method"}
    response = json_response(exc.status_code, {"error": words.get(exc.status_code,
                                                                  str(exc.detail))})
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response
