"""One record: report a new one, look at it, edit it, see its photos."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from .. import workflow
from ..auth import User, may
from ..config.models import FieldSpec, Register
from ..duties.fulfil import NotYours, Start, link, start
from ..forms.steps import edit_fields
from ..integers import parse_int
from ..workflow import Record
from . import uploads
from .access import require
from .display import Names, category_labels, photos, show, state_label, system_labels, when
from .map_points import flag_points
from .records import fetch
from .respond import page
from .sessions import pending_uploads, posted_form, remember_uploads
from .site import Site
from .submission import (
    SYSTEM_INPUTS,
    Submission,
    engine_values,
    evaluate,
    form_state,
    new_fields,
    take_uploads,
)
from .widgets import FormState, Offer, build_views, id_codes, state_from_record
from .workflow_view import ActionForm, history_photos, timeline_rounds, workflow_context


def place_label(site: Site, register: str) -> str:
    """The names of the levels a register's records sit at, e.g. 格 / 子格."""
    return " / ".join(site.level_label(key) for key in site.deployment.record_levels(register))


def form_page(request: Request, conn: Connection, site: Site, user: User, register: str,
              sub: Submission, record: Record | None, status: int = 200,
              conflict: bool = False, duty: int | None = None) -> Response:
    """The record form with the typed values, the fields shown and every message."""
    spec = site.deployment.registers[register]
    nodes = _place_options(conn, site, user, register)
    severities = site.deployment.choices.get("severity", {})
    context = {
        "register": register, "register_label": site.label(spec.label, register),
        "record": record, "fields": build_views(conn, site, user, register, sub.state,
                                                sub.errors, sub.visible,
                                                _kept_personal(site, user, register, record),
                                                sub.only),
        "computed": sub.computed, "system": sub.system, "errors": sub.errors,
        "node_options": nodes, "level_label": place_label(site, register),
        "categories": list(category_labels(site).items())
        if takes_category(site, spec) else [],
        "severities": [(c, site.label(lb, c)) for c, lb in severities.items()]
        if takes_category(site, spec) else [],
        "system_labels": system_labels(site),
        "record_photos": record_photos(site, register, record), "conflict": conflict,
        "action": f"/registers/{register}/{record.id}/edit" if record is not None
        else f"/registers/{register}/new",
        "duty": duty,
    }
    return page(request, site, user, [f"form-{register}.html", "form.html"], status=status,
                **context)


def takes_category(site: Site, spec: Register) -> bool:
    """Whether a new record of the register carries a category, as the workflow engine and
    the API ask it: only of categorized registers (a patrol or a visit has none)."""
    return spec.categorized and bool(site.deployment.categories)


def _kept_personal(site: Site, user: User, register: str,
                   record: Record | None) -> frozenset[str]:
    """Personal fields of a stored record a role without `unmask` sees masked and cannot change."""
    if record is None or may(site.deployment, user, "unmask", register):
        return frozenset()
    return frozenset(f.name for f in site.deployment.registers[register].fields if site.schema.personal(f))


def _place_options(conn: Connection, site: Site, user: User,
                   register: str) -> list[tuple[str, str]]:
    """The nodes in the user's scope a record of ``register`` may sit at."""
    return Offer(conn, site, user).record_nodes(register)


async def new_record(request: Request) -> Response:
    """Show a blank form, or check and store a posted one."""
    register = request.path_params["register"]
    site, user = require(request, register, "create")
    if request.method == "POST":
        return await _save(request, site, user, register, None)
    spec = site.deployment.registers[register]
    only = new_fields(site, register)
    state: FormState = {f.name: _default(f.default) for f in spec.fields
                        if f.default is not None and f.name in only}
    with site.engine.connect() as conn:
        places = _place_options(conn, site, user, register)
        system = {"node": places[0][0] if len(places) == 1 else ""}
        duty = _duty_start(conn, site, user, register, request.query_params.get("duty"))
        if duty is not None:
            state |= {name: _default(value) for name, value in duty.values.items()
                      if name in only and value is not None}
            system["node"] = duty.node
        visible, computed = evaluate(site, register, state, system, only)
        return form_page(request, conn, site, user, register,
                         Submission(state, system, {}, None, visible, computed, only), None,
                         duty=duty.duty if duty is not None else None)


def _duty_start(conn: Connection, site: Site, user: User, register: str,
                given: str | None) -> Start | None:
    """The duty a new record is started from (`?duty=ID`): 404 unless it is an open duty
    of this register the user may do."""
    if given is None or given == "":
        return None
    number = parse_int(given, lo=1)
    try:
        if number is None:
            raise NotYours(given)
        begun = start(conn, site.runtime, number, user.id)
    except NotYours:
        raise HTTPException(404) from None
    if begun.register != register:
        raise HTTPException(404)
    return begun


async def edit_record(request: Request) -> Response:
    """Show a record's form filled in, or check and store the changes."""
    register, record_id = request.path_params["register"], request.path_params["id"]
    site, user = require(request, register, "edit")
    with site.engine.connect() as conn:
        row = fetch(conn, site, user, register, record_id, "edit")
    if row is None:
        raise HTTPException(404)
    if request.method == "POST":
        return await _save(request, site, user, register, row)
    with site.engine.connect() as conn:
        state = state_from_record(site, register, row.values, id_codes(conn, site))
        system: dict[str, str] = {"node": row.node}
        if takes_category(site, site.deployment.registers[register]):
            system |= {"category": row.category or "", "severity": row.severity or ""}
        only = edit_fields(site.deployment, register)
        visible, computed = evaluate(site, register, state, system, only)
        return form_page(request, conn, site, user, register,
                         Submission(state, system, {}, None, visible, computed, only), row)


async def _save(request: Request, site: Site, user: User, register: str,
                old: Record | None) -> Response:
    form = await posted_form(request)
    version = str(form.get("version") or "")
    duty_text = str(form.get("duty") or "") if old is None else ""
    only = new_fields(site, register) if old is None else edit_fields(site.deployment, register)
    try:
        state, system = form_state(site, register, form)
        upload_errors, stored_refs = await take_uploads(
            site, register, form, state,
            {*pending_uploads(request), *record_photos(site, register, old)}, only)
        remember_uploads(request, stored_refs)
    finally:
        await form.close()
    visible, computed = evaluate(site, register, state, system, only)
    sub = Submission(state, system, dict(upload_errors), None, visible, computed, only)
    with site.engine.begin() as conn:
        duty = _duty_start(conn, site, user, register, duty_text)
        flag_points(conn, site, user, register, state, system, sub.errors, visible)
        # The engine checks the form even when a photo or an unconfirmed point is wrong,
        # so every message shows at once; its work is undone unless the page found nothing.
        attempt = conn.begin_nested()
        try:
            record_id = _store(conn, site, user, register, old, sub, version)
        except workflow.Invalid as err:
            sub.errors.update({name: [site.t(t) for t in texts] if name in SYSTEM_INPUTS
                               else texts for name, texts in err.errors.items()})
        except workflow.Forbidden:
            sub.errors["node"] = [site.t("not within your area")]
        except workflow.Conflict:
            attempt.rollback()
            return form_page(request, conn, site, user, register, sub,
                             fetch(conn, site, user, register, old.id) if old else None,
                             status=409, conflict=True)
        if sub.errors:
            attempt.rollback()
            return form_page(request, conn, site, user, register, sub, old, status=422,
                             duty=duty.duty if duty is not None else None)
        if duty is not None:
            link(conn, site.runtime, duty.duty, register, record_id, site.clock())
        attempt.commit()
        return RedirectResponse(f"/registers/{register}/{record_id}", 303)


def _store(conn: Connection, site: Site, user: User, register: str, old: Record | None,
           sub: Submission, version: str) -> int:
    """Hand the form to the engine, the one that checks it: a new record (of a workflow:
    its initial state, dispatch, timers, history and messages) or an edit of ``old`` at the
    version it was made on (a stale or missing one raises Conflict); return the id."""
    values = engine_values(site, register, sub.state, sub.only) | {
        name: sub.system[name] for name in ("category", "severity") if sub.system.get(name)}
    node = sub.system.get("node", "")
    if old is not None:
        number = parse_int(version, lo=1)
        if number is None:
            raise workflow.Conflict(f"{register} #{old.id}")
        return workflow.edit_record(conn, site.runtime, user, register, old.id,
                                    {**values, "node": node}, version=number,
                                    clock=site.clock).id
    if not node:
        raise workflow.Invalid({"node": ["required"]})
    if site.deployment.registers[register].workflow is None:
        return workflow.create_entry(conn, site.runtime, user, register, node,
                                     values, clock=site.clock).id
    return workflow.create_record(conn, site.runtime, user, register, node,
                                  values, clock=site.clock).id


def _default(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else str(value)


async def show_record(request: Request) -> Response:
    """A record's values (personal data masked unless the role may see it), its history
    and, for a workflow, its state, supervisions and the actions the user may take."""
    register, record_id = request.path_params["register"], request.path_params["id"]
    site, user = require(request, register)
    with site.engine.connect() as conn:
        row = fetch(conn, site, user, register, record_id)
        if row is None:
            raise HTTPException(404)
        return record_page(request, conn, site, user, register, row)


def record_page(request: Request, conn: Connection, site: Site, user: User, register: str,
                row: Record, *, status: int = 200, opened: ActionForm | None = None,
                conflict: bool = False) -> Response:
    """The record page, with an action's form opened (its typed values and messages) and
    the note that someone else acted first, when there is one."""
    spec = site.deployment.registers[register]
    unmask = may(site.deployment, user, "unmask", register)
    values = row.values
    names = Names.load(conn, site, register, [SimpleNamespace(reporter=row.reporter, **values)])
    fields = [{"spec": f, "label": site.label(f.label, f.name),
               "text": show(site, f, values.get(f.name), names, unmask),
               "photos": photos(values.get(f.name)) if site.schema.field_type(f).files else [],
               "point": values.get(f.name) if site.schema.field_type(f).located else None}
              for f in spec.fields if values.get(f.name) not in (None, "", [])]
    flow = workflow_context(conn, site, user, row, names, unmask) \
        if spec.workflow else {"rounds": timeline_rounds(conn, site, register, row.id, names,
                                                         unmask)}
    categories = category_labels(site)
    return page(request, site, user, [f"record-{register}.html", "record.html"],
                status=status, register=register,
                register_label=site.label(spec.label, register), row=row,
                fields=fields, node=site.nodes()[row.node_id],
                state=state_label(site, register, row.state),
                category=categories.get(row.category or "", ""),
                created=when(site, row.created_at), updated=when(site, row.updated_at),
                system=system_labels(site), opened=opened, conflict=conflict,
                can_edit=may(site.deployment, user, "edit", register), **flow)


async def record_photo(request: Request) -> Response:
    """One photo of a record the user may see, now or in its history (an earlier round's)."""
    register, record_id = request.path_params["register"], request.path_params["id"]
    reference = request.path_params["ref"]
    site, user = require(request, register)
    with site.engine.connect() as conn:
        row = fetch(conn, site, user, register, record_id)
        if row is None or not uploads.REFERENCE.match(reference):
            raise HTTPException(404)
        if reference not in record_photos(site, register, row) and reference not in history_photos(
                conn, site, register, row.id):
            raise HTTPException(404)
    return await uploads.serve(site.data_dir, reference, max_age=86400)


async def pending_photo(request: Request) -> Response:
    """A photo this session sent with a form that is not saved yet (its preview)."""
    site, _user = require(request)
    reference = request.path_params["ref"]
    if not uploads.REFERENCE.match(reference) or reference not in pending_uploads(request):
        raise HTTPException(404)
    return await uploads.serve(site.data_dir, reference, max_age=3600)


def record_photos(site: Site, register: str, row: Record | None) -> set[str]:
    """The photo references a stored record holds now."""
    values = row.values if row is not None else {}
    return {ref for spec in site.deployment.registers[register].fields
            if site.schema.field_type(spec).files for ref in photos(values.get(spec.name))}
