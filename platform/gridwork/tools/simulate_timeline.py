"""A simulated record's timeline, read back from what the engine and the sweep wrote: fired
timers, history rows that changed its state, and messages in the outbox with their
recipients; plus its JSON form and a table for people."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select

from ..config import Deployment
from ..config.types import Offset
from ..runtime import Runtime
from ..workflow import Record
from ..time.deadlines import Counting, Deadlines

KINDS = ("deadline", "reminder", "escalation", "transition", "notification")
_RANK = {"reminder": 0, "deadline": 1, "escalation": 2, "transition": 3, "notification": 4}


@dataclass(frozen=True)
class Recipient:
    """Who a simulated user is: a role at a node, or a departmental role."""

    role: str
    node: str | None
    department: str | None

    @property
    def username(self) -> str:
        """The simulated user's name: the role, or ``ROLE@DEPARTMENT``."""
        return f"{self.role}@{self.department}" if self.department else self.role

    def as_json(self) -> dict[str, Any]:
        """``{role, node}``, with ``department`` for a departmental role."""
        found: dict[str, Any] = {"role": self.role, "node": self.node}
        if self.department:
            found["department"] = self.department
        return found


@dataclass(frozen=True)
class Snapshot:
    """The record as it was right after the clock reached ``at``."""

    at: dt.datetime
    record: Record


@dataclass(frozen=True)
class Event:
    """One line of the timeline."""

    at: dt.datetime
    after: dt.timedelta
    kind: str
    clock: Counting | None
    """The clock a timer counted in; None for transitions and other messages."""
    state: str | None
    to: tuple[Recipient, ...]
    detail: str
    level: str | None = None
    """The level the record moved up to at this step, if it moved."""
    rank: tuple[int, int] = (0, 0)

    def as_json(self) -> dict[str, Any]:
        """The event as ``gridwork simulate --json`` prints it."""
        return {"at": self.at.isoformat(), "after": iso_duration(self.after), "kind": self.kind,
                "clock": self.clock, "state": self.state,
                "to": [who.as_json() for who in self.to], "detail": self.detail}


Sent = dict[tuple[dt.datetime, str | None, int | None], list[Recipient]]
"""Recipients of the record's messages by (instant, cause, step)."""


def read_timeline(conn: Connection, runtime: Runtime, record: Record,
                  people: dict[int, Recipient], snapshots: Sequence[Snapshot]) -> list[Event]:
    """Every timer fired, state change and message of the record, in time order.

    A message goes with the timer or transition that sent it (same instant and cause);
    the others (a supervision's notice to the handlers) are lines of their own.
    """
    def mine(table: Any) -> tuple[Any, ...]:
        return table.c.register == record.register, table.c.record == record.id

    schema, tz = runtime.schema, runtime.zone
    timers, history, outbox = (schema.system(n) for n in ("timers", "history", "outbox"))
    sent: Sent = {}
    for row in conn.execute(select(outbox.c.created_at, outbox.c.cause, outbox.c.step,
                                   outbox.c.recipient).where(*mine(outbox))
                            .order_by(outbox.c.id)):
        who = people.get(row.recipient)
        group = sent.setdefault((row.created_at, row.cause, row.step), [])
        if who is not None and who not in group:
            group.append(who)
    fired = conn.execute(select(timers).where(*mine(timers), timers.c.fired_at.is_not(None))
                         .order_by(timers.c.due_at, timers.c.id)).mappings().all()
    steps = conn.execute(select(history).where(*mine(history), history.c.to_state.is_not(None))
                         .order_by(history.c.id)).mappings().all()
    start = snapshots[0].at
    events = [*_timer_events(runtime.deadlines, record, fired, sent, snapshots, tz),
              *_transition_events(steps, sent, people, start, tz)]
    for (created, cause, step), to in sent.items():
        at = created.astimezone(tz)
        events.append(Event(at, at - start, "notification", None, _state_at(snapshots, at),
                            tuple(to), cause or "message",
                            rank=(_RANK["notification"], step or 0)))
    return sorted(events, key=lambda e: (e.at, e.rank))


def _timer_events(deadlines: Deadlines, record: Record, fired: Sequence[Any], sent: Sent,
                  snapshots: Sequence[Snapshot], tz: ZoneInfo) -> list[Event]:
    """A line per fired timer, with who its message went to and where the record moved."""
    moves = _moves(deadlines.deployment, snapshots)
    start = snapshots[0].at
    seen: dict[tuple[Any, ...], int] = {}
    events: list[Event] = []
    for row in fired:
        kind, step = row["kind"], row["step"] or 0
        # The sweep numbers a message's step as people count (from 1).
        to = sent.pop((row["fired_at"], kind, step + 1), [])
        at = row["due_at"].astimezone(tz)
        clock, detail = _describe_timer(deadlines, record, row["state"], kind, step)
        key = (row["state"], row["round"], kind, step)
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            detail += f", repeat {seen[key] - 1}"
        events.append(Event(at, at - start, kind, clock, row["state"], tuple(to), detail,
                            moves.get(at) if kind == "escalation" else None,
                            (_RANK[kind], step)))
    return events


def _transition_events(steps: Sequence[Any], sent: Sent, people: dict[int, Recipient],
                       start: dt.datetime, tz: ZoneInfo) -> list[Event]:
    """A line per state change; the notices sent at an instant go with its last change
    (a report and its automatic dispatch happen together; only the dispatch notifies)."""
    last = {row["at"]: index for index, row in enumerate(steps)}
    events: list[Event] = []
    for index, row in enumerate(steps):
        at = row["at"].astimezone(tz)
        to = sent.pop((row["at"], "transition", None), []) if last[row["at"]] == index else []
        actor = people.get(row["actor"]) if row["actor"] is not None else None
        detail = row["action"] + (f" by {actor.username}" if actor else "")
        events.append(Event(at, at - start, "transition", None, row["to_state"], tuple(to),
                            detail, rank=(_RANK["transition"], row["id"])))
    return events


def _moves(deployment: Deployment, snapshots: Sequence[Snapshot]) -> dict[dt.datetime, str]:
    """The instants the record moved to another node, with the level it moved to."""
    level = {n.code: n.level for n in deployment.nodes}
    found: dict[dt.datetime, str] = {}
    for before, after in itertools.pairwise(snapshots):
        if after.record.node != before.record.node:
            found[after.at] = level[after.record.node]
    return found


def _state_at(snapshots: Sequence[Snapshot], at: dt.datetime) -> str | None:
    state = snapshots[0].record.state
    for snap in snapshots:
        if snap.at > at:
            break
        state = snap.record.state
    return state


def _describe_timer(deadlines: Deadlines, record: Record, state: str | None, kind: str,
                    step: int) -> tuple[Counting | None, str]:
    """The clock the timer counted in and what its config says."""
    d = deadlines.deployment
    workflow = d.registers[record.register].workflow or ""
    limit = deadlines.limit(workflow, state or "", record.category, record.severity)
    limit_clock = limit.clock if limit is not None else None
    within = (str(limit.duration) if limit.duration else f"until {limit.until}") \
        if limit is not None else "?"
    if kind == "deadline":
        return limit_clock, f"time limit {within} in {state} ran out"
    if kind == "reminder" and step < len(d.reminders):
        reminder = d.reminders[step]
        return _offset_clock(reminder.before, limit_clock), \
            f"{reminder.before} before the {within} limit"
    ladder, steps = deadlines.ladder(record.category, record.severity)
    if kind == "escalation" and step < len(steps):
        rung = steps[step]
        when = "at the deadline" if _zero(rung.after) else f"{rung.after} after the deadline"
        parts = [f"step {step + 1} of '{ladder}' ({when})"]
        if rung.move_up is not None:
            parts.append(f"move up to {rung.move_up}")
        if rung.supervise:
            parts.append("supervise")
        if rung.priority:
            parts.append(f"priority {rung.priority}")
        clock = _offset_clock(rung.after, limit_clock)
        return clock, ", ".join(parts)
    return limit_clock, kind


def _zero(offset: Offset) -> bool:
    return offset.duration is not None and offset.duration.amount == 0 or offset.percent == 0


def _offset_clock(offset: Offset, limit_clock: Counting | None) -> Counting | None:
    if offset.duration is not None and offset.duration.amount != 0:
        return "working" if offset.duration.working else "calendar"
    return limit_clock


def iso_duration(delta: dt.timedelta) -> str:
    """``delta`` as an ISO 8601 duration (``P1DT2H30M``, ``PT0S``)."""
    seconds = int(delta.total_seconds())
    sign, seconds = ("-", -seconds) if seconds < 0 else ("", seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    time = "".join(f"{n}{u}" for n, u in ((hours, "H"), (minutes, "M"), (secs, "S")) if n)
    text = (f"{days}D" if days else "") + (f"T{time}" if time else "")
    return f"{sign}P{text or 'T0S'}"


def short_duration(delta: dt.timedelta) -> str:
    """``delta`` for people: ``9d 01:30``, ``02:00``."""
    minutes = int(delta.total_seconds()) // 60
    days, rest = divmod(minutes, 24 * 60)
    return (f"{days}d " if days else "") + f"{rest // 60:02d}:{rest % 60:02d}"


def table(record: dict[str, Any], events: Sequence[Event]) -> str:
    """The simulation as a table for people."""
    head = (f"{record['register']} #{record['id']}: {record['category']}"
            f"{'/' + record['severity'] if record['severity'] else ''} at {record['node']} "
            f"({record['node_name']}), reported {record['reported_at']} by {record['reporter']}")
    rows = [("at", "after", "kind", "clock", "state", "to", "detail")]
    for e in events:
        to = ", ".join(who.username for who in e.to)
        detail = e.detail + (f" (now at {e.level})" if e.level else "")
        rows.append((e.at.strftime("%Y-%m-%d %H:%M %a"), short_duration(e.after), e.kind,
                     e.clock or "-", e.state or "-", to or "-", detail))
    widths = [max(len(row[i]) for row in rows) for i in range(6)]
    lines = ["  ".join(cell.ljust(widths[i]) if i < 6 else cell for i, cell in enumerate(row))
             for row in rows]
    end = f"ends in state {record['state']} at {record['final_node']}" + (
        f", due {record['deadline']}" if record.get("deadline") else "") + (
        f" (stopped: {record['stopped']})")
    return "\n".join([head, "", *lines, "", end])
