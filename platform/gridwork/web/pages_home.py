"""The home page: the user's queues and what is due, registers with counts within scope,
where to report."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from .. import workflow
from ..auth import User
from ..auth import may
from . import overview
from .access import require, viewable
from .node_measures import node_measures
from .pages_queue import due_soon
from .records import scoped
from .respond import page
from .site import NodeInfo, Site


async def home(request: Request) -> Response:
    """The user's queues with counts and what is due soon, the dashboard of their scope at
    the chosen ``node`` (drilled down by child node, with the children's duties and latest
    scores where the deployment has them), their registers with counts of open and overdue
    records, and report links."""
    site, user = require(request)
    now = site.clock()
    cards: list[dict[str, Any]] = []
    node, children, crumbs = _place(site, user, request.query_params.get("node", ""))
    with site.engine.connect() as conn:
        boards = [overview.register_counts(conn, site, user, name, node, children)
                  for name in viewable(site, user)
                  if site.deployment.registers[name].workflow]
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
        measures = node_measures(conn, site, user, children,
                                 overview.day_start(site, overview.month_start(site)))
        queues = workflow.queue_counts(conn, site.deployment, site.schema, user,
                                       clock=site.clock)
        due = due_soon(conn, site, user, queues)
    return page(request, site, user, "home.html", cards=cards, queues=queues, due=due,
                boards=boards, lead=_lead(site, user), measures=measures, children=children,
                node=node,
                crumbs=crumbs, since=overview.month_start(site),
                child_level=site.level_label(children[0].level) if children else "",
                roles=[site.label(site.deployment.roles[r].label, r) for r in user.roles
                       if r in site.deployment.roles])


def _place(site: Site, user: User, code: str
           ) -> tuple[NodeInfo | None, list[NodeInfo], list[NodeInfo]]:
    """The dashboard's node (404 outside the user's scope), the nodes its table lists, and
    the breadcrumb from the user's own node down to it."""
    tops = overview.top_nodes(site, user)
    if code:
        node = site.node_by_code(code)
        if node is None or not overview.may_see_node(site, user, node):
            raise HTTPException(404)
    elif len(tops) == 1:
        node = tops[0]
    else:
        return None, tops, []
    top = next(t for t in tops if node.path.startswith(t.path))
    crumbs = [n for n in (site.node_by_code(c) for c in node.path.strip("/").split("/"))
              if n is not None and n.path.startswith(top.path)]
    return node, overview.children_of(site, node), crumbs


CHARTS = ("states", "categories", "trend", "children")
"""The parts of a register's card below its counts, in their usual order."""


def _lead(site: Site, user: User) -> dict[str, list[str]]:
    """The measures and charts in the order the first of the user's roles with a
    `dashboards:` entry puts first; the rest follow in the usual order."""
    chosen = next((site.deployment.dashboards[r] for r in user.roles
                   if r in site.deployment.dashboards), None)
    measures = list(chosen.measures) if chosen else []
    charts = list(chosen.charts) if chosen else []
    return {"measures": measures + [m for m in overview.STATUSES if m not in measures],
            "charts": charts + [c for c in CHARTS if c not in charts]}
