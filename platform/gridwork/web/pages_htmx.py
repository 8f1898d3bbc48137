"""Fragments htmx asks for while a form is filled: one field checked, fields shown or hidden."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from .access import require
from .respond import page
from .site import Site
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
    if name in _action_requires(site, register, str(form.get("_action") or "")):
        # In an action's form the field is shown and required whatever the register says.
        view.hidden = False
        view.spec = view.spec.model_copy(update={"required": True})
    return page(request, site, user, "_field.html", field=view, register=register,
                computed=sub.computed)


def _action_requires(site: Site, register: str, action: str) -> tuple[str, ...]:
    """The fields the workflow's action ``action`` asks for (none for a record's own form)."""
    flow = site.deployment.workflows.get(site.deployment.registers[register].workflow or "")
    found = next((t for t in flow.transitions if t.name == action), None) if flow else None
    return tuple(found.require) if found else ()
