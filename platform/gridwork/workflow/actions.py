"""The step a transition's actions act on, and taking them: each action is looked up by
name in the runtime's catalogue (the built-ins of `gridwork.default_actions` and the
plugins', all through the `gridwork_workflow_actions` hook). A plugin action that raises
becomes PluginFailed, which rolls the whole transition back.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from ..plugins import DEFAULT_PLUGINS
from ..config.models import Transition
from ..storage import Schema
from .errors import PluginFailed
from .notify import About
from .records import Record, department_ids

if TYPE_CHECKING:
    from ..runtime import Runtime

log = logging.getLogger("gridwork.plugins")


@dataclass
class Step:
    """One transition being taken: what actions read, and the column changes they make."""

    conn: Connection
    schema: Schema
    workflow: str
    record: Record
    """The record as it was before this step."""
    transition: Transition
    actor: int | None
    now: dt.datetime
    comment: str | None
    functions: Mapping[str, Callable[..., Any]]
    runtime: Runtime
    given: frozenset[str] = frozenset()
    """Names the person taking the step gave values for; actions do not override them."""
    changes: dict[str, Any] = field(default_factory=dict)
    """Column values to write to the record (``department`` as an id)."""

    def current(self, name: str) -> Any:
        """A system column's value with this step's changes applied (department as an id)."""
        if name in self.changes:
            return self.changes[name]
        return self.record.department_id if name == "department" else getattr(self.record, name)

    def values(self) -> dict[str, Any]:
        """What expressions see: the record's fields and system fields, changes applied."""
        scope = self.record.scope()
        for name, value in self.changes.items():
            scope[name] = value
        if "department" in self.changes:
            codes = {v: k for k, v in department_ids(self.conn, self.schema).items()}
            scope["department"] = codes.get(self.changes["department"])
        return scope

    def about(self) -> About:
        """The record as recipients are found for it, changes applied."""
        return About(self.record.register, self.record.id, self.record.node_path,
                     self.current("department"), self.current("assignee"),
                     self.record.reporter)

    def label(self) -> str:
        """The transition's name as users read it."""
        locale = self.runtime.locale
        return self.transition.label.text(locale) if self.transition.label else self.transition.name


Action = Callable[[Step, Any], None]
"""An action: applies its argument to the step (writes rows, or records column changes)."""


def run(step: Step) -> None:
    """Apply the transition's actions in order; LookupError for an action nobody offers,
    PluginFailed (its traceback logged) for a plugin action that raises."""
    offered = step.runtime.actions
    for action in step.transition.actions:
        (name, argument), = action.items()
        if name not in offered:
            raise LookupError(f"no workflow action '{name}'")
        plugin, function = offered[name]
        if plugin in DEFAULT_PLUGINS:
            function(step, argument)
            continue
        try:
            function(step, argument)
        except Exception as err:
            log.exception("plugin %s: action '%s' failed on %s #%s", plugin, name,
                          step.record.register, step.record.id)
            raise PluginFailed(plugin, f"action '{name}'", err) from err
