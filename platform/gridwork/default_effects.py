"""The built-in escalation-step effects, offered through `gridwork_escalation_actions` like
a plugin's and named as a step's own keys: ``notify`` (tell its targets), ``move_up``,
``supervise``, ``priority`` and ``repeat``. Each writes its history row in the sweep's
transaction and does nothing when the step leaves its key empty.

History actions written here: ``escalate`` (after: step, to, recipients), ``move_up``
(before/after: node), ``supervise`` (after: supervision, level), ``priority``
(before/after: priority).

Each imports the sweep when it runs, so that `gridwork check` learns the names without
loading SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .config.models import Target
from .config.types import Duration
from .plugins import hookimpl

if TYPE_CHECKING:
    from .sweep.effects import Firing


def tell(firing: Firing, targets: Sequence[Target]) -> None:
    """Tell the step's targets (the ``escalate`` row is written even when it names none)."""
    from .sweep.effects import notify

    step = firing.step
    assert step is not None
    told = notify(firing, targets, template=step.template or "escalation",
                  channels=step.channels, cause="escalation")
    firing.write("escalate", after=told)


def move_up(firing: Firing, up: int | str | None) -> None:
    """Reassign the record to its ancestor at the step's level (where its branch skips that
    level, the nearest ancestor above it), or that many parents up, whatever their levels."""
    from sqlalchemy import select

    from .hierarchy import ancestor_codes

    if up is None:
        return
    nodes = firing.schema.system("nodes")
    branch = firing.conn.execute(
        select(nodes.c.id, nodes.c.code, nodes.c.level)
        .where(nodes.c.code.in_(ancestor_codes(firing.record.node_path)))
        .order_by(nodes.c.depth)).all()
    here = len(branch) - 1
    if isinstance(up, int):
        target = branch[max(here - up, 0)]
    else:
        rank = firing.schema.deployment.hierarchy.level_index
        ceiling = rank(up)
        target = next((row for row in reversed(branch)
                       if ceiling is not None and (rank(row.level) or 0) <= ceiling), branch[here])
    if target.id == firing.record.node_id:
        return
    before = firing.record.node
    firing.change(node=target.id)
    firing.write("move_up", before={"node": before}, after={"node": target.code})


def supervise(firing: Firing, wanted: bool) -> None:
    """Open a supervision at the record's (new) level, unless the ladder has one open there."""
    from sqlalchemy import select

    from .workflow import supervision

    if not wanted:
        return
    record, conn = firing.record, firing.conn
    nodes, table = firing.schema.system("nodes"), firing.schema.system("supervisions")
    level = conn.execute(select(nodes.c.level).where(nodes.c.id == record.node_id)).scalar()
    already = conn.execute(select(table.c.id).where(
        table.c.register == record.register, table.c.record == record.id,
        table.c.resolved_at.is_(None), table.c.by.is_(None), table.c.level == level)).first()
    if already is not None:
        return
    reason = _REASON[firing.runtime.locale].format(n=firing.number)
    opened = supervision.open_row(conn, firing.runtime, record, by=None, reason=reason,
                                  now=firing.now, level=level)
    firing.write("supervise", after={"supervision": opened, "level": level})


_REASON = {"zh": "超时第{n}级督办", "en": "overdue: escalation step {n}"}


def raise_priority(firing: Firing, wanted: str | None) -> None:
    """Raise the record's priority to the step's (never lower it)."""
    current = firing.record.priority
    if wanted is None or wanted == current:
        return
    order = list(firing.schema.deployment.choices.get("priority", {}))
    if current in order and wanted in order and order.index(current) > order.index(wanted):
        return
    firing.change(priority=wanted)
    firing.write("priority", before={"priority": current}, after={"priority": wanted})


def come_round(firing: Firing, repeat: Duration | None) -> None:
    """Plan the step's next firing, the first after now (missed ones are not made up)."""
    from sqlalchemy import insert

    from .sweep.effects import Done

    if repeat is None or repeat.amount <= 0:
        return
    due = firing.due
    at = firing.calendar.add(due.due_at, repeat)
    while at <= firing.now:
        at = firing.calendar.add(at, repeat)
    firing.conn.execute(insert(firing.schema.system("timers")).values(
        register=due.register, record=due.record, kind="escalation", state=due.state,
        round=due.round, step=due.step, due_at=at))
    firing.done.append(Done("repeat", {"next": at.isoformat()}))


@hookimpl
def gridwork_escalation_actions() -> dict[str, Any]:
    """The effects of a step's own keys, by key."""
    return {"notify": tell, "move_up": move_up, "supervise": supervise,
            "priority": raise_priority, "repeat": come_round}
