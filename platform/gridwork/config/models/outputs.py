"""What comes out: notification channels and templates, assessment rules, plugins."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from ..expressions import ExpressionType
from ..types import DurationType, LabelType, Name
from .base import Model, OneOrMany


class Channel(Model):
    """A way messages reach people."""

    type: str
    """inbox, email, webhook, log (records only), or a channel type from a plugin."""
    label: LabelType | None = None
    url: str | None = None
    """webhook: where to POST."""
    secret_env: str | None = None
    """webhook: environment variable holding the HMAC key."""
    settings: dict[str, Any] = {}
    """Options for a plugin channel."""


class MessageTemplate(Model):
    """A message rendered with the record, its deadline and the step that fired (Jinja2)."""

    subject: LabelType
    body: LabelType


class Notifications(Model):
    """Channels, templates and who gets what where."""

    channels: dict[Name, Channel] = {"inbox": Channel(type="inbox")}
    templates: dict[Name, MessageTemplate] = {}
    roles: dict[str, OneOrMany[Name]] = {}
    """Channels per role (`'*'` for everyone else), e.g. `{grid_worker: [inbox, sms]}`."""
    digest: DurationType | None = None
    """Combine reminders to one person within this window into one message (e.g. `30min`)."""


MetricKind = Literal["count", "sum", "average", "rate", "on_time", "overdue", "coverage"]


class Metric(Model):
    """A number computed per subject and period, in SQL."""

    label: LabelType
    kind: MetricKind
    register_name: Annotated[Name | None, Field(alias="register")] = None
    where: ExpressionType | None = None
    """Which records count (count, sum, average, rate's denominator)."""
    of: ExpressionType | None = None
    """rate: which of those records count in the numerator."""
    field: Name | None = None
    """sum, average: the field to add up."""
    state: Name | None = None
    """on_time: the state whose time limit is measured."""
    schedule: Name | None = None
    """coverage: the recurring duty whose completion is measured."""

    @model_validator(mode="after")
    def _needs(self) -> Metric:
        needs = {
            "count": ("register",), "sum": ("register", "field"),
            "average": ("register", "field"), "rate": ("register", "of"),
            "on_time": ("register", "state"), "overdue": ("register",),
            "coverage": ("schedule",),
        }[self.kind]
        attribute = {"register": "register_name"}
        missing = [key for key in needs if getattr(self, attribute.get(key, key)) is None]
        if missing:
            raise ValueError(f"a '{self.kind}' metric needs {' and '.join(missing)}")
        return self


class Subject(Model):
    """Who is scored: nodes at a level, users of a role, or departments."""

    level: Name | None = None
    role: Name | None = None
    departments: bool = False

    @model_validator(mode="after")
    def _one(self) -> Subject:
        if sum([self.level is not None, self.role is not None, self.departments]) != 1:
            raise ValueError("a subject is one of: level, role, departments: true")
        return self


class Deduction(Model):
    """Points taken off per unit of a metric (e.g. −100 per missed report)."""

    label: LabelType
    per: Name
    """The metric counted."""
    points: float


class Veto(Model):
    """A one-vote veto (一票否决): when it holds, the period's grade is the lowest."""

    label: LabelType
    when: ExpressionType


class Grade(Model):
    """A grade band: the score from which it applies."""

    label: LabelType
    min: float


class Assessment(Model):
    """Periodic scoring (考核) of grids, people or departments."""

    periods: OneOrMany[Literal["month", "quarter", "half_year", "year"]]
    subjects: OneOrMany[Subject]
    metrics: dict[Name, Metric]
    score: ExpressionType
    """The score from the metrics, e.g. `60 * on_time_rate + 40 * coverage`."""
    deductions: tuple[Deduction, ...] = ()
    vetoes: tuple[Veto, ...] = ()
    grades: tuple[Grade, ...] = ()
    """Grade bands, any order; a score falls in the band with the highest `min` below it."""


def _plugin(value: Any) -> Any:
    return {"module": value} if isinstance(value, str) else value


class PluginSpec(Model):
    """A plugin to load: its module and its settings."""

    module: Annotated[str, Field(pattern=r"^[A-Za-z_][\w.]*$")]
    settings: dict[str, Any] = {}


PluginType = Annotated[PluginSpec, BeforeValidator(_plugin)]
