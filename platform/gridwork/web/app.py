"""The ASGI application of one deployment: routes, sessions, static files, error pages."""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from ..clock import Clock, utc_now
from ..runtime import Runtime
from ..storage import database_url, make_engine
from ..workflow import PluginFailed
from . import (
    node_picker,
    pages_actions,
    pages_api_docs,
    pages_assessment,
    pages_assessment_export,
    pages_auth,
    pages_config,
    pages_home,
    pages_htmx,
    pages_duties,
    pages_inbox,
    pages_list,
    pages_map,
    pages_messages,
    pages_queue,
    pages_record,
    pages_search,
    pages_stats,
    pages_staffing,
    pages_switches,
    plugin_pages,
)
from .access import SignInNeeded
from .api import api_app
from .busy import BusyDatabase
from .open311 import open311_app
from .params import ID
from .reload import Reloader
from .respond import page
from .sessions import SECRET_ENV, SessionCookies, secret_key, signed_in
from .site import Site

TILES_ENV = "GRIDWORK_MAP_TILES"
STATIC = Path(__file__).parent / "static"
TRUST_PROXY_ENV = "GRIDWORK_TRUST_PROXY"
"""Addresses of reverse proxies (comma-separated, or `*`) whose X-Forwarded-Proto and
X-Forwarded-For are believed, so that a request that came over HTTPS gets Secure cookies."""


def create_app(runtime: Runtime, *, engine: Engine | None = None,
               clock: Clock | None = None, secret: str | None = None,
               data_dir: Path | None = None) -> Starlette:
    """Build the web app of a deployment's ``runtime`` (built once, by the caller)."""
    deployment = runtime.deployment
    folder = data_dir or deployment.root / deployment.about.data_dir
    site = Site(runtime, engine or make_engine(database_url(deployment)), clock or utc_now,
                folder, os.environ.get(TILES_ENV, ""))
    site.templates.globals["queue_nav"] = partial(pages_queue.counts, site)
    site.templates.globals["may_read_log"] = partial(pages_messages.may_read_log, site)
    site.templates.globals["may_assess"] = partial(pages_assessment.may_assess, site)
    site.templates.globals["may_switch"] = partial(pages_switches.may_switch, site)
    site.reloader = Reloader(site, deployment.root)
    key = secret or os.environ.get(SECRET_ENV) or secret_key(folder)
    register = "/registers/{register}"
    record = f"{register}/{ID}"
    routes = [
        Route("/", pages_home.home),
        Route("/signin", pages_auth.signin, methods=["GET", "POST"]),
        Route("/signout", pages_auth.signout, methods=["POST"]),
        Route("/boundaries.geojson", pages_map.boundaries),
        Route("/search", pages_search.search_page),
        Route("/map", pages_map.overview_map),
        Route("/map/measures", pages_map.map_measures),
        Route("/map/layers/{register}", pages_map.map_layer),
        Route("/map/area", pages_map.map_area),
        Route("/map/find", pages_map.map_find),
        Route("/stats", pages_stats.stats_page),
        Route("/stats/export.{kind}", pages_stats.stats_export),
        Route(register, pages_list.register_list),
        Route(register + "/export.{kind}", pages_list.register_export),
        Route(register + "/new", pages_record.new_record, methods=["GET", "POST"]),
        Route(register + "/form", pages_htmx.form_changed, methods=["POST"]),
        Route(register + "/field/{name}", pages_htmx.field_checked, methods=["POST"]),
        Route(record, pages_record.show_record),
        Route(record + "/edit", pages_record.edit_record, methods=["GET", "POST"]),
        Route(record + "/photos/{ref}", pages_record.record_photo),
        Route(record + "/actions/{action}", pages_actions.action_page),
        Route(record + "/actions/{action}", pages_actions.take, methods=["POST"]),
        Route(record + "/supervise", pages_actions.supervise_page),
        Route(record + "/supervise", pages_actions.supervise, methods=["POST"]),
        Route("/queues/{name}", pages_queue.queue_page),
        Route("/uploads/{ref}", pages_record.pending_photo),
        Route("/inbox", pages_inbox.inbox_page),
        Route("/duties", pages_duties.duties_page),
        Route("/inbox/read", pages_inbox.mark_read, methods=["POST"]),
        Route("/messages", pages_messages.message_log),
        Route("/staffing", pages_staffing.staffing_page),
        Route("/assessment", pages_assessment.assessment_page),
        Route("/assessment/export.{kind}", pages_assessment_export.assessment_export),
        Route("/assessment/{subjects}/{key}", pages_assessment.subject_page),
        Route("/assessment/{subjects}/{key}/export.{kind}",
              pages_assessment_export.subject_export),
        Route("/switches", pages_switches.switches_page),
        Route("/config", pages_config.config_page),
        Route("/config/reload", pages_config.reload_config, methods=["POST"]),
        Route("/switches", pages_switches.set_switch, methods=["POST"]),
        Route("/nodes/tree", node_picker.node_tree),
        Route("/nodes/area", pages_map.area),
        Route("/nodes/locate", pages_map.locate),
        Route("/api/docs", pages_api_docs.api_docs),
        Mount("/api/v1", app=api_app(site)),
        *([Mount("/open311/v2", app=open311_app(site))] if deployment.open311 else []),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
        *plugin_pages.mounted(site),
    ]
    middleware = [Middleware(SessionCookies, key=key), Middleware(BusyDatabase)]
    proxies = os.environ.get(TRUST_PROXY_ENV, "").strip()
    if proxies:
        middleware.insert(0, Middleware(ProxyHeadersMiddleware, trusted_hosts=[
            host.strip() for host in proxies.split(",") if host.strip()]))
    app = Starlette(routes=routes, middleware=middleware,
                    exception_handlers={SignInNeeded: _to_signin, HTTPException: _error,
                                        PluginFailed: _plugin_failed})
    app.state.site = site
    return app


async def _to_signin(request: Request, exc: Exception) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/signin?next={quote(target)}", 303)


async def _plugin_failed(request: Request, exc: Exception) -> Response:
    """A plugin raised while acting: its transaction rolled back, so say so and name it."""
    site = request.app.state.site
    return page(request, site, signed_in(request), "error.html", status=500,
                heading=site.t("A plugin failed"), message=str(exc))


async def _error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    site = request.app.state.site
    if exc.status_code == 403:
        title, text = "Not allowed", "Your roles do not allow this."
        if exc.detail == "csrf":
            text = "Your form expired or was sent from elsewhere; please try again."
    elif exc.status_code == 404:
        title, text = "Not found", "The page does not exist, or is not yours to see."
    else:
        return Response(str(exc.detail), status_code=exc.status_code)
    return page(request, site, signed_in(request), "error.html", status=exc.status_code,
                heading=site.t(title), message=site.t(text))
