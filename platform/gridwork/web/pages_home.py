"""The home page: the user's queues and what is due, registers with counts within scope,
where to report."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from starlette.requests import Request
from starlette.responses import Response

from .. import workflow
from ..auth import may
from .access import require, viewable
from .pages_queue import due_soon
from .records import scoped
from .respond import page


async def home(request: Request) -> Response:
    """The user's queues with counts and what is due soon, their registers with counts of
    open and overdue records, and report links."""
    site, user = require(request)
    now = site.clock()
    cards: list[dict[str, Any]] = []
    with site.engine.connect() as conn:
        for name in viewable(site, user):
            register = site.deployment.registers[name]
            table, query = scoped(site, user, name)
            counted = query.with_only_columns(func.count()).order_by(None)
            card: dict[str, Any] = {"name": name, "label": site.label(register.label, name),
                                    "total": conn.execute(counted).scalar_one(),
                                    "can_create": may(site.deployment, user, "create", name)}
            if register.workflow:
                card["open"] = conn.execute(counted.where(workflow.open_clause(
                    site.deployment, name, table))).scalar_one()
                card["overdue"] = conn.execute(counted.where(workflow.overdue_clause(
                    site.deployment, name, table, now))).scalar_one()
            cards.append(card)
        queues = workflow.queue_counts(conn, site.deployment, site.schema, user,
                                       clock=site.clock)
        due = due_soon(conn, site, user, queues)
    return page(request, site, user, "home.html", cards=cards, queues=queues, due=due,
                roles=[site.label(site.deployment.roles[r].label, r) for r in user.roles
                       if r in site.deployment.roles])
