"""What comes out: notification channels and templates, assessment rules, plugins."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, PlainSerializer, WithJsonSchema, model_validator

from ..expressions import ExpressionType
from ..types import DurationType, LabelType, Name
from .base import Model, OneOrMany, OrText
from .timing import TargetType


class Channel(Model):
    """A way messages reach people."""

    type: str
    """inbox, email, webhook, log (records only), or a channel type from a plugin."""
    label: LabelType | None = None
    """Name shown in the message log."""
    url: str | None = None
    """webhook: where to POST."""
    secret_env: str | None = None
    """webhook: environment variable holding the HMAC key."""
    settings: dict[str, Any] = {}
    """Options for a plugin channel."""


class MessageTemplate(Model):
    """A message rendered with the record, its deadline and the step that fired (Jinja2)."""

    subject: LabelType
    """Subject line (Jinja2)."""
    body: LabelType
    """Message text (Jinja2)."""


class Notifications(Model):
    """Channels, templates and who gets what where."""

    channels: dict[Name, Channel] = {"inbox": Channel(type="inbox")}
    """Channels by key."""
    templates: dict[Name, MessageTemplate] = {}
    """Message templates by key."""
    roles: dict[str, OneOrMany[Name]] = {}
    """Channels per role (`'*'` for everyone else), e.g. `{grid_worker: [inbox, sms]}`."""
    digest: DurationType | None = None
    """Combine reminders to one person within this window into one message (e.g. `30min`)."""


MetricKind = Literal["count", "sum", "average", "rate", "on_time", "overdue", "coverage",
                     "misses", "change"]

_GOAL = re.compile(r"^\s*(>=|<=|==|>|<)?\s*(-?\d+(?:\.\d+)?)\s*$")


@dataclass(frozen=True)
class Goal:
    """A metric's target: the value compared with a number, e.g. `>= 1` or `> 0`."""

    op: str
    value: float

    def met(self, value: float | None) -> bool | None:
        """Whether ``value`` meets the target (None: nothing was counted to judge)."""
        if value is None:
            return None
        return bool(_OPS[self.op](value, self.value))

    def __str__(self) -> str:
        return f"{self.op} {self.value:g}"


_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq}


def _goal(value: Any) -> Goal:
    if isinstance(value, Goal):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Goal(">=", float(value))
    match = _GOAL.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"{value!r} is not a target; write a comparison and a number, e.g. "
                         "'>= 1' (rates: 1 is 100%), '> 0' (rising) or '<= 3'")
    return Goal(match.group(1) or ">=", float(match.group(2)))


GoalType = Annotated[
    Goal, BeforeValidator(_goal), PlainSerializer(str),
    WithJsonSchema({"type": ["string", "number"], "pattern": _GOAL.pattern,
                    "examples": [">= 1", "> 0"]}),
]


class Metric(Model):
    """A number computed per subject and period, in SQL; rates, on-time shares and
    coverage run from 0 to 1."""

    label: LabelType
    """The metric's name on score sheets."""
    kind: MetricKind
    """How it is computed."""
    register_name: Annotated[Name | None, Field(alias="register")] = None
    """The register whose records are counted."""
    where: ExpressionType | None = None
    """Which records count (count, sum, average, rate's denominator)."""
    of: ExpressionType | None = None
    """rate: which of those records count in the numerator."""
    field: Name | None = None
    """sum, average: the field to add up."""
    state: Name | None = None
    """on_time: the state whose time limit is measured."""
    schedule: Name | None = None
    """coverage, misses: the recurring duty whose completion is measured (coverage: the
    share of its duties due in the period that were done; misses: how many went overdue)."""
    metric: Name | None = None
    """change: the metric (another key of `metrics`) whose value is compared with the
    previous period's: this period's minus the previous one's, so `> 0` is rising."""
    target: GoalType | None = None
    """The value to reach, e.g. `>= 1` (a rate of 100%) or `> 0` (a change: rising); the
    sheet shows each subject's metric as met or not met. A plain number means at least it."""

    @model_validator(mode="after")
    def _needs(self) -> Metric:
        needs = {
            "count": ("register",), "sum": ("register", "field"),
            "average": ("register", "field"), "rate": ("register", "of"),
            "on_time": ("register", "state"), "overdue": ("register",),
            "coverage": ("schedule",), "misses": ("schedule",), "change": ("metric",),
        }[self.kind]
        attribute = {"register": "register_name"}
        missing = [key for key in needs if getattr(self, attribute.get(key, key)) is None]
        if missing:
            needed = " and ".join(f"'{key}'" for key in missing)
            raise ValueError(f"a '{self.kind}' metric needs {needed}")
        return self


class Subject(Model):
    """Who is scored: nodes at a level, users of a role, or departments."""

    level: Name | None = None
    """Nodes at this level."""
    role: Name | None = None
    """Users of this role."""
    departments: bool = False
    """Every department."""

    @model_validator(mode="after")
    def _one(self) -> Subject:
        if sum([self.level is not None, self.role is not None, self.departments]) != 1:
            raise ValueError("a subject is one of: level, role, departments: true")
        return self


class Deduction(Model):
    """Points taken off per unit of a metric (e.g. −100 per missed report)."""

    label: LabelType
    """What the deduction is for."""
    per: Name
    """The metric counted."""
    points: float
    """Points per unit."""


class Veto(Model):
    """A one-vote veto (一票否决): when it holds, the period's grade is the lowest."""

    label: LabelType
    """What the veto is for."""
    when: ExpressionType
    """Expression over metric keys, e.g. `fatal_accidents > 0`."""


class Grade(Model):
    """A grade band: the score from which it applies."""

    label: LabelType
    """The grade's name, e.g. 优秀."""
    min: float | None = None
    """Lowest score in the band; leave it out for the bottom band (any lower score)."""


class Dashboard(Model):
    """What leads one role's dashboard: the measures and charts named here come first, in
    this order; the others follow in the usual order."""

    measures: tuple[Literal["open", "overdue", "due_today", "closed"], ...] = ()
    """The counts at the top of each register's card: `open`, `overdue`, `due_today`,
    `closed` (this month)."""
    charts: tuple[Literal["states", "categories", "trend", "children"], ...] = ()
    """The parts below them: `states`, `categories` (the top five), `trend` (by week),
    `children` (the table of the nodes one level down)."""


PeriodKind = Literal["month", "quarter", "half_year", "year"]


class Consequence(Model):
    """A rule over a subject's sheets in the year (e.g. satisfaction below 80 twice →
    reassignment): shown on the sheet where it holds and sent as a notice, once per
    subject and year, when that sheet is kept."""

    label: LabelType
    """What follows, e.g. 调整 or 培训."""
    when: ExpressionType
    """Expression over metric keys and `score`, e.g. `satisfaction < 80`."""
    period: PeriodKind
    """Whose sheets are read: one of the assessment's `periods`."""
    times: Annotated[int, Field(ge=1)] = 1
    """In how many of those periods of the year `when` must have held (this one
    included); a period whose sheet was never kept does not count."""
    notify: OneOrMany[TargetType] = ()
    """Who is told besides a scored person: roles on the subject's branch (`department`:
    a scored department's staff)."""


class Assessment(Model):
    """Periodic scoring (考核) of grids, people or departments."""

    periods: OneOrMany[PeriodKind]
    """Periods scores are computed for."""
    subjects: OneOrMany[Subject]
    """Who is scored."""
    metrics: dict[Name, Metric]
    """Metrics by key; the score reads them by key."""
    score: ExpressionType
    """The score from the metrics, e.g. `60 * on_time_rate + 40 * coverage`."""
    deductions: tuple[Deduction, ...] = ()
    """Points taken off per unit of a metric."""
    vetoes: tuple[Veto, ...] = ()
    """One-vote vetoes (一票否决)."""
    grades: tuple[Grade, ...] = ()
    """Grade bands, any order; a score falls in the band with the highest `min` below it."""
    grace: DurationType | None = None
    """How long after a period ends its sheet is closed and kept, for late feedback
    (e.g. `3wd`); none: at once."""
    consequences: dict[Name, Consequence] = {}
    """Rules over each subject's sheets in the year, by key."""


def _plugin(value: Any) -> Any:
    return {"module": value} if isinstance(value, str) else value


class PluginSpec(Model):
    """A plugin to load: its module and its settings."""

    module: Annotated[str, Field(pattern=r"^[A-Za-z_][\w.]*$")]
    """The plugin's Python module."""
    settings: dict[str, Any] = {}
    """The plugin's settings, checked against the `Settings` model it declares (see
    plugins/README.md)."""


PluginType = Annotated[PluginSpec, BeforeValidator(_plugin), OrText()]
