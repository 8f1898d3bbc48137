"""Pages as responses: every page gets the user, the navigation and the CSRF token."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse

from ..auth import User
from ..notify import inbox
from .access import viewable
from .sessions import csrf_token
from .site import Site


def page(request: Request, site: Site, user: User | None, names: str | list[str],
         status: int = 200, **context: Any) -> HTMLResponse:
    """Render a full page (or a fragment: a template named ``_…``) with what templates use."""
    nav = [(name, site.label(site.deployment.registers[name].label, name))
           for name in viewable(site, user)] if user else []
    fragment = (names if isinstance(names, str) else names[0]).startswith("_")
    html = site.render(names, request=request, user=user, nav=nav, csrf=csrf_token(request),
                       title=site.label(site.deployment.about.title),
                       unread=None if fragment else unread(site, user), **context)
    return HTMLResponse(html, status_code=status)


def unread(site: Site, user: User | None) -> int | None:
    """The user's unread inbox messages (the navigation's count); None without an inbox."""
    if user is None or not inbox.inbox_channels(site.deployment):
        return None
    with site.engine.connect() as conn:
        return inbox.unread_count(conn, site.deployment, user.id)


def unavailable_page(request: Request) -> HTMLResponse:
    """The page for a database that is busy or out of reach (503): rendered without asking
    the database who is signed in or what is unread."""
    site: Site = request.app.state.site
    html = site.render("error.html", request=request, user=None, nav=[], csrf="",
                       title=site.label(site.deployment.about.title), unread=None,
                       heading=site.t("Busy, please try again"),
                       message=site.t("Many people are saving at once, or the database is "
                                      "briefly out of reach. Nothing was saved: please try "
                                      "again in a moment."))
    return HTMLResponse(html, status_code=503)
