"""Misses: an open duty whose due time has passed becomes overdue, with a `duty_missed`
history row (what assessment counts) and a notice to the first rung of its escalation
ladder (the `notify` of the schedule's ladder, default `default`), one per recipient and
sweep, listing how many of their duties were missed. While it stays overdue it climbs the
later rungs, each when its `after` (a duration past the due time, on the duration's own
clock) has passed; a rung given as a share of the limit does not apply to duties.

The UPDATE … RETURNING picks the duties: a second sweeper at the same moment waits for the
first one's row locks, finds them overdue and writes nothing, so each miss has one row.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict

from sqlalchemy import Connection, func, literal, select, update

from ..config.models import Schedule
from ..notify.outbox import enqueue
from ..runtime import Runtime
from ..storage.history_kinds import ACTIONS, Kind
from ..storage.sets import among
from ..storage.system import DUTY_SUBJECT, DutyState
from ..storage.types import UTCDateTime
from ..workflow import history
from ..workflow.notify import About, recipients

TEMPLATE = "duty_overdue"
"""The message template of missed-duty notices (a deployment may define its own)."""


def mark_overdue(conn: Connection, runtime: Runtime, now: dt.datetime) -> int:
    """Turn every open duty due by ``now`` overdue, write its history row and tell its
    ladder's first rung; return how many."""
    schema = runtime.schema
    duties = schema.system("duties")
    missed = conn.execute(update(duties).where(
        duties.c.state == DutyState.OPEN, duties.c.due_at <= now)
        .values(state=DutyState.OVERDUE, missed_at=now, step=0)
        .returning(duties.c.id, duties.c.schedule, duties.c.node, duties.c.assignee)).all()
    if not missed:
        return 0
    as_json = func.json_build_object if conn.dialect.name == "postgresql" else func.json_object
    rows = select(literal(DUTY_SUBJECT), duties.c.id, literal(now, UTCDateTime),
                  literal(Kind.DUTY_MISSED.value), literal(ACTIONS[Kind.DUTY_MISSED]),
                  literal(None), as_json("schedule", duties.c.schedule, "period",
                                         duties.c.period, "assignee", duties.c.assignee,
                                         "due_at", duties.c.due_at)
                  ).where(among(conn, duties.c.id, [row.id for row in missed]))
    history.write_selected(conn, schema, rows)
    _tell(conn, runtime, missed, now, 0)
    return len(missed)


def climb(conn: Connection, runtime: Runtime, now: dt.datetime) -> int:
    """Move every overdue duty up the rungs of its ladder whose time has come, telling each
    rung's `notify`; return how many rungs were climbed. One UPDATE per ladder and rung,
    from any lower step (a rung timed as a share of a limit is not one a duty can reach),
    so a second sweeper finds nothing left to climb."""
    duties = runtime.schema.system("duties")
    by_ladder: dict[str, list[str]] = defaultdict(list)
    for schedule in runtime.deployment.schedules:
        by_ladder[schedule.escalation or "default"].append(schedule.name)
    climbed = 0
    for name, schedules in sorted(by_ladder.items()):
        ladder = runtime.deployment.escalation.get(name, ())
        for rung, step in enumerate(ladder):
            if rung == 0 or step.after.duration is None:
                continue
            reached = runtime.calendar.before(now, step.after.duration)
            moved = conn.execute(update(duties).where(
                duties.c.schedule.in_(schedules), duties.c.state == DutyState.OVERDUE,
                duties.c.step < rung, duties.c.due_at <= reached).values(step=rung)
                .returning(duties.c.id, duties.c.schedule, duties.c.node,
                           duties.c.assignee)).all()
            if moved:
                _tell(conn, runtime, moved, now, rung)
                climbed += len(moved)
    return climbed


def _tell(conn: Connection, runtime: Runtime, missed: list, now: dt.datetime,
          rung: int) -> None:
    """One notice per recipient of a rung (and the rung's `channels`, when it names
    them), counting their missed duties."""
    schema, deployment = runtime.schema, runtime.deployment
    schedules: dict[str, Schedule] = {s.name: s for s in deployment.schedules}
    nodes = schema.system("nodes")
    paths = {row.id: row.path for row in conn.execute(select(nodes.c.id, nodes.c.path).where(
        nodes.c.id.in_({row.node for row in missed})))}
    counts: dict[tuple[int, tuple[str, ...]], dict[str, int]] = defaultdict(
        lambda: defaultdict(int))
    groups: dict[tuple[str, int, int | None], int] = defaultdict(int)
    for row in missed:
        groups[(row.schedule, row.node, row.assignee)] += 1
    for (name, node, assignee), count in groups.items():
        schedule = schedules.get(name)
        ladder = deployment.escalation.get(
            schedule.escalation if schedule and schedule.escalation else "default", ())
        if len(ladder) <= rung or not ladder[rung].notify:
            continue
        about = About(DUTY_SUBJECT, 0, paths.get(node, "/"), None, assignee, None)
        channels = tuple(ladder[rung].channels)
        for user in recipients(conn, schema, about, ladder[rung].notify):
            counts[(user, channels)][
                schedule.label.text(runtime.locale) if schedule else name] += count
    for (user, channels), named in counts.items():
        total = sum(named.values())
        enqueue(conn, runtime, recipients=[user], template=TEMPLATE, cause="duty_missed",
                channels=channels,
                clock=lambda: now, occasion=f"duties@{now.isoformat()}#{rung}",
                context={"count": total, "duties": json.loads(json.dumps(named)),
                         "link": "/duties?state=overdue"})
