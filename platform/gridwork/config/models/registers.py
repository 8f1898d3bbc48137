"""What is recorded: choice dictionaries, registers (台账) and their typed fields."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import Field as PydanticField
from pydantic import WithJsonSchema, field_validator

from ..expressions import ExpressionType
from ..types import Code, LabelType, MomentType, Name, Regex
from .base import Model, either

_SIZE_RE = re.compile(r"^(\d+)\s*(KB|MB|GB)$", re.IGNORECASE)
_SIZE_UNITS = {"kb": 1024, "mb": 1024**2, "gb": 1024**3}


def parse_size(value: Any) -> int:
    """Parse ``5MB`` (or a number of bytes)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    match = _SIZE_RE.match(str(value).strip())
    if not match:
        raise ValueError(f"'{value}' is not a size; write e.g. '5MB' or '500KB'")
    return int(match.group(1)) * _SIZE_UNITS[match.group(2).lower()]


ChoiceOptions = dict[Code, LabelType]
Choices = either(text=Name, list=tuple[Code, ...], mapping=ChoiceOptions)
_Date = Annotated[dt.date, WithJsonSchema({"type": "string", "format": "date",
                                            "pattern": r"^\d{4}-\d{2}-\d{2}$"})]
Bound = either(number=float, date=_Date, text=MomentType)


class FieldSpec(Model):
    """One typed field of a register; options apply to the types that name them."""

    name: Name
    """Column and form name, unique in the register."""
    type: str
    """One of text, textarea, integer, decimal, boolean, date, datetime, choice, multichoice,
    phone, email, id_card, credit_code, geo_point, photo, file, reference, node, user,
    department (plugins add more)."""
    label: LabelType | None = None
    """What the form shows; default the name."""
    help: LabelType | None = None
    """A hint shown under the input."""
    section: LabelType | None = None
    """A heading the form shows above this field, starting a section that runs to the
    next field with a heading (an XLSForm group)."""
    required: bool = False
    """A value must be given."""
    unique: bool = False
    """No two records may share a value."""
    min: Bound | None = None
    """Smallest allowed value (integer, decimal, date, datetime). Dates and times may
    also move with the clock: `today`, `now`, `today - 120y`, `now + 1d` (units y, mo,
    w, d, h, min), on the deployment's clock in its time zone."""
    max: Bound | None = None
    """Largest allowed value, as `min` (e.g. `max: today` for a date of birth)."""
    min_length: Annotated[int, PydanticField(ge=0)] | None = None
    """Fewest characters (text)."""
    max_length: Annotated[int, PydanticField(ge=1)] | None = None
    """Most characters (text)."""
    pattern: Regex | None = None
    """Regular expression the whole text must match."""
    decimals: Annotated[int, PydanticField(ge=0, le=10)] | None = None
    """Digits after the point (decimal)."""
    default: Any = None
    """Value a new record starts with."""
    choices: Choices | None = None
    """choice/multichoice: a shared dictionary's name, a list of codes, or codes with labels."""
    register_name: Annotated[Name | None, PydanticField(alias="register")] = None
    """reference: the register whose records this field points to."""
    level: Name | None = None
    """node: the hierarchy level the chosen node must be at."""
    role: Name | None = None
    """user: the role the chosen user must have."""
    multiple: bool = False
    """photo/file: allow several files."""
    max_size: Annotated[int, PydanticField(gt=0), WithJsonSchema(
        {"type": ["integer", "string"], "pattern": r"^\d+\s*([KMG]B)$", "examples": ["5MB"]}
    )] | None = None
    """photo/file: largest file accepted, e.g. `5MB`."""
    personal: bool | None = None
    """Mask the value for roles without `unmask` (default: true for id_card and phone)."""
    show_if: ExpressionType | None = None
    """Show the field only when this expression holds; `required` then applies only
    while it is shown."""
    computed: ExpressionType | None = None
    """Compute the value from other fields; users do not type it."""
    renamed_from: Name | None = None
    """The field's former name, so `gridwork migrate` keeps its data."""

    @field_validator("max_size", mode="before")
    @classmethod
    def _size(cls, value: Any) -> Any:
        return None if value is None else parse_size(value)


class Rule(Model):
    """A check across fields: a value is refused, with `message`, unless `rule` holds."""

    rule: ExpressionType
    """An expression over the form's fields, e.g.
    `birth_date == id_card_birth_date(id_card)`; an empty field reads as null."""
    message: LabelType
    """What the user is told when the rule does not hold."""
    field: Name | None = None
    """The field the message shows beside; default: the first field the rule reads."""


class Leaves(Model):
    """The nodes without children at or below a level: a cell's sub-cells where it has
    them, else the cell itself."""

    leaves: Name
    """The level at or below which the childless nodes hold the records, e.g. `grid`."""


AttachTo = either(text=Name, list=tuple[Name, ...], mapping=Leaves)


class Register(Model):
    """A register (台账): a kind of record with its fields, kept in its own table."""

    label: LabelType
    """The register's name as users see it."""
    fields: Annotated[tuple[FieldSpec, ...], PydanticField(min_length=1)]
    """Its fields, in form order."""
    workflow: Name | None = None
    """The workflow its records follow (events, tasks); none for plain registers."""
    categorized: bool = False
    """Records carry a category (and severity) from the `categories:` tree."""
    attach_to: AttachTo | None = None
    """Where records sit: a level, a list of levels, or `{leaves: LEVEL}` for the nodes
    without children at or below it (on the 子格 where a 格 has them, else on the 格);
    default: the lowest level."""
    title: Name | None = None
    """The field that names a record in lists; default: the first field."""
    create: tuple[Name, ...] | None = None
    """The fields the form for a new record shows and takes (the API refuses others).
    Default: every field no transition of its workflow asks for (`require`, `optional`)
    or sets (`set:`), and every computed field but those reading only such fields."""
    rules: Annotated[tuple[Rule, ...], PydanticField(alias="validate")] = ()
    """Checks across fields, each `{rule: EXPRESSION, message: {zh: …, en: …}}`, made
    whenever a record is created, edited or moved (over the fields that step takes)."""
    renamed_from: Name | None = None
    """The register's former name, so `gridwork migrate` keeps its data."""

    def field(self, name: str) -> FieldSpec | None:
        """The field called ``name``, if any."""
        for spec in self.fields:
            if spec.name == name:
                return spec
        return None


SYSTEM_FIELDS = ("id", "node", "state", "category", "severity", "department", "assignee",
                 "reporter", "priority", "round", "created_at", "updated_at", "deadline",
                 "version")
"""Columns the engine keeps on every record; expressions may read them."""
