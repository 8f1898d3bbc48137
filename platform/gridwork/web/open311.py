"""Open311 GeoReport v2 at `/open311/v2/`: the public categories as services, and public
requests, each of which becomes a record through the workflow engine like any other —
placed in the grid that holds its point, dispatched, timed and escalated.

Every path ends in `.json` or `.xml`, which chooses the answer's format; refusals are the
specification's error list (`[{"code": 400, "description": …}]`) in that format.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .api_shapes import dumps
from .busy import BusyDatabase
from .open311_post import form_text, post_request
from .open311_shapes import (
    Refusal,
    config_of,
    definition_json,
    public_service,
    requests_json,
    service_json,
)
from .open311_xml import xml_document
from .site import Site

MAX_LISTED = 1000
"""Requests one GET answers at most (newest first)."""
DEFAULT_RANGE = dt.timedelta(days=90)
"""Without dates, GET requests covers the most recent 90 days, as the specification says."""
MAX_FIELDS = 200
"""Form fields a posted request may have: the standard ones and its attributes."""
Answer = tuple[str, str | None, Any, int]
"""What a handler answers: the XML root and item elements, the content, the status."""
Handler = Callable[[Request, FormData | None], Answer]
_MEDIA = {"json": "application/json", "xml": "text/xml; charset=utf-8"}


def open311_app(site: Site) -> Starlette:
    """The GeoReport v2 endpoints of ``site``, to mount at `/open311/v2`."""
    routes = [
        Route("/services.{format}", _endpoint(_services)),
        Route("/services/{code}.{format}", _endpoint(_definition)),
        Route("/requests.{format}", _endpoint(_requests), methods=["GET", "POST"]),
        Route("/requests/{id}.{format}", _endpoint(_request)),
        Route("/tokens/{token}.{format}", _endpoint(_token)),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(BusyDatabase, api=True)],
                    exception_handlers={HTTPException: _error})
    app.state.site = site
    return app


def _endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """An ASGI endpoint around a handler (run in a worker thread): the format from the
    path, the posted form, refusals as the specification's error list."""

    async def run(request: Request) -> Response:
        kind = request.path_params["format"]
        if kind not in _MEDIA:
            return _refused("json", Refusal(404, "ask for .json or .xml"))
        form = await request.form(max_files=0, max_fields=MAX_FIELDS) \
            if request.method == "POST" else None
        try:
            root, item, content, status = await run_in_threadpool(handler, request, form)
        except Refusal as refusal:
            return _refused(kind, refusal)
        finally:
            if form is not None:
                await form.close()
        return _answer(kind, root, item, content, status)
    return run


def _answer(kind: str, root: str, item: str | None, content: Any, status: int = 200,
            ) -> Response:
    body = dumps(content) if kind == "json" else xml_document(root, item, content)
    return Response(body, status_code=status, media_type=_MEDIA[kind])


def _refused(kind: str, refusal: Refusal) -> Response:
    return _answer(kind, "errors", "error", [{"code": refusal.status,
                                              "description": refusal.description}],
                   refusal.status)


async def _error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    words = {404: "no such Open311 path", 405: "this path does not take that method"}
    kind = "xml" if request.url.path.endswith(".xml") else "json"
    return _refused(kind, Refusal(exc.status_code, words.get(exc.status_code,
                                                             str(exc.detail))))


def _site(request: Request, form: FormData | None = None) -> Site:
    """The site, once the jurisdiction the client names (in the query, or the posted
    form) is the one served here."""
    site: Site = request.app.state.site
    given = request.query_params.get("jurisdiction_id") or (
        form_text(form, "jurisdiction_id") if form is not None else None)
    expected = config_of(site).jurisdiction
    if given and expected is not None and given != expected:
        raise Refusal(404, f"jurisdiction_id '{given}' is not served here; "
                           f"this is '{expected}'")
    return site


def _services(request: Request, form: FormData | None) -> Answer:
    site = _site(request)
    return "services", "service", [service_json(site, code)
                                   for code in config_of(site).services], 200


def _definition(request: Request, form: FormData | None) -> Answer:
    site = _site(request)
    code = public_service(site, request.path_params["code"])
    return "service_definition", None, definition_json(site, code), 200


def _request(request: Request, form: FormData | None) -> Answer:
    site = _site(request)
    number = request.path_params["id"]
    found = _listed(site, [int(number)] if number.isascii() and number.isdigit()
                    and len(number) <= 10 else [0])
    if not found:
        raise Refusal(404, f"no service request '{number}'")
    return "service_requests", "request", found, 200


def _token(request: Request, form: FormData | None) -> Answer:
    site = _site(request)
    table = site.schema.system("open311_requests")
    token = request.path_params["token"]
    with site.engine.connect() as conn:
        record = conn.execute(select(table.c.record).where(table.c.token == token)).scalar()
    if record is None:
        raise Refusal(404, f"no token '{token}'")
    return "service_requests", "request", [{"service_request_id": str(record),
                                            "token": token}], 200


def _requests(request: Request, form: FormData | None) -> Answer:
    if form is not None:
        site = _site(request, form)
        return "service_requests", "request", [post_request(site, form)], 201
    site, query = _site(request), request.query_params
    if query.get("service_request_id"):
        ids = [int(part) for part in query["service_request_id"].split(",")
               if part.strip().isascii() and part.strip().isdigit() and len(part.strip()) <= 10]
        return "service_requests", "request", _listed(site, ids or [0]), 200
    codes = [c.strip() for c in query.get("service_code", "").split(",") if c.strip()]
    statuses = {s.strip() for s in query.get("status", "").split(",") if s.strip()}
    if statuses - {"open", "closed"}:
        raise Refusal(400, "status is open, closed or both (comma-separated)")
    end = _moment(query.get("end_date"), "end_date") or site.clock()
    start = _moment(query.get("start_date"), "start_date") or end - DEFAULT_RANGE
    return "service_requests", "request", _listed(site, None, codes=codes, statuses=statuses,
                                                  start=start, end=end), 200


def _moment(text: str | None, name: str) -> dt.datetime | None:
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise Refusal(400, f"{name}: a W3C date and time like 2026-10-01T00:00:00Z") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _listed(site: Site, ids: list[int] | None, *, codes: list[str] | None = None,
            statuses: set[str] | None = None, start: dt.datetime | None = None,
            end: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Requests posted here: those ``ids``, or those matching the filters, newest first."""
    config = config_of(site)
    table = site.schema.table(config.register_name)
    posted = site.schema.system("open311_requests")
    query = select(table).join(posted, posted.c.record == table.c.id)
    if ids is not None:
        query = query.where(table.c.id.in_(ids))
    else:
        if codes:
            query = query.where(table.c.category.in_(codes))
        if start is not None and end is not None:
            query = query.where(table.c.created_at >= start, table.c.created_at <= end)
        workflow = site.deployment.workflows[
            site.deployment.registers[config.register_name].workflow or ""]
        final = [key for key, state in workflow.states.items() if state.final]
        if statuses == {"open"}:
            query = query.where(table.c.state.not_in(final))
        elif statuses == {"closed"}:
            query = query.where(table.c.state.in_(final))
    with site.engine.connect() as conn:
        rows = list(conn.execute(query.order_by(table.c.id.desc()).limit(MAX_LISTED))
                    .mappings())
        return requests_json(conn, site, rows)
