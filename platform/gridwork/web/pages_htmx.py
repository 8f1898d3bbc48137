"""Fragments htmx asks for while a form is filled: one field checked, fields shown or hidden."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from .access import require
from .respond import page
from .sessions import posted_form
from .submission import check, evaluate, form_state
from .widgets import build_views


async def form_changed(request: Request) -> Response:
    """Which fields to hide and the computed values, as out-of-band swaps."""
    register = request.path_params["register"]
    site, user = require(request, register)
    form = await posted_form(request)
    state, system = form_state(site, register, form)
    visible, computed = evaluate(site, register, state, system)
    hidden = [f.name for f in site.deployment.registers[register].fields
              if f.name not in visible]
    return page(request, site, user, "_form_state.html", hidden=hidden, computed=computed)


async def field_checked(request: Request) -> Response:
    """One field again, with the messages the form model has for what was typed in it."""
    register, name = request.path_params["register"], request.path_params["name"]
    site, user = require(request, register)
    if site.deployment.registers[register].field(name) is None:
        raise HTTPException(404)
    form = await posted_form(request)
    state, system = form_state(site, register, form)
    with site.engine.connect() as conn:
        sub = check(conn, site, user, register, state, system, {})
        view = next(v for v in build_views(conn, site, user, register, state, sub.errors,
                                           sub.visible) if v.name == name)
    return page(request, site, user, "_field.html", field=view, register=register,
                computed=sub.computed)
