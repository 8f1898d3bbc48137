"""Message text from config templates: sandboxed Jinja2, in the deployment's language and zone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import ChainableUndefined, Template
from jinja2.sandbox import SandboxedEnvironment

from ..config.models.outputs import MessageTemplate

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
    """Render a deployment's templates (the runtime builds one and keeps it)."""

    def __init__(self, locale: str, zone: ZoneInfo,
                 templates: Mapping[str, MessageTemplate]) -> None:
        self.locale = locale
        self.zone = zone
        self.templates = templates
        # Undefined names and attributes of undefined names render empty: a template that
        # mentions a field some records lack must still produce a message.
        self.env = SandboxedEnvironment(undefined=ChainableUndefined, autoescape=False,
                                        finalize=self._shown)
        self._compiled: dict[str, tuple[Template, Template]] = {}

    def render(self, template: str, context: Mapping[str, Any]) -> Rendered:
        """Render template ``template`` (config first, then the plugins', built-ins among
        them) with ``context``."""
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


def _visible(context: Mapping[str, Any]) -> dict[str, Any]:
    """Drop empty values from mappings so `default(...)` applies to fields left blank."""
    return {key: ({k: v for k, v in value.items() if v is not None}
                  if isinstance(value, Mapping) else value)
            for key, value in context.items() if value is not None}
