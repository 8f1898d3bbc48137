"""A posted record form, checked by the register's form model: clean values or every error."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection
from starlette.datastructures import FormData, UploadFile

from ..auth import User
from ..config.models import FieldSpec
from ..forms.models import computed_values, validate_record, visible_fields
from ..forms.steps import create_fields
from ..hierarchy import HasGrants
from ..integers import parse_int
from . import uploads
from .map_points import flag_points
from .records import fetch, scope_node_ids
from .site import Site
from .widgets import FormState

SYSTEM_INPUTS = ("node", "category", "severity")
"""Inputs that set a record's place and category rather than a field."""


@dataclass
class Submission:
    """What a form sent, and what checking it found."""

    state: FormState
    system: dict[str, str]
    errors: dict[str, list[str]] = field(default_factory=dict)
    clean: dict[str, Any] | None = None
    visible: set[str] = field(default_factory=set)
    computed: dict[str, Any] = field(default_factory=dict)
    only: tuple[str, ...] | None = None
    """The fields this form takes (a new record's: see `forms.steps`); None: all."""


def form_state(site: Site, register: str, form: FormData) -> tuple[FormState, dict[str, str]]:
    """The typed values of the register's fields and of the system inputs."""
    state: FormState = {}
    for spec in site.deployment.registers[register].fields:
        if spec.type == "geo_point":
            for part in ("lat", "lon", "confirm"):
                state[f"{spec.name}_{part}"] = str(form.get(f"{spec.name}_{part}") or "")
        elif spec.type in ("photo", "file"):
            state[spec.name] = [v for v in form.getlist(spec.name) if isinstance(v, str) and v]
        elif spec.type == "multichoice":
            state[spec.name] = [str(v) for v in form.getlist(spec.name)]
        else:
            given = [str(v) for v in form.getlist(spec.name) if isinstance(v, str)]
            state[spec.name] = given[-1] if given else ""
    system = {name: str(form.get(name) or "") for name in SYSTEM_INPUTS if name in form}
    return state, system


def functions(site: Site) -> dict[str, Any]:
    """What expressions may call: the plugins' functions, and `today` from the site's clock
    in the deployment's zone (the same set the workflow engine gives its guards)."""
    zone = site.runtime.zone
    return {**site.runtime.functions,
            "today": lambda: site.clock().astimezone(zone).date(),
            "now": lambda: site.clock().astimezone(zone)}


def new_fields(site: Site, register: str) -> tuple[str, ...]:
    """The fields the form for a new record shows and takes."""
    return create_fields(site.deployment, register)


def evaluate(site: Site, register: str, state: FormState, system: dict[str, str],
             only: tuple[str, ...] | None = None) -> tuple[set[str], dict[str, Any]]:
    """Which fields show and what the computed ones come to, for these typed values."""
    raw = _raw(site, register, state)
    known = {k: v for k, v in system.items() if v}
    return (visible_fields(site.deployment, register, raw, system=known,
                           functions=functions(site), only=only,
                           plugin_manager=site.runtime.plugins),
            computed_values(site.deployment, register, raw, system=known,
                            functions=functions(site), plugin_manager=site.runtime.plugins))


def check(conn: Connection, site: Site, user: User, register: str, state: FormState,
          system: dict[str, str], upload_errors: dict[str, list[str]],
          only: tuple[str, ...] | None = None) -> Submission:
    """Check the typed values (of the ``only`` fields the form takes) with the register's
    form model and the user's scope."""
    raw = _raw(site, register, state)
    known = {k: v for k, v in system.items() if v}
    clean, errors = validate_record(site.deployment, register, raw, system=known,
                                    functions=functions(site),
                                    resolve=_Resolver(conn, site, user), only=only,
                                    plugin_manager=site.runtime.plugins)
    for name, messages in upload_errors.items():
        errors.setdefault(name, []).extend(messages)
    visible, computed = evaluate(site, register, state, system, only)
    flag_points(conn, site, user, register, state, system, errors, visible)
    return Submission(state, system, errors, None if errors else clean, visible, computed,
                      only)


async def take_uploads(site: Site, register: str, form: FormData, state: FormState,
                       allowed: Collection[str], names: Iterable[str] | None = None, *,
                       store: bool = True) -> tuple[dict[str, list[str]], list[str]]:
    """Store the photos sent with the form (for every photo field, or those of ``names``),
    adding their references to ``state``. A reference the form sends back is kept only if
    it is ``allowed`` (this session's uploads, the record's own photos): knowing another
    record's photo name must not attach it, and make it visible, here. Without ``store``,
    files sent are dropped (the form cannot be taken: nothing is left on disk for it).

    Returns what is wrong with the files, by field, and the references just stored.
    """
    errors: dict[str, list[str]] = {}
    stored: list[str] = []
    wanted = None if names is None else set(names)
    for spec in site.deployment.registers[register].fields:
        if spec.type not in ("photo", "file") or (wanted is not None
                                                  and spec.name not in wanted):
            continue
        refs = uploads.kept([ref for ref in state.get(spec.name, []) if ref in allowed],
                            site.data_dir)
        for upload in form.getlist(spec.name) if store else ():
            if not isinstance(upload, UploadFile) or not upload.filename:
                continue
            try:
                refs.append(await uploads.store(upload, spec, site.data_dir))
                stored.append(refs[-1])
            except ValueError as err:
                errors.setdefault(spec.name, []).append(site.t(str(err)))
        if not spec.multiple and len(refs) > 1:
            refs = refs[-1:]
        state[spec.name] = refs
    return errors, stored


def engine_values(site: Site, register: str, state: FormState,
                  names: Iterable[str] | None = None) -> dict[str, Any]:
    """The typed values of the register's fields (all, or ``names``) as the workflow engine
    takes them: a point as ``{"lat", "lon"}``, one photo unless `multiple`."""
    raw = _raw(site, register, state)
    wanted = None if names is None else set(names)
    values: dict[str, Any] = {}
    for spec in site.deployment.registers[register].fields:
        if wanted is not None and spec.name not in wanted:
            continue
        if spec.type == "geo_point":
            lat, lon = raw.get(f"{spec.name}_lat") or "", raw.get(f"{spec.name}_lon") or ""
            values[spec.name] = {"lat": lat, "lon": lon} if lat or lon else None
        else:
            values[spec.name] = raw.get(spec.name)
    return values


def _raw(site: Site, register: str, state: FormState) -> dict[str, Any]:
    """The typed values as the form model reads them (one photo unless `multiple`)."""
    raw = dict(state)
    for spec in site.deployment.registers[register].fields:
        if spec.type in ("photo", "file") and not spec.multiple:
            refs = state.get(spec.name) or []
            raw[spec.name] = refs[-1] if refs else None
    return raw


class _Resolver:
    """Turns checked codes into stored ids, refusing what lies outside the user's scope."""

    def __init__(self, conn: Connection, site: Site, user: User) -> None:
        self.conn, self.site, self.user = conn, site, user
        self._scope: set[int] | None = None

    def __call__(self, spec: FieldSpec, value: Any) -> Any:
        if spec.type == "node":
            return node_in_scope(self.conn, self.site, self.user, str(value), spec.level,
                                 self._nodes())
        if spec.type == "user":
            users = self.site.schema.system("users")
            found = self.conn.execute(users.select().with_only_columns(users.c.id)
                                      .where(users.c.username == str(value))).scalar()
            if found is None:
                raise ValueError("no such user")
            return found
        if spec.type == "reference" and spec.register_name:
            number = parse_int(value if isinstance(value, int) else str(value), lo=1)
            if number is None or fetch(self.conn, self.site, self.user, spec.register_name,
                                       number) is None:
                raise ValueError("no such record")
            return number
        return value

    def _nodes(self) -> set[int]:
        if self._scope is None:
            self._scope = set(scope_node_ids(self.conn, self.site, self.user))
        return self._scope


def node_in_scope(conn: Connection, site: Site, user: User, code: str, level: str | None,
                  scope: set[int] | None = None, granted: HasGrants | None = None) -> int:
    """The id of node ``code`` when the user's scope (or that of the ``granted`` grants)
    holds it (at ``level``); else ValueError."""
    node = site.node_by_code(code)
    allowed = scope if scope is not None else set(scope_node_ids(conn, site, user, granted))
    if node is None or node.id not in allowed:
        raise ValueError("not within your area")
    if level is not None and node.level != level:
        raise ValueError("not at the right level")
    return node.id
