"""One register's form, compiled once: check each field, settle show_if and computed fields.

The order of a check is fixed: read the input (blank means not given), fill defaults,
check each value with its field type (bounds like ``today`` on the caller's clock), settle
which fields show (a hidden field's value is dropped), compute the computed fields from
what remains, ask for what is required, hand ids and codes to the caller's ``resolve``,
and, when every field is good, check the register's cross-field rules.

A step of a workflow takes only some fields (``only``): the others read as not given,
are never required, and rules reading them wait for the step that takes them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, get_origin
from zoneinfo import ZoneInfo

from ..config.expressions import Expression
from ..config.models import SYSTEM_FIELDS, Deployment, FieldSpec, Rule
from ..config.types import Moment
from .fieldtype import FieldType
from .inputs import RawInput, is_blank, read
from .messages import REQUIRED, SINGLE_VALUE, message

Resolve = Callable[[FieldSpec, Any], Any]
"""Turn a checked value into what is stored (a reference's id, a node's code…) or raise
ValueError with a user's message: the storage layer's seam for existence and scope."""

Functions = Mapping[str, Callable[..., Any]]
"""Every function expressions may call (default: the built-ins, with today's date)."""

@dataclass(frozen=True)
class FormField:
    """A register field with its field type and its choices made inline."""

    spec: FieldSpec
    field_type: FieldType

    @property
    def name(self) -> str:
        """The field's name, as in the config."""
        return self.spec.name

    @property
    def python_type(self) -> Any:
        """The type of the clean value, as its field type says."""
        return self.field_type.python_type

    @property
    def many(self) -> bool:
        """Whether the value is a list (multichoice, or files with ``multiple``)."""
        return self.field_type.many(self.spec)

    @property
    def scalar(self) -> bool:
        """Whether a list or mapping given for it is a mistake, not a value."""
        kind = self.python_type
        return not self.many and kind is not Any and get_origin(kind) not in (list, tuple)


@dataclass(frozen=True)
class _Checked:
    """Clean input values and per-field problems, before show_if is settled."""

    values: dict[str, Any]
    problems: dict[str, str]
    system: dict[str, Any]


@dataclass(frozen=True)
class Form:
    """The compiled form of one register."""

    fields: tuple[FormField, ...]
    timezone: ZoneInfo
    rules: tuple[Rule, ...] = ()
    locale: str = "zh"

    @classmethod
    def build(cls, deployment: Deployment, register_name: str,
              types: Mapping[str, FieldType]) -> Form:
        """Compile the form of ``register_name`` with the given field types."""
        register = deployment.registers[register_name]
        fields = tuple(FormField(_inline_choices(spec, deployment.choices), types[spec.type])
                       for spec in register.fields)
        return cls(fields, deployment.about.zone, register.rules,
                   deployment.about.locale)

    def clean(self, raw: RawInput, *, system: Mapping[str, Any] | None = None,
              functions: Functions | None = None, resolve: Resolve | None = None,
              only: Collection[str] | None = None,
              ) -> tuple[dict[str, Any], dict[str, list[str]]]:
        """Every field's clean value (None when hidden, empty or not among ``only``) and
        every field's errors."""
        checked = self._check_all(raw, system, functions, only)
        visible, scope = self._settle(checked, functions)
        clean: dict[str, Any] = {}
        errors: dict[str, list[str]] = {}
        for field in self.fields:
            name = field.name
            value = scope.get(name) if name in visible else None
            if name not in visible or field.spec.computed is not None:
                clean[name] = value
            elif only is not None and name not in only:
                clean[name] = value
            elif name in checked.problems:
                errors[name] = [checked.problems[name]]
            elif value is None:
                if field.spec.required:
                    errors[name] = [message(REQUIRED)]
                clean[name] = None
            else:
                try:
                    clean[name] = value if resolve is None else resolve(field.spec, value)
                except ValueError as err:
                    errors[name] = [message(str(err))]
        for name, texts in self.broken_rules(self.rules, scope, functions, only,
                                             skip=set(errors)).items():
            errors.setdefault(name, []).extend(texts)
        return clean, errors

    def broken_rules(self, rules: tuple[Rule, ...], scope: Mapping[str, Any],
                     functions: Functions | None, only: Collection[str] | None = None,
                     skip: Collection[str] = ()) -> dict[str, list[str]]:
        """The messages of the rules that do not hold, by the field each shows beside.

        A rule waits while it reads a field outside ``only`` (a later step takes it) or one
        of ``skip`` (whose own value is wrong); one that cannot be evaluated (an empty value
        compared) does not refuse."""
        names = {field.name for field in self.fields}
        errors: dict[str, list[str]] = {}
        for rule in rules:
            read = [name for name, _ in rule.rule.names if name in names]
            if any(name in skip or (only is not None and name not in only) for name in read):
                continue
            try:
                holds = bool(rule.rule.evaluate(scope, functions))
            except Exception:  # noqa: BLE001 - a rule that fails on these values holds
                holds = True
            if not holds:
                where = rule.field or (read[0] if read else "")
                errors.setdefault(where, []).append(rule.message.text(self.locale))
        return errors

    def visible(self, raw: RawInput, *, system: Mapping[str, Any] | None = None,
                functions: Functions | None = None,
                only: Collection[str] | None = None) -> set[str]:
        """The names of the fields shown for these input values."""
        return self._settle(self._check_all(raw, system, functions, only), functions)[0]

    def computed(self, raw: RawInput, *, system: Mapping[str, Any] | None = None,
                 functions: Functions | None = None,
                 only: Collection[str] | None = None) -> dict[str, Any]:
        """The values of the shown computed fields for these input values."""
        visible, scope = self._settle(self._check_all(raw, system, functions, only),
                                      functions)
        return {field.name: scope.get(field.name) for field in self.fields
                if field.spec.computed is not None and field.name in visible}

    def now(self, functions: Functions | None) -> dt.datetime:
        """The caller's clock (its ``now`` function) in the deployment's zone."""
        clock = (functions or {}).get("now")
        now = clock() if clock is not None else dt.datetime.now(self.timezone)
        return now.astimezone(self.timezone)

    def _check_all(self, raw: RawInput, system: Mapping[str, Any] | None,
                   functions: Functions | None = None,
                   only: Collection[str] | None = None) -> _Checked:
        values: dict[str, Any] = {}
        problems: dict[str, str] = {}
        now = self.now(functions)
        for field in self.fields:
            if field.spec.computed is not None:
                continue
            value = self._given(raw, field)
            if value is None:
                continue
            try:
                values[field.name] = self._check(field, value, now)
            except ValueError as err:
                if only is None or field.name in only:
                    problems[field.name] = message(str(err))
        # Expressions may read system fields (category, node…): from the input, unless the
        # caller knows them better (the stored record's category when editing).
        given = {name: read(raw, name) for name in SYSTEM_FIELDS}
        known = {name: value for name, value in given.items() if value is not None}
        return _Checked({k: v for k, v in values.items() if not is_blank(v)}, problems,
                        {**known, **(system or {})})

    @staticmethod
    def _given(raw: RawInput, field: FormField) -> Any:
        """What the input says for ``field``, else its default; an unticked box is False."""
        value = field.field_type.read(field.spec, raw)
        if value is None:
            value = field.spec.default
        return field.field_type.blank if value is None else value

    def _check(self, field: FormField, value: Any, now: dt.datetime | None = None) -> Any:
        if field.scalar and isinstance(value, (list, tuple, set, frozenset, Mapping)):
            raise ValueError(message(SINGLE_VALUE))
        spec = field.spec
        if now is not None and (isinstance(spec.min, Moment) or isinstance(spec.max, Moment)):
            spec = spec.model_copy(update={
                key: _settle_bound(getattr(spec, key), now, field.field_type)
                for key in ("min", "max")})
        clean = field.field_type.validate(value, spec)
        # A browser's datetime-local input has no zone: it means the deployment's local time.
        if isinstance(clean, dt.datetime) and clean.tzinfo is None:
            clean = clean.replace(tzinfo=self.timezone)
        return clean

    def _settle(self, checked: _Checked, functions: Functions | None,
                ) -> tuple[set[str], dict[str, Any]]:
        """Which fields show, and the values expressions see, once show_if stops changing.

        Hiding a field drops its value, which may hide (or show) fields that read it, so
        this repeats until nothing changes; contradictory conditions stop after one round
        per field.
        """
        visible = {field.name for field in self.fields}
        scope: dict[str, Any] = {}
        for _ in range(len(self.fields) + 1):
            scope = self._scope(checked, visible, functions)
            shown = {field.name for field in self.fields
                     if field.spec.show_if is None or _holds(field.spec.show_if, scope, functions)}
            if shown == visible:
                break
            visible = shown
        return visible, scope

    def _scope(self, checked: _Checked, visible: set[str],
               functions: Functions | None) -> dict[str, Any]:
        """System values, the visible fields' values and, in field order, the computed ones."""
        scope = {**checked.system,
                 **{name: value for name, value in checked.values.items() if name in visible}}
        for field in self.fields:
            if field.spec.computed is not None and field.name in visible:
                scope[field.name] = self._compute(field, field.spec.computed, scope, functions)
        return scope

    def _compute(self, field: FormField, formula: Expression, scope: Mapping[str, Any],
                 functions: Functions | None) -> Any:
        try:
            value = formula.evaluate(scope, functions)
            return None if is_blank(value) else self._check(field, value)
        except Exception:  # noqa: BLE001 - a formula that fails on these values gives no value
            return None


def _settle_bound(bound: Any, now: dt.datetime, kind: FieldType) -> Any:
    """A bound that moves with the clock, as it stands at ``now``."""
    return kind.moment(bound, now) if isinstance(bound, Moment) else bound


def _holds(condition: Expression, scope: Mapping[str, Any], functions: Functions | None) -> bool:
    """Whether a show_if condition holds; one that cannot be evaluated (None < 3) does not."""
    try:
        return bool(condition.evaluate(scope, functions))
    except Exception:  # noqa: BLE001 - any failure of the expression means "not shown"
        return False


def _inline_choices(spec: FieldSpec, choices: Mapping[str, Mapping[str, Any]]) -> FieldSpec:
    """The spec with a shared dictionary's options in place of its name, for the validator."""
    if isinstance(spec.choices, str) and spec.choices in choices:
        return spec.model_copy(update={"choices": dict(choices[spec.choices])})
    return spec
