"""Message text from config templates: sandboxed Jinja2, in the deployment's language and zone."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jinja2 import ChainableUndefined, Template
from jinja2.sandbox import SandboxedEnvironment

from ..config import Deployment
from ..config.models.outputs import MessageTemplate
from ..config.types import Label

BUILTIN_TEMPLATES: dict[str, MessageTemplate] = {
    "reminder": MessageTemplate(
        subject=Label(zh="【催办】{{ record.title | default('待办事项') }} 将于 {{ deadline }} 到期",
                      en="[Reminder] {{ record.title | default('Item') }} is due {{ deadline }}"),
        body=Label(zh="您有一件事项即将到期（{{ deadline }}），请尽快处理：{{ link }}",
                   en="An item of yours is due {{ deadline }}. Please handle it: {{ link }}")),
    "escalation": MessageTemplate(
        subject=Label(zh="【督办】{{ record.title | default('事项') }} 已超时",
                      en="[Overdue] {{ record.title | default('Item') }}"),
        body=Label(zh="该事项已超过办理时限（{{ deadline }}），第{{ step }}级督办：{{ link }}",
                   en="This item passed its time limit ({{ deadline }}); escalation step "
                      "{{ step }}: {{ link }}")),
    "notice": MessageTemplate(
        subject=Label(zh="【通知】{{ record.title | default('事项') }}：{{ step }}",
                      en="[Notice] {{ record.title | default('Item') }}: {{ step }}"),
        body=Label(zh="事项有新进展（{{ step }}），请查看：{{ link }}",
                   en="An item has moved on ({{ step }}). Open: {{ link }}")),
    "test": MessageTemplate(
        subject=Label(zh="【测试】{{ title }} 消息通道测试", en="[Test] {{ title }} channel test"),
        body=Label(zh="这是一条测试消息，发送时间 {{ now }}，通道：{{ channel }}。",
                   en="This is a test message, sent {{ now }} through channel {{ channel }}.")),
}
"""Texts used when the config has no template of that name (reminders and escalations that
name none, transition notices, `gridwork notify test`)."""

_DIGEST = {
    "zh": ("您有 {n} 条催办提醒", "以下 {n} 件事项即将到期："),
    "en": ("{n} reminders", "These {n} items are nearly due:"),
}


@dataclass(frozen=True)
class Rendered:
    """A message's subject line and body text."""

    subject: str
    body: str


class Renderer:
    """Render a deployment's templates; build once per deployment and reuse."""

    def __init__(self, deployment: Deployment) -> None:
        self.locale = deployment.about.locale
        self.zone = zoneinfo.ZoneInfo(deployment.about.timezone)
        self.templates = {**BUILTIN_TEMPLATES, **deployment.notifications.templates}
        # Undefined names and attributes of undefined names render empty: a template that
        # mentions a field some records lack must still produce a message.
        self.env = SandboxedEnvironment(undefined=ChainableUndefined, autoescape=False,
                                        finalize=self._shown)
        self._compiled: dict[str, tuple[Template, Template]] = {}

    def render(self, template: str, context: Mapping[str, Any]) -> Rendered:
        """Render template ``template`` (config first, then built-in) with ``context``."""
        subject_template, body_template = self._template(template)
        values = _visible(context)
        try:
            subject, body = subject_template.render(values), body_template.render(values)
        except Exception as err:  # noqa: BLE001 - a template mistake must not stop the cause
            # The message still goes out, saying what went wrong, so the log shows it.
            subject = f"[{template}] {values.get('link') or ''}"
            body = f"message template '{template}' failed: {type(err).__name__}: {err}"
        # A subject is one header line: newlines there would break (or inject) headers.
        return Rendered(" ".join(subject.split()), body.strip())

    def digest(self, items: Sequence[tuple[str, str | None]]) -> Rendered:
        """One message listing ``items`` (subject, link) gathered within the digest window."""
        subject, intro = _DIGEST[self.locale]
        lines = [intro.format(n=len(items)), ""]
        for number, (line, link) in enumerate(items, 1):
            lines.append(f"{number}. {line}")
            if link:
                lines.append(f"   {link}")
        return Rendered(subject.format(n=len(items)), "\n".join(lines))

    def _template(self, name: str) -> tuple[Template, Template]:
        if name not in self._compiled:
            if name not in self.templates:
                raise KeyError(f"no message template '{name}'; known: "
                               f"{', '.join(sorted(self.templates))}")
            chosen = self.templates[name]
            self._compiled[name] = (self.env.from_string(chosen.subject.text(self.locale)),
                                    self.env.from_string(chosen.body.text(self.locale)))
        return self._compiled[name]

    def _shown(self, value: Any) -> Any:
        if value is None:
            return ""
        if isinstance(value, dt.datetime):
            moment = value.astimezone(self.zone) if value.tzinfo else value
            return moment.strftime("%Y-%m-%d %H:%M")
        return value


_RENDERERS: dict[int, tuple[Deployment, Renderer]] = {}


def renderer_for(deployment: Deployment) -> Renderer:
    """The renderer of ``deployment``, built on first use (templates compile once)."""
    entry = _RENDERERS.get(id(deployment))
    if entry is None or entry[0] is not deployment:
        if len(_RENDERERS) >= 8:
            _RENDERERS.clear()
        entry = _RENDERERS[id(deployment)] = (deployment, Renderer(deployment))
    return entry[1]


def _visible(context: Mapping[str, Any]) -> dict[str, Any]:
    """Drop empty values from mappings so `default(...)` applies to fields left blank."""
    return {key: ({k: v for k, v in value.items() if v is not None}
                  if isinstance(value, Mapping) else value)
            for key, value in context.items() if value is not None}
