"""The one object built per deployment and handed to everything that acts on its records.

`Runtime.build` runs once where a process starts serving a deployment (the web app, each
CLI command, the timer loop, a Celery worker): it loads the plugins, builds the tables,
the form models, the business calendar and the deadline rules, and resolves what the
hooks offer into catalogues by name. Nothing here changes afterwards; a reload builds a
new runtime.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from . import plugins
from .config import Deployment
from .config.plugin_checks import deployment_manager
from .forms.models import FormModel, form_model
from .notify.render import Renderer
from .plugins import Manager
from .storage.schema import Schema, build_schema
from .time.calendar import BusinessCalendar
from .time.deadlines import Deadlines

if TYPE_CHECKING:
    from .config.models.outputs import MessageTemplate
    from .forms import FieldType



Offered = Mapping[str, tuple[str, Callable[..., Any]]]
"""Things offered through a hook by name, each with the name of the plugin offering it."""


@dataclass(frozen=True, eq=False)
class Runtime:
    """A deployment with everything built from it once; frozen, shared by every request,
    sweep and task of the process."""

    deployment: Deployment
    schema: Schema
    plugins: Manager
    zone: ZoneInfo
    """The deployment's time zone (``deployment: timezone:``)."""
    calendar: BusinessCalendar
    deadlines: Deadlines
    field_types: Mapping[str, FieldType]
    forms: Mapping[str, type[FormModel]]
    """Each register's form model."""
    functions: Mapping[str, Callable[..., Any]]
    """Expression functions (`functions_at` adds `today` and `now` on a clock)."""
    actions: Offered
    """Workflow actions, for a transition's ``actions:``."""
    effects: Offered
    """Escalation-step effects, for a step's own keys and its ``actions:``."""
    strategies: Offered
    """Routing strategies, for a routing rule's ``strategy:``."""
    channels: Mapping[str, Any]
    """Notification channel types (`gridwork.notify.ChannelType`) by name."""
    templates: Mapping[str, MessageTemplate]
    """Message templates: the plugins', then the deployment's own by the same name."""

    @classmethod
    def build(cls, deployment: Deployment, *, manager: Manager | None = None,
              schema: Schema | None = None) -> Runtime:
        """Build the runtime of a checked deployment (with its own plugins unless
        ``manager`` is given; ``schema`` when one was built from it already)."""
        pm = manager or deployment_manager(deployment)
        types = plugins.field_types(pm)
        zone = deployment.about.zone
        calendar = BusinessCalendar.from_config(deployment.calendar, zone)
        return cls(
            deployment=deployment,
            schema=schema or build_schema(deployment, types),
            plugins=pm,
            zone=zone,
            calendar=calendar,
            deadlines=Deadlines(deployment, calendar),
            field_types=MappingProxyType(types),
            forms=MappingProxyType({name: form_model(deployment, name, plugin_manager=pm)
                                    for name in deployment.registers}),
            functions=MappingProxyType(plugins.functions(pm)),
            actions=MappingProxyType(plugins.offered(pm, "gridwork_workflow_actions")),
            effects=MappingProxyType(plugins.offered(pm, "gridwork_escalation_actions")),
            strategies=MappingProxyType(plugins.offered(pm, "gridwork_routing_strategies")),
            channels=MappingProxyType(plugins.channel_types(pm)),
            templates=MappingProxyType({**plugins.message_templates(pm),
                                        **deployment.notifications.templates}),
        )

    @property
    def locale(self) -> str:
        """The language of labels, pages and messages."""
        return self.deployment.about.locale

    def functions_at(self, now: dt.datetime) -> dict[str, Callable[..., Any]]:
        """What expressions may call, with `today` and `now` read from ``now``."""
        zone = self.zone
        return {**self.functions, "today": lambda: now.astimezone(zone).date(),
                "now": lambda: now.astimezone(zone)}

    @functools.cached_property
    def renderer(self) -> Renderer:
        """The message renderer (templates compile on first use)."""
        return Renderer(self.locale, self.zone, self.templates)
