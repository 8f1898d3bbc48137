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
        state |= site.schema.field_type(spec).posted(spec, form)
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
        if not site.schema.field_type(spec).files or (wanted is not None
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
    wanted = None if names is None else set(names)
    raw = _raw(site, register, state)
    return {spec.name: raw[spec.name] for spec in site.deployment.registers[register].fields
            if wanted is None or spec.name in wanted}


def _raw(site: Site, register: str, state: FormState) -> dict[str, Any]:
    """The typed values as the form model reads them, each as its field type says."""
    return {**state, **{spec.name: site.schema.field_type(spec).submitted(spec, state)
                        for spec in site.deployment.registers[register].fields}}


class _Resolver:
    """Turns checked codes into stored ids, refusing what lies outside the user's scope
    (a `Lookup` for the field types)."""

    def __init__(self, conn: Connection, site: Site, user: User) -> None:
        self.conn, self.site, self.user = conn, site, user
        self._scope: set[int] | None = None

    def __call__(self, spec: FieldSpec, value: Any) -> Any:
        return self.site.schema.field_type(spec).resolve(spec, value, self)

    def node(self, code: str, level: str | None) -> int:
        """The id of node ``code`` in the user's scope (at ``level``)."""
        return node_in_scope(self.conn, self.site, self.user, code, level, self._nodes())

    def user(self, username: str) -> int:
        """The id of the user named ``username``."""
        users = self.site.schema.system("users")
        found = self.conn.execute(users.select().with_only_columns(users.c.id)
                                  .where(users.c.username == username)).scalar()
        if found is None:
            raise ValueError("no such user")
        return int(found)

    def record(self, register: str, number: int) -> int:
        """``number`` when that record of ``register`` lies in the user's scope."""
        if fetch(self.conn, self.site, self.user, register, number) is None:
            raise ValueError("no such record")
        return number

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
