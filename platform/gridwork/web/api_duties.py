"""`/api/v1/duties`: the duties in the caller's area (its scope over the duties' nodes),
filterable by schedule, period, state, assignee (a username or `me`), `unassigned` and
`counted` (a score sheet's `PERIOD/SUBJECTS/KEY/METRIC`: the duties its number counted).
A duty is fulfilled through the record API: take its record (a duty's `record`, created
with it in `mode: create`) to a final state, or create a record of its register with
`duty: ID` among the values' siblings (see `records`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from ..assessment.view import counted_duties
from ..hierarchy import scope_filter
from ..integers import INT_MAX, parse_int
from ..storage.system import DutyState
from .api_call import ApiError, Call

PER_PAGE = 100
STATES = (DutyState.OPEN, DutyState.OVERDUE, DutyState.DONE, DutyState.DROPPED)


def duties(call: Call) -> Any:
    """GET: duties by due time, a page at a time."""
    site, user = call.site, call.user
    table, nodes, users = (site.schema.system(n) for n in ("duties", "nodes", "users"))
    errors: dict[str, list[str]] = {}
    conditions = [scope_filter(user, table)]
    schedules = {s.name for s in site.deployment.schedules}
    if (name := call.param("schedule")) is not None:
        if name not in schedules:
            errors["schedule"] = [f"one of {', '.join(sorted(schedules))}"]
        conditions.append(table.c.schedule == name)
    if (period := call.param("period")) is not None:
        conditions.append(table.c.period == period)
    if (state := call.param("state")) is not None:
        if state not in STATES:
            errors["state"] = [f"one of {', '.join(STATES)}"]
        conditions.append(table.c.state == state)
    if call.param("unassigned") in ("1", "true"):
        conditions.append(table.c.assignee.is_(None))
    if (counted := call.param("counted")) is not None:
        ids = counted_duties(site.runtime, counted)
        if ids is None:
            errors["counted"] = ["PERIOD/SUBJECTS/KEY/METRIC of a coverage or misses metric"]
        else:
            conditions.append(table.c.id.in_(ids))
    number = parse_int(call.param("page") or "1", lo=1, hi=INT_MAX)
    if number is None:
        errors["page"] = ["a page number from 1"]
    with site.engine.connect() as conn:
        if (who := call.param("assignee")) is not None:
            found = user.id if who == "me" else conn.execute(
                select(users.c.id).where(users.c.username == who)).scalar()
            if found is None:
                errors["assignee"] = [f"no user '{who}'"]
            conditions.append(table.c.assignee == found)
        if errors or number is None:
            raise ApiError(422, errors=errors)
        total = conn.execute(select(func.count()).select_from(table).where(*conditions)
                             ).scalar() or 0
        rows = conn.execute(
            select(table, nodes.c.code.label("node_code"), users.c.username)
            .join(nodes, nodes.c.id == table.c.node)
            .outerjoin(users, users.c.id == table.c.assignee)
            .where(*conditions).order_by(table.c.due_at, table.c.id)
            .limit(PER_PAGE).offset((number - 1) * PER_PAGE)).mappings().all()
    items = [{"id": row["id"], "schedule": row["schedule"], "period": row["period"],
              "entry": row["entry"], "occurrence": row["occurrence"],
              "node": row["node_code"], "assignee": row["username"],
              "starts_at": row["starts_at"], "due_at": row["due_at"], "state": row["state"],
              "register": row["register"], "record": row["record"],
              "done_at": row["done_at"], "missed_at": row["missed_at"]} for row in rows]
    return {"items": items, "total": total, "page": number, "per_page": PER_PAGE}
