"""Switch-guarded schedules (`if:` / `unless:`): which entries' nodes a workflow switch lets
have duties, as a SQL condition, and which periods to generate again because the switch
changed since they were generated.

A switch is a workflow's; a schedule names it by name, and it is read from the workflow of
the register the schedule `creates` when that workflow has it, else from the first workflow
(by name) that does. At a node the deepest setting on its path wins, and the config's value
holds where none is set — as for records (see `workflow.switches`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import ColumnElement, Connection, false, func, select, true

from ..config import Deployment
from ..config.models import Schedule
from ..storage import Schema


def switch_workflow(deployment: Deployment, schedule: Schedule) -> str | None:
    """The workflow whose switch guards ``schedule`` (None: unguarded or no such switch)."""
    guard = schedule.guard
    if guard is None:
        return None
    register = deployment.registers.get(schedule.creates)
    own = register.workflow if register is not None else None
    if own is not None and guard[0] in deployment.workflows[own].switches:
        return own
    return next((name for name in sorted(deployment.workflows)
                 if guard[0] in deployment.workflows[name].switches), None)


def allowed(schema: Schema, schedule: Schedule, node: ColumnElement[int]) -> ColumnElement[bool]:
    """SQL: the guard of ``schedule`` lets the node whose id is ``node`` have duties."""
    guard = schedule.guard
    workflow = switch_workflow(schema.deployment, schedule)
    if guard is None or workflow is None:
        return true()
    name, wanted = guard
    configured = schema.deployment.workflows[workflow].switches[name]
    table, nodes = schema.system("switches"), schema.system("nodes")
    at, here = nodes.alias("set_at"), nodes.alias("here")
    deepest = (select(table.c.on)
               .join(at, at.c.id == table.c.node)
               .join(here, func.substr(here.c.path, 1, func.length(at.c.path)) == at.c.path)
               .where(table.c.workflow == workflow, table.c.name == name, here.c.id == node)
               .order_by(at.c.depth.desc()).limit(1).scalar_subquery())
    value = func.coalesce(deepest, true() if configured else false())
    return value == (true() if wanted else false())


def changed_since(conn: Connection, schema: Schema, schedules: Iterable[Schedule],
                  marks: dict[str, dt.datetime]) -> set[str]:
    """The guarded schedules among ``schedules`` whose switch was set after their period's
    mark (``marks``: schedule → generated_at), so their period is generated again."""
    guarded = {s.name: (switch_workflow(schema.deployment, s), s.guard[0])
               for s in schedules if s.guard is not None and s.name in marks}
    guarded = {name: key for name, key in guarded.items() if key[0] is not None}
    if not guarded:
        return set()
    table = schema.system("switches")
    latest = {(row.workflow, row.name): row.at for row in conn.execute(
        select(table.c.workflow, table.c.name, func.max(table.c.at).label("at"))
        .where(table.c.name.in_({name for _, name in guarded.values()}))
        .group_by(table.c.workflow, table.c.name))}
    return {name for name, key in guarded.items()
            if key in latest and latest[key] > marks[name]}
