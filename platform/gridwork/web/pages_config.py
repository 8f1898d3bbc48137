"""The configuration page for administrators: the version running, when and by whom it was
applied, the last reload's outcome (and why it was refused), and the reload button."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ..auth import may
from ..storage.version import applied_config
from .access import require
from .pages_messages import ADMIN
from .respond import page
from .sessions import posted_form


async def config_page(request: Request) -> Response:
    """The running configuration and the last reload; `admin` only."""
    site, user = require(request)
    if not may(site.deployment, user, ADMIN):
        raise HTTPException(403)
    with site.engine.connect() as conn:
        applied = applied_config(conn, site.schema)
    zone = site.runtime.zone
    return page(request, site, user, "config.html", running=site.deployment.source_hash,
                applied=applied, last=site.reloader.last if site.reloader else None,
                folder=str(site.deployment.root),
                when=lambda at: at.astimezone(zone).strftime("%Y-%m-%d %H:%M"))


async def reload_config(request: Request) -> Response:
    """Reload the folder; back to the page, which says what happened."""
    site, user = require(request)
    if not may(site.deployment, user, ADMIN) or site.reloader is None:
        raise HTTPException(403)
    await posted_form(request)
    await run_in_threadpool(site.reloader.reload, user.username)
    return RedirectResponse("/config", 303)
