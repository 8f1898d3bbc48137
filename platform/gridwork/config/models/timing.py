"""When things are due: time limits, reminders, escalation ladders and recurring duties."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, WithJsonSchema, field_validator, model_validator

from ..expressions import ExpressionType
from ..types import Code, DurationType, LabelType, Name, OffsetType
from .base import Model, OneOrMany, OrText, either


class Target(Model):
    """Who is told: a role (at the record's ancestor on that role's level; of a role held
    at several levels, the nearest such ancestor where someone holds it), or `assignee`,
    `reporter`, `department` (staff of the handling department)."""

    role: Name
    """A role key, or assignee, reporter, department."""
    level: Name | None = None
    """Which ancestor's users: default the role's own level."""


SPECIAL_TARGETS = ("assignee", "reporter", "department")


def _target(value: Any) -> Any:
    return {"role": value} if isinstance(value, str) else value


TargetType = Annotated[Target, BeforeValidator(_target), OrText()]


class LimitRule(Model):
    """A default time limit for a state; categories may override it."""

    state: Name
    """The state whose time is limited."""
    within: DurationType | None = None
    """The time allowed in that state."""
    until: Name | None = None
    """Instead of `within`: a date or datetime field of the record that holds the deadline
    (e.g. the rectification deadline set by an order, 限期整改)."""
    workflow: Name | None = None
    """Only for this workflow (needed when two workflows share a state name)."""
    category: OneOrMany[Code] = ()
    """Only for these categories (and their subcategories)."""
    severity: OneOrMany[Code] = ()
    """Only for these severities."""
    if_: Annotated[Name | None, Field(alias="if")] = None
    """Only while this workflow switch is on (the proposal's per-interval on/off)."""
    override: bool = False
    """Beat the categories' own `limits:` (while its switch is on), e.g. an emergency
    mode's shorter limits; without it a category's own limit for the state comes first."""

    @model_validator(mode="after")
    def _one_limit(self) -> LimitRule:
        if (self.within is None) == (self.until is None):
            raise ValueError("a limit needs exactly one of 'within' (a duration) or "
                             "'until' (a date field)")
        return self


class Reminder(Model):
    """A reminder before a deadline (自动催促)."""

    before: OffsetType
    """How long before the deadline: a duration or a share of the limit (`25%`)."""
    notify: OneOrMany[TargetType]
    """Who is reminded."""
    states: OneOrMany[Name] = ()
    """Only for deadlines of these states; empty: all."""
    channels: OneOrMany[Name] = ()
    """Channels to use; default: each recipient's role channels."""
    template: Name | None = None
    """Message template; default the built-in reminder text."""


MoveUp = either(text=Name, number=Annotated[int, Field(ge=1)])


class EscalationStep(Model):
    """One rung of an escalation ladder, fired after the deadline has passed."""

    after: OffsetType
    """A duration after the deadline (`0`, `1wd`), or how much of the limit has passed
    since the state was entered (`100%` is the deadline, `150%` half a limit later)."""
    notify: OneOrMany[TargetType] = ()
    """Who is told."""
    move_up: MoveUp | None = None
    """Reassign the record up the tree: to its ancestor at a level (where its branch skips
    that level, the nearest ancestor above it), or a number of parent nodes up, whatever
    their levels."""
    supervise: bool = False
    """Open a supervision record (督办)."""
    priority: Code | None = None
    """Raise the record's priority to this code."""
    repeat: DurationType | None = None
    """Fire again this often while the record stays overdue."""
    channels: OneOrMany[Name] = ()
    """Channels to use; default each recipient's role channels."""
    template: Name | None = None
    """Message template; default the built-in escalation text."""
    actions: tuple[dict[Name, Any], ...] = ()
    """Plugin effects, each `name: argument`, taken after the built-in ones, e.g.
    `[{call_hotline: '12345'}]` (hook `gridwork_escalation_actions`)."""
    if_: Annotated[Name | None, Field(alias="if")] = None
    """Only while this workflow switch is on where the record sits, when its stay in the
    state is planned (an emergency mode's extra rung)."""
    unless: Name | None = None
    """Only while this workflow switch is off there."""


class Sampling(Model):
    """Pick a share of the matching entries each period, optionally a share per class.

    The count is rounded up (`ceil(share × entries)`), so a class with entries and a rate
    above zero always gives at least one; entries of a value without a rate are not drawn.
    The draw is reproducible: the same schedule, period and entries give the same sample,
    another period another one."""

    rate: str | None = None
    """Share of all entries, e.g. `20%`."""
    by: Name | None = None
    """A choice field whose value picks the rate."""
    rates: dict[Code, str] = {}
    """Share per value of `by`, e.g. `{'1': 50%, '2': 30%, '3': 20%}`."""

    @field_validator("rate")
    @classmethod
    def _percent(cls, value: str | None) -> str | None:
        return None if value is None else _check_percent(value)

    @field_validator("rates")
    @classmethod
    def _percents(cls, value: dict[str, str]) -> dict[str, str]:
        for rate in value.values():
            _check_percent(rate)
        return value

    @model_validator(mode="after")
    def _one_form(self) -> Sampling:
        if (self.rate is None) == (self.by is None):
            raise ValueError("write either 'rate' or 'by' with 'rates'")
        if self.by is not None and not self.rates:
            raise ValueError("'by' needs 'rates' for its values")
        return self


def _check_percent(value: str) -> str:
    text = str(value).strip()
    try:
        number = float(text.rstrip("%"))
    except ValueError:
        number = -1
    if not text.endswith("%") or not 0 < number <= 100:
        raise ValueError(f"'{value}' is not a share; write a percentage such as '20%'")
    return text


def _sampling(value: Any) -> Any:
    return {"rate": value} if isinstance(value, str) else value


DUTY_LINK = "duty"
"""The column of a record, in each register some schedule `creates`, that names the duty
the record fulfils (so no field of such a register may be called so)."""


Period = Literal["day", "week", "month", "quarter", "half_year", "year"]

_INTERVAL_RE = re.compile(r"^([1-9]\d*)(min|h)$")

_PERIODS = ("day", "week", "month", "quarter", "half_year", "year")


def _every(value: Any) -> Any:
    text = str(value).strip()
    if text in _PERIODS or _INTERVAL_RE.match(text):
        return text
    raise ValueError(f"'{text}' is not allowed here; expected 'day', 'week', 'month', "
                     "'quarter', 'half_year' or 'year', or a sub-day interval such as "
                     "'15min' or '2h'")


Every = Annotated[str, BeforeValidator(_every), WithJsonSchema({"anyOf": [
    {"enum": list(_PERIODS)}, {"type": "string", "pattern": r"^[1-9]\d*(min|h)$",
                               "examples": ["15min", "2h"]}]})]
"""A period, or a sub-day interval in minutes or hours."""


def _window(value: Any) -> str:
    text = str(value).strip()
    match = re.match(r"^([01]\d|2[0-3]):([0-5]\d)-(([01]\d|2[0-3]):[0-5]\d|24:00)$", text)
    if not match or text[:5] >= text[6:]:
        raise ValueError(f"'{text}' is not a daily window; write e.g. '07:00-19:00'")
    return text


class Schedule(Model):
    """A recurring duty: what records it creates, for which entries, how often, for whom.

    Each period's duties are written when it begins (by `serve`, the worker's beat or
    `gridwork sweep`), and again during it, adding only what is missing, when new records
    of its `register` come (unless sampled: the draw stays) or its switch changes. Slots
    already due then are left out. A missed duty climbs its ladder's rungs given as
    durations."""

    name: Name
    """Key of the duty, unique."""
    label: LabelType
    """The duty's name."""
    register_name: Annotated[Name | None, Field(alias="register")] = None
    """One duty per entry of this register (e.g. each enterprise)..."""
    each: Name | None = None
    """...or one per node at this hierarchy level (e.g. each grid)."""
    where: ExpressionType | None = None
    """Which entries of `register` (e.g. `risk_grade in ['A', 'B']`)."""
    every: Every
    """The period the duty recurs in, or a sub-day interval (`15min`, `2h`): one duty per
    interval within the daily window `during`, each due at its interval's end."""
    during: Annotated[str | None, BeforeValidator(_window)] = None
    """With a sub-day `every`: the daily window, e.g. `07:00-19:00` (default the whole
    day). On a day off there are none unless `calendar: natural`."""
    on: OneOrMany[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = ()
    """Weekdays the duty falls on (for `every: week`), e.g. `[mon, thu]`."""
    times: Annotated[int, Field(ge=1)] = 1
    """At least this many per period: the period is split into this many equal parts, one
    duty due at the end of each (twice a month: by mid-month and by the month's end)."""
    sample: Annotated[Sampling | None, BeforeValidator(_sampling), OrText()] = None
    """Only a share of the entries each period: `20%`, or rates per value of a choice field."""
    creates: Name
    """The register of the records that fulfil the duties (created with them, or expected:
    see `mode`)."""
    assign: Name
    """The role whose user at the entry's node (or its ancestor) must do it."""
    due: DurationType | None = None
    """Time to do it; default: by the end of the period."""
    fill: dict[Name, ExpressionType] = {}
    """Fields of the created record, computed from the entry: its fields, `id` and `node`
    (the node's code), constants, `+ - * /`, `x or y` and `a if c else b` (computed in
    SQL when the records are created)."""
    mode: Literal["create", "expect"] = "create"
    """`create`: one record of `creates` is created for each duty when the period's duties
    are (its `fill` computed from the entry, in the workflow's first state; without a
    workflow it counts as done once someone saves it). `expect`: nothing is created; a
    duty is met by a record of `creates` that a worker reports at the entry's node within
    the duty's time (from its start to its due time) and that reaches a final state — for a
    `register`'s entries, one naming the entry in a field that refers to that register — or
    by one started from the duty's link. For patrols and check-ins, where empty records
    would pile up."""
    if_: Annotated[Name | None, Field(alias="if")] = None
    """Only where this workflow switch is on (the switch of the `creates` register's
    workflow, else of the first workflow that has one so named): entries in a subtree
    where it is on get duties from the moment it is switched on; where it is switched off,
    open duties not yet due are dropped and no new ones come."""
    unless: Name | None = None
    """Only where this workflow switch is off."""
    escalation: Name | None = None
    """The escalation ladder a missed duty climbs (default: the `default` ladder): its first
    rung's `notify` is told when the duty is missed, each later rung's when its `after` (a
    duration past the due time) has passed, by the rung's `channels` when it names them;
    rungs given as a share of a limit, and the other effects of a rung, are for records
    only."""
    calendar: Literal["business", "natural"] = "business"
    """`business`: a duty due on a day off is due at the end of the next working day;
    `natural`: due when the period (or `due`) says, working day or not."""

    @model_validator(mode="after")
    def _one_source(self) -> Schedule:
        if (self.register_name is None) == (self.each is None):
            raise ValueError("a schedule needs exactly one of 'register' or 'each' (a level)")
        if self.on and self.every != "week":
            raise ValueError("'on' (weekdays) goes with 'every: week'")
        if self.during is not None and self.interval is None:
            raise ValueError("'during' (a daily window) goes with a sub-day 'every' such as "
                             "'15min' or '2h'")
        if self.if_ is not None and self.unless is not None:
            raise ValueError("a schedule follows one switch: write 'if' or 'unless', not both")
        if self.interval is not None and (self.times != 1 or self.due is not None):
            raise ValueError("a sub-day 'every' makes one duty per interval, due at its end; "
                             "leave out 'times' and 'due'")
        return self

    @property
    def interval(self) -> dt.timedelta | None:
        """A sub-day `every` as a length of time; None for a period."""
        match = _INTERVAL_RE.match(self.every)
        if match is None:
            return None
        return dt.timedelta(**{"minutes" if match.group(2) == "min" else "hours":
                               int(match.group(1))})

    @property
    def period(self) -> str:
        """The period the duties are generated per: `day` for a sub-day interval."""
        return "day" if self.interval is not None else self.every

    @property
    def guard(self) -> tuple[str, bool] | None:
        """The switch the schedule follows and the value it needs, if any."""
        if self.if_ is not None:
            return self.if_, True
        if self.unless is not None:
            return self.unless, False
        return None

