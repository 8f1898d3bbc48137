"""`/api/v1/me` and `/api/v1/queues`: who the token stands for, and what waits for them."""

from __future__ import annotations

from typing import Any

from ..workflow import queue_counts
from ..workflow.records import department_ids
from .api_call import Call


def me(call: Call) -> Any:
    """The caller's username, roles and the nodes (and departments) their roles hold."""
    site, user = call.site, call.user
    nodes = site.nodes()
    held = dict.fromkeys(g.node for g in user.grants if g.node is not None)
    with site.engine.connect() as conn:
        codes = {i: code for code, i in department_ids(conn, site.schema).items()}
    departments = dict.fromkeys(codes[g.department] for g in user.grants
                                if g.department in codes)
    return {
        "username": user.username, "display_name": user.display_name,
        "roles": list(user.roles),
        "nodes": [{"code": nodes[i].code, "name": nodes[i].name, "level": nodes[i].level}
                  for i in held if i in nodes],
        "departments": [{"code": code, "name": site.label(
            found.name if (found := site.deployment.department(code)) else None, code)}
            for code in departments],
    }


def queues(call: Call) -> Any:
    """Every work queue the caller's roles see, with how many records wait in it."""
    site = call.site
    with site.engine.connect() as conn:
        found = queue_counts(conn, site.deployment, site.schema, call.user, clock=site.clock)
    return [{"name": q.name, "label": q.label, "workflow": q.workflow, "count": q.count}
            for q in found]
