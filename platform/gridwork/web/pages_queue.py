"""Work queues (待分发, 待接受, 超时…): a queue's page, oldest deadline first, and the counts
the navigation and the home page show. The engine says what is in each queue."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from .. import workflow
from ..auth import User
from .access import require
from .display import state_label, when
from .params import page_number
from .respond import page
from .site import Site
from .names import record_title_column
from .workflow_view import action_names, record_url

PAGE_SIZE = 50
DUE_SOON = dt.timedelta(days=1)
"""How far ahead the home page looks for deadlines."""
DUE_LIST = 10
"""How many due records the home page lists."""


@dataclass(frozen=True)
class Item:
    """One record of a queue as its page lists it."""

    url: str
    register: str
    id: int
    title: str
    node: str
    state: str
    deadline: str
    overdue: bool
    last_step: str
    supervised: bool


def counts(site: Site, user: User | None) -> list[workflow.QueueCount]:
    """The user's queues with their counts (for the navigation; none when signed out)."""
    if user is None:
        return []
    with site.engine.connect() as conn:
        return workflow.queue_counts(conn, site.deployment, site.schema, user,
                                     clock=site.clock)


async def queue_page(request: Request) -> Response:
    """One of the user's queues, oldest deadline first, a page at a time."""
    site, user = require(request)
    name = request.path_params["name"]
    raw_page = request.query_params.get("page", "1")
    number = page_number(raw_page)
    with site.engine.connect() as conn:
        found = next((q for q in workflow.queue_counts(conn, site.deployment, site.schema,
                                                       user, clock=site.clock)
                      if q.name == name), None)
        if found is None:
            raise HTTPException(404)
        records = workflow.queue_records(conn, site.deployment, site.schema, user, name,
                                         clock=site.clock, limit=PAGE_SIZE,
                                         offset=(number - 1) * PAGE_SIZE)
        items = _items(conn, site, records)
    pages = max((found.count + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    return page(request, site, user, "queue.html", queue=found, items=items, page=number,
                pages=pages)


def due_soon(conn: Connection, site: Site, user: User,
             queues: list[workflow.QueueCount]) -> list[Item]:
    """Records of the user's queues whose deadline has passed or comes within DUE_SOON,
    soonest first (each queue lists oldest deadline first, so its head is enough)."""
    limit = site.clock() + DUE_SOON
    found: dict[tuple[str, int], workflow.Record] = {}
    for queue in queues:
        if not queue.count:
            continue
        for record in workflow.queue_records(conn, site.deployment, site.schema, user,
                                             queue.name, clock=site.clock, limit=DUE_LIST):
            if record.deadline is None or record.deadline > limit:
                break
            found[(record.register, record.id)] = record
    soonest = sorted(found.values(), key=lambda r: (r.deadline, r.register, r.id))
    return _items(conn, site, soonest[:DUE_LIST])


def _items(conn: Connection, site: Site, records: list[workflow.Record]) -> list[Item]:
    """The records as list rows, with each one's latest step and open supervision (one
    query each for the whole page)."""
    now = site.clock()
    history, supervisions = site.schema.system("history"), site.schema.system("supervisions")
    keys = [(r.register, r.id) for r in records]
    last: dict[tuple[str, int], str] = {}
    supervised: set[tuple[str, int]] = set()
    for register in {r.register for r in records}:
        ids = [i for reg, i in keys if reg == register]
        latest = select(func.max(history.c.id)).where(
            history.c.register == register, history.c.record.in_(ids)
        ).group_by(history.c.record)
        labels = action_names(site, register)
        for record_id, action in conn.execute(select(history.c.record, history.c.action)
                                              .where(history.c.id.in_(latest))):
            last[(register, record_id)] = labels.get(action) or site.t(
                action.replace("_", " "))
        supervised.update((register, i) for i in conn.execute(
            select(supervisions.c.record).where(
                supervisions.c.register == register, supervisions.c.record.in_(ids),
                supervisions.c.resolved_at.is_(None))).scalars())
    return [Item(url=record_url(r.register, r.id),
                 register=site.label(site.deployment.registers[r.register].label, r.register),
                 id=r.id, title=_title(site, r), node=site.nodes()[r.node_id].name,
                 state=state_label(site, r.register, r.state), deadline=when(site, r.deadline),
                 overdue=workflow.is_overdue(site.deployment, r, now),
                 last_step=last.get((r.register, r.id), ""),
                 supervised=(r.register, r.id) in supervised)
            for r in records]


def _title(site: Site, record: workflow.Record) -> str:
    column = record_title_column(site, record.register)
    value: Any = record.values.get(column) if column != "id" else None
    return str(value) if value not in (None, "") else f"#{record.id}"
