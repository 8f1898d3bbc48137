"""Acting on a record: open an action's form, take the action through the workflow engine,
open a supervision (督办). Without JavaScript each form is a page; with htmx it opens in
place and a success reloads the record."""

from __future__ import annotations

from sqlalchemy import Connection
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from .. import workflow
from ..auth import User
from ..duties.fulfil import settle
from ..integers import parse_int
from .access import require
from .pages_record import record_page, record_photos
from .records import fetch
from .sessions import pending_uploads, posted_form, remember_uploads
from .site import Site
from .submission import engine_values, form_state, take_uploads
from .workflow_view import SYSTEM_VALUES, action_form, record_url, supervise_form


async def action_page(request: Request) -> Response:
    """The record with one action's form opened (its button's target)."""
    register, record_id, name = _target(request)
    site, user = require(request, register)
    with site.engine.connect() as conn:
        row = _row(conn, site, user, register, record_id)
        available = _available(conn, site, user, row, name)
        if available is None:
            raise HTTPException(403)
        opened = action_form(conn, site, user, register, record_id, row.version, available)
        return record_page(request, conn, site, user, register, row, opened=opened)


async def take(request: Request) -> Response:
    """Take an action: the engine moves the record, or the form comes back with what is
    wrong (422), or with the note that someone else acted first and the fresh record (409)."""
    register, record_id, name = _target(request)
    site, user = require(request, register)
    form = await posted_form(request)
    try:
        version = parse_int(str(form.get("version") or "0"))
        if version is None:
            raise HTTPException(400, "version: the version of the record you read")
        with site.engine.connect() as conn:
            row = _row(conn, site, user, register, record_id)
            possible = _available(conn, site, user, row, name) is not None
        asked = _transition(site, register, name)
        state, _system = form_state(site, register, form)
        allowed = {*pending_uploads(request), *record_photos(site, register, row)}
        # Photos are stored only for an action the user may take now: one refused, or
        # overtaken by someone else's, must not leave files behind.
        upload_errors, stored_refs = await take_uploads(site, register, form, state, allowed,
                                                        asked.asks, store=possible)
        remember_uploads(request, stored_refs)
    finally:
        await form.close()
    extras = {key: str(form.get(key) or "") for key in SYSTEM_VALUES if key in form}
    comment = str(form.get("comment") or "").strip()
    with site.engine.begin() as conn:
        values = engine_values(site, register, state, asked.asks) | {
            key: value for key, value in extras.items() if key in asked.asks}
        status, conflict, errors = 422, False, dict(upload_errors)
        if not errors:
            try:
                workflow.take_action(conn, site.runtime, user, register,
                                     record_id, name,
                                     version=version,
                                     values=values, comment=comment or None,
                                     clock=site.clock)
            except workflow.Conflict:
                status, conflict = 409, True
            except workflow.Invalid as err:
                errors = err.errors
            except workflow.Forbidden:
                raise HTTPException(403) from None
            else:
                settle(conn, site.runtime, site.clock(), register=register, records=[record_id])
                return _done(request, register, record_id)
        fresh = _row(conn, site, user, register, record_id)
        now = _available(conn, site, user, fresh, name)
        opened = action_form(conn, site, user, register, record_id, fresh.version,
                             now or asked, state, extras, comment, errors)
        opened.available = now is not None
        return record_page(request, conn, site, user, register, fresh, status=status,
                           opened=opened, conflict=conflict)


async def supervise_page(request: Request) -> Response:
    """The record with the form that opens a supervision."""
    register, record_id, _ = _target(request)
    site, user = require(request, register)
    with site.engine.connect() as conn:
        row = _row(conn, site, user, register, record_id)
        return record_page(request, conn, site, user, register, row,
                           opened=supervise_form(site, register, record_id))


async def supervise(request: Request) -> Response:
    """Open a supervision of the record, with its reason; the engine tells its handlers."""
    register, record_id, _ = _target(request)
    site, user = require(request, register)
    form = await posted_form(request)
    reason = str(form.get("comment") or "").strip()
    with site.engine.begin() as conn:
        row = _row(conn, site, user, register, record_id)
        if reason:
            try:
                workflow.open_supervision(conn, site.runtime, user, register,
                                          record_id, reason=reason, clock=site.clock)
            except workflow.Forbidden:
                raise HTTPException(403) from None
            return _done(request, register, record_id)
        opened = supervise_form(site, register, record_id, reason,
                                {"comment": [site.t("required")]})
        return record_page(request, conn, site, user, register, row, status=422,
                           opened=opened)


def _target(request: Request) -> tuple[str, int, str]:
    params = request.path_params
    return params["register"], int(params["id"]), str(params.get("action", ""))


def _row(conn: Connection, site: Site, user: User, register: str,
         record_id: int) -> workflow.Record:
    """The record within the user's scope, of a register with a workflow; else 404."""
    row = fetch(conn, site, user, register, record_id)
    if row is None or site.deployment.registers[register].workflow is None:
        raise HTTPException(404)
    return row


def _available(conn: Connection, site: Site, user: User, record: workflow.Record,
               name: str) -> workflow.Available | None:
    """The action ``name`` when the user may take it on the record now."""
    return next((a for a in workflow.available_actions(
        conn, site.runtime, user, record.register, record.id,
        clock=site.clock, record=record) if a.name == name), None)


def _transition(site: Site, register: str, name: str) -> workflow.Available:
    """The action ``name`` as the workflow defines it, whoever may take it; else 404."""
    flow = site.deployment.workflows[site.deployment.registers[register].workflow or ""]
    found = next((t for t in flow.transitions if t.name == name), None)
    if found is None:
        raise HTTPException(404)
    label = found.label.text(site.locale) if found.label else found.name
    return workflow.Available(found.name, label, found.to, found.require, found.optional)


def _done(request: Request, register: str, record_id: int) -> Response:
    """Back to the record: a redirect, or for htmx a full reload of it."""
    url = record_url(register, record_id)
    if request.headers.get("hx-request"):
        return Response(status_code=200, headers={"HX-Redirect": url})
    return RedirectResponse(url, 303)
