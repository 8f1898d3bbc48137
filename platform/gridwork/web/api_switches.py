"""`/api/v1/switches`: workflow switches as set for subtrees, and setting one."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from ..workflow import switches
from .api_call import ApiError, Call


def switches_api(call: Call) -> Any:
    """GET: the configured switches, those set for areas and the latest changes.
    POST: turn one on or off for a subtree (`switch` permission), with a reason."""
    site = call.site
    if not switches.may_switch(site.runtime, call.user):
        raise ApiError(403, "your roles may not set switches")
    if call.request.method == "POST":
        body = call.body
        errors: dict[str, list[str]] = {}
        for name in ("workflow", "switch", "node", "reason"):
            if not isinstance(body.get(name), str) or not body[name].strip():
                errors[name] = ["required: text"]
        if not isinstance(body.get("on"), bool):
            errors["on"] = ["required: true or false"]
        if errors:
            raise ApiError(422, errors=errors)
        done = switches.set_switch(site.engine, site.runtime, call.user, body["workflow"],
                                   body["switch"], body["node"], body["on"], body["reason"],
                                   clock=site.clock)
        return 201, asdict(done)
    with site.engine.connect() as conn:
        found = switches.settings(conn, site.schema)
        latest = switches.changes(conn, site.schema)
    return {
        "configured": {key: dict(flow.switches)
                       for key, flow in site.deployment.workflows.items() if flow.switches},
        "settings": [asdict(s) for s in found],
        "changes": [asdict(c) for c in latest],
    }
