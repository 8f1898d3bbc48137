"""Who may open a page: signed in, the register exists, and a role grants the verb."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request

from ..auth import User, may
from .sessions import signed_in, site_of
from .site import Site


class SignInNeeded(Exception):
    """The page needs a signed-in user; the app answers with a redirect to the sign-in page."""


def require(request: Request, register: str | None = None,
            verb: str = "view") -> tuple[Site, User]:
    """The site and signed-in user, when they may ``verb`` the register; else 404 or 403."""
    site = site_of(request)
    user = signed_in(request)
    if user is None:
        raise SignInNeeded
    if register is not None:
        if register not in site.deployment.registers:
            raise HTTPException(404)
        if not may(site.deployment, user, "view", register):
            raise HTTPException(404)
        if not may(site.deployment, user, verb, register):
            raise HTTPException(403)
    return site, user


def viewable(site: Site, user: User) -> list[str]:
    """The registers the user may view, in config order."""
    return [name for name in site.deployment.registers if may(site.deployment, user, "view", name)]
