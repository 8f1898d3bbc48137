"""Signing in and out."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..auth import Outcome, authenticate
from .respond import page
from .sessions import posted_form, sign_in, sign_out, signed_in, site_of


def _next(request: Request, given: str | None) -> str:
    """Where to go after signing in: a local path only, never another site."""
    target = given or "/"
    return target if target.startswith("/") and not target.startswith("//") else "/"


async def signin(request: Request) -> Response:
    """Show the sign-in form; on POST check the password and start a session."""
    site = site_of(request)
    if request.method == "GET":
        if signed_in(request) is not None:
            return RedirectResponse(_next(request, request.query_params.get("next")), 303)
        return page(request, site, None, "signin.html",
                    next=_next(request, request.query_params.get("next")))
    form = await posted_form(request)
    username, password = str(form.get("username") or ""), str(form.get("password") or "")
    with site.engine.begin() as conn:
        outcome, user = authenticate(conn, site.schema, username, password, site.clock())
        if outcome is Outcome.OK and user is not None:
            sign_in(request, conn, user)
    target = _next(request, str(form.get("next") or ""))
    if outcome is Outcome.OK and user is not None:
        return RedirectResponse(target, 303)
    message = ("Too many failed attempts: this account is locked for 15 minutes."
               if outcome is Outcome.LOCKED else "The username or password is wrong.")
    return page(request, site, None, "signin.html", status=401 if outcome is Outcome.WRONG
                else 429, next=target, username=username, problem=site.t(message))


async def signout(request: Request) -> Response:
    """End the session, in the database too: its cookie no longer opens anything."""
    await posted_form(request)
    sign_out(request)
    return RedirectResponse("/signin", 303)
