"""Pages as responses: every page gets the user, the navigation and the CSRF token."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse

from ..auth import User
from .access import viewable
from .sessions import csrf_token
from .site import Site


def page(request: Request, site: Site, user: User | None, names: str | list[str],
         status: int = 200, **context: Any) -> HTMLResponse:
    """Render a full page (or a fragment) with what every template may use."""
    nav = [(name, site.label(site.deployment.registers[name].label, name))
           for name in viewable(site, user)] if user else []
    html = site.render(names, request=request, user=user, nav=nav, csrf=csrf_token(request),
                       title=site.label(site.deployment.deployment.title), **context)
    return HTMLResponse(html, status_code=status)
