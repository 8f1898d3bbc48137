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
                       title=site.label(site.deployment.deployment.title),
                       unread=None if fragment else unread(site, user), **context)
    return HTMLResponse(html, status_code=status)


def unread(site: Site, user: User | None) -> int | None:
    """The user's unread inbox messages (the navigation's count); None without an inbox."""
    if user is None or not inbox.inbox_channels(site.deployment):
        return None
    with site.engine.connect() as conn:
        return inbox.unread_count(conn, site.deployment, user.id)
