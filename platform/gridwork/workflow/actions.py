"""Built-in workflow actions (assign, notify, set, supervise, start/stop a timer, dispatch),
each a function of the step being taken, looked up by name in ``ACTIONS``.

``ACTIONS`` is the seam for plugins: the deployment's plugins add theirs through the
`gridwork_workflow_actions` hook (a built-in name cannot be replaced), and a plugin action
that raises becomes PluginFailed, which rolls the whole transition back.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from .. import plugins
from ..config.models import Transition
from ..storage import Schema
from ..timers.deadlines import Deadlines
from . import stays, supervision
from .dispatch import assignee_for, route
from .errors import PluginFailed
from .notify import About, as_targets, recipients, send
from .records import Record, department_ids, field_columns

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
    deadlines: Deadlines
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
        locale = self.schema.deployment.about.locale
        return self.transition.label.text(locale) if self.transition.label else self.transition.name


Action = Callable[[Step, Any], None]
"""An action: applies its argument to the step (writes rows, or records column changes)."""


def _assign(step: Step, role: Any) -> None:
    user = assignee_for(step.conn, step.schema, str(role), step.record, step.values())
    if user is not None:
        step.changes["assignee"] = user


def _notify(step: Step, targets: Any) -> None:
    about = step.about()
    users = recipients(step.conn, step.schema, about, as_targets(targets))
    record = step.record
    send(step.conn, step.schema, about, users, cause="transition",
         occasion=f"{step.transition.name}@{record.version}",
         context={"record": record.values, "step": step.label(), "comment": step.comment,
                  "from": record.state, "to": step.transition.to},
         now=step.now)


def _set(step: Step, values: Any) -> None:
    register = step.schema.deployment.registers[step.record.register]
    for name, value in dict(values).items():
        if name == "department":
            ids = department_ids(step.conn, step.schema)
            if value not in ids:
                raise LookupError(f"'set' names department '{value}', which does not exist")
            step.changes["department"] = ids[value]
        elif register.field(name) is not None:
            step.changes.update(field_columns(register, {name: value}))
        else:
            step.changes[name] = value


def _supervise(step: Step, _: Any) -> None:
    if not supervision.is_open(step.conn, step.schema, step.record):
        supervision.open_row(step.conn, step.schema, step.record, by=step.actor,
                             reason=step.comment or step.label(), now=step.now)


def _start_timer(step: Step, state: Any) -> None:
    record = step.record
    plan = step.deadlines.plan(step.workflow, str(state), step.now, record.category,
                               record.severity, record.values)
    if plan is not None:
        stays.write_plan(step.conn, step.schema, record, plan, record.round, step.now)


def _stop_timer(step: Step, state: Any) -> None:
    stays.cancel(step.conn, step.schema, step.record, str(state), step.now)


def _dispatch(step: Step, _: Any) -> None:
    workflow = step.schema.deployment.workflows[step.workflow]
    found = route(step.conn, step.schema, workflow, step.record, step.values(), step.functions)
    if found is None:
        return
    if "department" not in step.given:
        step.changes["department"] = department_ids(step.conn, step.schema)[found.department]
    if found.assignee is not None and "assignee" not in step.given:
        step.changes["assignee"] = found.assignee


ACTIONS: dict[str, Action] = {
    "assign": _assign, "notify": _notify, "set": _set, "supervise": _supervise,
    "start_timer": _start_timer, "stop_timer": _stop_timer, "dispatch": _dispatch,
}
"""Actions by the name a transition's ``actions:`` uses."""


def run(step: Step) -> None:
    """Apply the transition's actions in order; LookupError for an action nobody offers,
    PluginFailed (its traceback logged) for a plugin action that raises."""
    offered = plugins.offered(plugins.for_deployment(step.schema.deployment),
                              "gridwork_workflow_actions")
    for action in step.transition.actions:
        (name, argument), = action.items()
        if name in ACTIONS:
            ACTIONS[name](step, argument)
            continue
        if name not in offered:
            raise LookupError(f"no workflow action '{name}'")
        plugin, function = offered[name]
        try:
            function(step, argument)
        except Exception as err:
            log.exception("plugin %s: action '%s' failed on %s #%s", plugin, name,
                          step.record.register, step.record.id)
            raise PluginFailed(plugin, f"action '{name}'", err) from err
