"""What a due timer does when the sweep fires it.

A deadline marks the record overdue; a reminder tells the roles it names; an escalation
step takes its effects (`gridwork.default_effects` and the plugins'): those its own keys
name, in ``STEP_EFFECTS`` order (tell its roles, move the record up the tree, open a
supervision, raise the priority, come round again), then its ``actions:``. Each writes its
history row (actor empty: the system) in the sweep's transaction, so a firing and its
effects commit together or not at all.

History actions written here: ``overdue`` (after: state), ``remind`` and ``escalate``
(after: step, to, recipients), ``move_up`` (before/after: node), ``supervise`` (after:
supervision, level), ``priority`` (before/after: priority).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Connection,
    Table,
    and_,
    func,
    insert,
    select,
)

from ..config.models import EscalationStep, Target
from ..plugins import DEFAULT_PLUGINS
from ..hierarchy import ancestor_codes
from ..notify.outbox import enqueue
from ..storage import Schema
from ..storage.sets import among
from ..workflow import history, supervision
from ..workflow.notify import recipients
from ..workflow.errors import PluginFailed
from ..workflow.records import Record, change_system
from ..time.calendar import BusinessCalendar


if TYPE_CHECKING:
    from ..runtime import Runtime

log = logging.getLogger("gridwork.plugins")


class Done(NamedTuple):
    """One thing a firing did: a history action and its details."""

    action: str
    detail: dict[str, Any]


class Fired(NamedTuple):
    """A claimed timer as the sweep reports it: its row, and what firing it did (empty
    when it was skipped)."""

    timer: int
    register: str
    record: int
    kind: str
    state: str | None
    round: int | None
    step: int | None
    due_at: dt.datetime
    done: tuple[Done, ...] = ()


@dataclass
class Firing:
    """One due timer being fired: the transaction, the record as it stands, what was done."""

    conn: Connection
    runtime: Runtime
    due: Fired
    record: Record
    now: dt.datetime
    step: EscalationStep | None = None
    """The escalation step being fired (None for a reminder)."""
    done: list[Done] = field(default_factory=list)

    @property
    def schema(self) -> Schema:
        """The deployment's tables."""
        return self.runtime.schema

    @property
    def calendar(self) -> BusinessCalendar:
        """The deployment's business calendar."""
        return self.runtime.calendar

    @property
    def number(self) -> int:
        """The step (reminder or ladder rung) as people count it, from 1."""
        return (self.due.step or 0) + 1

    def write(self, action: str, *, before: dict[str, Any] | None = None,
              after: dict[str, Any] | None = None) -> None:
        """Record one effect: a history row about the record (of the kind its action
        names; a plugin's own action is a `plugin_action`), and a line of the report."""
        kind = next((k for k, name in history.ACTIONS.items() if name == action
                     and k in _EFFECT_KINDS), history.Kind.PLUGIN_ACTION)
        history.write(self.conn, self.schema, history.Change(
            kind, self.record.register, self.record.id, self.now, action=action,
            round=self.due.round, before=before, after=after))
        self.done.append(Done(action, {**(after or {}), **({"from": before} if before else {})}))

    def change(self, **values: Any) -> None:
        """Change the record's system columns (a new version) and read it again."""
        self.record = change_system(self.conn, self.schema, self.record, at=self.now,
                                    **values)


Effect = Callable[[Firing, Any], None]
"""An effect of an escalation step: ``effect(firing, argument)``."""

STEP_EFFECTS = ("notify", "move_up", "supervise", "priority", "repeat")
"""The effects an escalation step's own keys name, in the order they are taken (each
with the key's value; an effect does nothing when the step leaves its key empty)."""


def notify(firing: Firing, targets: Sequence[Target], *, template: str,
           channels: Sequence[str], cause: str) -> dict[str, Any]:
    """Put the step's message to its targets in the outbox; return who was told."""
    record = firing.record
    users = recipients(firing.conn, firing.schema, supervision.about(record), targets)
    enqueue(firing.conn, firing.runtime, recipients=users, template=template,
            context={"record": record.scope(), "deadline": record.deadline,
                     "step": firing.number},
            cause=cause, clock=lambda: firing.now, register=record.register,
            record=record.id, step=firing.number, channels=channels,
            occasion=f"timer:{firing.due.timer}")
    return {"step": firing.number, "to": _where(firing, targets), "recipients": users}


def _where(firing: Firing, targets: Sequence[Target]) -> list[dict[str, str | None]]:
    """Each target as role and the node its holders are looked for at (None: no place)."""
    deployment = firing.schema.deployment
    levels = {node.code: node.level for node in deployment.nodes}
    branch = ancestor_codes(firing.record.node_path)
    found: list[dict[str, str | None]] = []
    for target in targets:
        role = deployment.roles.get(target.role)
        wanted = (target.level,) if target.level else (role.at if role is not None else ())
        node = next((code for code in reversed(branch) if levels.get(code) in wanted), None)
        found.append({"role": target.role, "node": node})
    return found


def fire_deadlines(conn: Connection, schema: Schema, timers_by_register: Mapping[str, list[int]],
                   now: dt.datetime) -> set[int]:
    """Mark each record still in its deadline timer's state and round overdue: one history
    row each (after: the state), written by one INSERT … SELECT per register (each one with
    a workflow), however many there are. Return the ids of the stale timers, which wrote
    nothing."""
    timers = schema.system("timers")
    stale: set[int] = set()
    for register, ids in timers_by_register.items():
        table = schema.table(register)
        same = still_in(table, timers.c)
        wrote = history.write_selected(conn, schema, history.overdue_rows(
            conn.dialect.name, timers.c, now).join(table, same)
            .where(among(conn, timers.c.id, ids)))
        if wrote < len(ids):
            stale.update(conn.execute(
                select(timers.c.id).outerjoin(table, same)
                .where(among(conn, timers.c.id, ids), table.c.id.is_(None))).scalars())
    return stale


def still_in(table: Table, timer: Any) -> ColumnElement[bool]:
    """Whether the record of ``table`` is the timer's and still in its state and round."""
    return and_(table.c.id == timer.record, table.c.state == timer.state,
                func.coalesce(table.c.round, 1) == func.coalesce(timer.round, 1))


def fire_reminder(firing: Firing) -> None:
    """Tell the reminder's targets that the deadline is near."""
    reminder = firing.schema.deployment.reminders[firing.due.step or 0]
    told = notify(firing, reminder.notify, template=reminder.template or "reminder",
                  channels=reminder.channels, cause="reminder")
    firing.write("remind", after=told)


def fire_escalation(firing: Firing, step: EscalationStep) -> None:
    """Take the step's own effects, in ``STEP_EFFECTS`` order, then its ``actions:``;
    LookupError for an effect nobody offers, PluginFailed (traceback logged) for a
    plugin's that raises."""
    taken = [(name, getattr(step, name)) for name in STEP_EFFECTS]
    taken += [next(iter(action.items())) for action in step.actions]
    for name, argument in taken:
        if name not in firing.runtime.effects:
            raise LookupError(f"no escalation action '{name}'")
        plugin, effect = firing.runtime.effects[name]
        if plugin in DEFAULT_PLUGINS:
            effect(firing, argument)
            continue
        try:
            effect(firing, argument)
        except Exception as err:
            log.exception("plugin %s: escalation action '%s' failed on %s #%s", plugin, name,
                          firing.record.register, firing.record.id)
            raise PluginFailed(plugin, f"escalation action '{name}'", err) from err


_EFFECT_KINDS = (history.Kind.REMINDED, history.Kind.ESCALATED, history.Kind.MOVED_UP,
                 history.Kind.SUPERVISED, history.Kind.REPRIORITIZED)
"""The kinds of history row the built-in escalation effects and reminders write."""
