"""A field type: everything gridwork knows about one kind of register field, in one class.

Each concern is one method or attribute, so a new type is one subclass and no caller asks
"which type is this?": the table stores a field through `columns`, `to_columns` and
`from_row`; a form reads it with `read`, checks it with `validate` and turns codes into
stored ids with `resolve`; a page draws it with `widget`, `form_options`, `posted`,
`form_value` and `form_state` and shows it with `display`; `gridwork import` and `export` read and write
its cells with `import_cell` and `export_cell`; `seed --demo` fills it with `demo_value`.

The built-in types (`gridwork.forms.fieldtypes`) and a plugin's are offered the same way,
by the ``gridwork_field_types`` hook. What a type needs from its surroundings (names of
nodes and users, the records in a user's scope, the demo data's random source) comes in
as an argument that follows a Protocol below, so this module depends on no web page.

`gridwork check` loads every field type and must not pay for importing SQLAlchemy, so the
methods that make columns import it where they make them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from ..config.types import Moment
from ..storage.tabular import plain
from .inputs import RawInput, read

if TYPE_CHECKING:
    import random
    import zoneinfo

    from faker import Faker
    from sqlalchemy.types import TypeEngine

    from ..config.models import FieldSpec
    from ..storage.columns import FieldColumns

Option = tuple[str, str]
"""(code, label) of one option a select, radio or checkbox offers."""


class Lookup(Protocol):
    """Turns the codes a user typed into the ids a row stores; each method raises
    ValueError with a user's message when the code names nothing (or nothing they may use)."""

    def node(self, code: str, level: str | None) -> int:
        """The id of the node with ``code`` (which must sit at ``level`` when given)."""

    def user(self, username: str) -> int:
        """The id of the user named ``username``."""

    def record(self, register: str, number: int) -> int:
        """``number`` when a record of ``register`` has that id."""


class Names(Protocol):
    """What a page, an export or a form knows about the deployment to show a value."""

    timezone: zoneinfo.ZoneInfo

    def t(self, text: str) -> str:
        """``text`` in the reader's language."""

    def choices(self, spec: FieldSpec) -> list[Option]:
        """(code, label) of each option of a choice field, shared dictionaries resolved."""

    def node_name(self, node_id: int) -> str | None:
        """The name of a node."""

    def node_code(self, node_id: int) -> str | None:
        """The code of a node."""

    def username(self, user_id: int) -> str | None:
        """The username of a user."""

    def user_name(self, user_id: int) -> str | None:
        """The display name of a user (read once per page for the rows shown)."""

    def record_title(self, register: str, record_id: int) -> str | None:
        """The title of a record (read once per page for the rows shown)."""

    def department_name(self, code: str) -> str | None:
        """The name of a department."""


class Options(Protocol):
    """What a form's select may offer the signed-in user."""

    def choices(self, spec: FieldSpec) -> list[Option]:
        """The options of a choice field."""

    def nodes(self, level: str | None) -> list[Option]:
        """The nodes in the user's scope (at ``level``)."""

    def users(self, role: str | None) -> list[Option]:
        """The active users (holding ``role``)."""

    def departments(self) -> list[Option]:
        """Every department."""

    def records(self, register: str) -> list[Option]:
        """The latest records of ``register`` in the user's scope."""


class Demo(Protocol):
    """The demo data's deterministic sources, for `FieldType.demo_value`."""

    random: random.Random
    fake: Faker
    now: dt.datetime

    def moment(self) -> dt.datetime:
        """A time in the past, as demo records have them."""

    def point(self, node: str) -> tuple[float, float]:
        """A point inside ``node``'s area."""

    def record(self, register: str) -> int | None:
        """The id of a demo record of ``register``, once there are some."""

    def node_id(self, level: str | None, node: str) -> int | None:
        """The id of a node at ``level`` (else the last level) for a record at ``node``."""

    def user(self, role: str | None) -> int | None:
        """The id of a demo user (holding ``role``)."""

    def address(self, node: str) -> str:
        """A street address inside ``node``'s area."""

    def choice_codes(self, spec: FieldSpec) -> list[str] | None:
        """The codes a choice field allows."""


class Sheet(Protocol):
    """What an imported sheet's cells are read against: the deployment's zone and
    options, and the nodes and users that exist (no one's scope)."""

    timezone: zoneinfo.ZoneInfo
    lookup: Lookup

    def choice_codes(self, spec: FieldSpec) -> list[str] | None:
        """The codes a choice field allows."""

    def codes_by_label(self, spec: FieldSpec) -> dict[str, str]:
        """A choice field's codes by each label of theirs, in every language."""


class FieldType:
    """One kind of register field. Subclass it, set `name`, override what differs, and
    return an instance from the ``gridwork_field_types`` hook.

    The defaults store any value as JSON under the field's name, read one value from a
    form, accept it as given, draw a text box and show ``str(value)``.
    """

    name: ClassVar[str]
    """What a field's ``type:`` says."""
    options: ClassVar[frozenset[str]] = frozenset()
    """FieldSpec options that apply to this type (beyond the common ones)."""
    required_options: ClassVar[frozenset[str]] = frozenset()
    """Options a field of this type must set."""
    python_type: ClassVar[Any] = Any
    """The type of the clean value, as the register's pydantic form model declares it."""
    widget: ClassVar[str] = "text"
    """The form template's widget (text, textarea, number, decimal, boolean, date,
    datetime, choice, checkboxes, tel, email, geo, photo, select, tree)."""
    indexed: ClassVar[bool] = False
    """Whether users filter and join by it, so its column gets an index."""
    sortable: ClassVar[bool] = False
    """Whether a register's list may sort by it."""
    numeric: ClassVar[bool] = False
    """Whether assessment may sum and average it."""
    searched: ClassVar[bool] = False
    """Whether a list's search box looks in it."""
    listed: ClassVar[bool] = False
    """Whether a register's list shows it as a column (one value, short enough)."""
    files: ClassVar[bool] = False
    """Whether its values are uploaded files' references."""
    located: ClassVar[bool] = False
    """Whether its value is a (lat, lon) point on the map."""
    personal: ClassVar[bool] = False
    """Whether its values are masked for roles that may not see them in full."""
    placed: ClassVar[bool] = False
    """Whether its demo value depends on where the record is (a point, an address)."""
    blank: ClassVar[Any] = None
    """The value of a field left empty on a form (an unticked box is False)."""

    # -- storage ---------------------------------------------------------------------------

    def column_names(self, spec: FieldSpec) -> tuple[str, ...]:
        """The columns a field is stored in."""
        return (spec.name,)

    def column_type(self, spec: FieldSpec) -> TypeEngine[Any]:
        """The SQLAlchemy type of its column."""
        from sqlalchemy import JSON

        return JSON()

    def foreign_key(self, spec: FieldSpec) -> str | None:
        """The ``table.column`` its column points to, if any."""
        return None

    def checks(self, spec: FieldSpec, choices: Mapping[str, Mapping[str, Any]]) -> list[str]:
        """SQL conditions every stored value keeps, given the deployment's dictionaries."""
        return []

    def columns(self, spec: FieldSpec, table: str,
                choices: Mapping[str, Mapping[str, Any]]) -> FieldColumns:
        """Columns, CHECK constraints and indexes that store a field in ``table``."""
        from sqlalchemy import Column, ForeignKey, Index

        from ..storage.columns import FieldColumns, check_constraint

        nullable = not spec.required or spec.show_if is not None
        key = self.foreign_key(spec)
        column: Column[Any] = Column(spec.name, self.column_type(spec),
                                     *((ForeignKey(key),) if key else ()),
                                     nullable=nullable, unique=spec.unique or None)
        return FieldColumns(
            [column], [check_constraint(table, spec.name, sql)
                       for sql in self.checks(spec, choices)],
            [Index(None, column)] if self.indexed and not spec.unique else [])

    def from_row(self, spec: FieldSpec, row: Mapping[str, Any]) -> Any:
        """The field's value from a table row (a mapping of column names)."""
        return row[spec.name]

    def to_columns(self, spec: FieldSpec, value: Any) -> dict[str, Any]:
        """Column values for a clean value (None empties every column)."""
        return {spec.name: value}

    # -- forms -----------------------------------------------------------------------------

    def many(self, spec: FieldSpec) -> bool:
        """Whether the value is a list."""
        return False

    def read(self, spec: FieldSpec, raw: RawInput) -> Any:
        """What a form, JSON body or imported row gives for the field; None when blank."""
        return read(raw, spec.name, many=self.many(spec))

    def validate(self, value: Any, spec: FieldSpec) -> Any:
        """The clean value of what was given, or ValueError with a message fit to show
        next to the field. Runs inside every write's check: no database, no clock."""
        return value

    def moment(self, bound: Moment, now: dt.datetime) -> Any:
        """A bound that moves with the clock (``min: today``) as it stands at ``now``."""
        return bound.resolve(now)

    def resolve(self, spec: FieldSpec, value: Any, lookup: Lookup) -> Any:
        """The stored form of a checked value: an id where the value names a node, user or
        record (raises ValueError when it names nothing)."""
        return value

    # -- pages -----------------------------------------------------------------------------

    def form_options(self, spec: FieldSpec, offer: Options) -> list[Option]:
        """The options its widget offers."""
        return []

    def posted(self, spec: FieldSpec, form: RawInput) -> dict[str, Any]:
        """The text a posted web form holds for the field, as the form re-renders it."""
        given = [str(v) for v in _getlist(form, spec.name) if isinstance(v, str)]
        return {spec.name: given[-1] if given else ""}

    def form_value(self, spec: FieldSpec, state: Mapping[str, Any]) -> Any:
        """What the widget shows from the posted text (see `posted`)."""
        return state.get(spec.name)

    def submitted(self, spec: FieldSpec, state: Mapping[str, Any]) -> Any:
        """What the posted text (see `posted`) gives the form's check."""
        return state.get(spec.name)

    def form_state(self, spec: FieldSpec, value: Any, names: Names) -> dict[str, Any]:
        """A stored value as the form shows it for editing."""
        if isinstance(value, bool):
            return {spec.name: "true" if value else "false"}
        if isinstance(value, list):
            return {spec.name: [str(v) for v in value]}
        return {spec.name: value.isoformat() if isinstance(value, dt.date) else str(value)}

    def display(self, spec: FieldSpec, value: Any, names: Names) -> str:
        """A stored value (never None) as pages show it."""
        return str(value)

    # -- data exchange ---------------------------------------------------------------------

    def import_cell(self, spec: FieldSpec, cell: Any, sheet: Sheet) -> Any:
        """The stored value of a (non-blank) cell of an imported sheet; ValueError says
        what is wrong with it."""
        return self.resolve(spec, self.validate(cell, spec), sheet.lookup)

    def export_cell(self, spec: FieldSpec, value: Any, names: Names) -> Any:
        """A stored value (never None) as a raw export writes it, the way `import_cell`
        reads it back."""
        if isinstance(value, list):
            return ",".join(str(v) for v in value)
        return plain(value)

    def demo_value(self, spec: FieldSpec, node: str, demo: Demo) -> Any:
        """A realistic valid value for a demo record at ``node``; None leaves it empty."""
        return None


def _getlist(form: RawInput, name: str) -> list[Any]:
    if isinstance(form, Mapping):
        value = form.get(name)
        return [] if value is None else list(value) if isinstance(value, list) else [value]
    return form.getlist(name)
