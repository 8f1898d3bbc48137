"""The switches page: workflow switches as set for subtrees, the latest changes, and a form
to turn one on or off in the user's area — for roles that `can: switch`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from .. import workflow
from ..auth import User
from ..workflow import switches
from ..workflow.actors import holds_node
from .access import require
from .respond import page
from .sessions import posted_form
from .site import NodeInfo, Site

CHANGES_SHOWN = 30
"""Latest changes listed under the form."""


@dataclass(frozen=True)
class Choice:
    """One switch the form offers: its workflow, key and the config's value."""

    workflow: str
    name: str
    label: str
    configured: bool

    @property
    def value(self) -> str:
        """The form's value for it."""
        return f"{self.workflow}:{self.name}"


def may_switch(site: Site, user: User | None) -> bool:
    """Whether the navigation links the page for ``user``."""
    return user is not None and switches.may_switch(site.runtime, user)


def _choices(site: Site) -> list[Choice]:
    return [Choice(key, name, f"{site.label(flow.label, key)} · {name}", on)
            for key, flow in site.deployment.workflows.items()
            for name, on in flow.switches.items()]


def _places(site: Site, user: User) -> list[NodeInfo]:
    """The nodes the user may set switches at, in tree order; the lowest level is left out
    (a switch there would cover one cell only, which the cell's parent says better)."""
    roles = site.deployment.roles
    held = [g for g in user.grants
            if g.role in roles and switches.VERB in roles[g.role].can]
    leaf = site.deployment.hierarchy.levels[-1].key
    return [node for node in site.nodes().values()
            if node.level != leaf and any(holds_node(g, node.id, node.path)
                                          for g in held)]


def _render(request: Request, site: Site, user: User, status: int = 200,
            **form: Any) -> Response:
    with site.engine.connect() as conn:
        found = switches.settings(conn, site.schema)
        latest = switches.changes(conn, site.schema, CHANGES_SHOWN)
    nodes = {node.code: node for node in site.nodes().values()}
    return page(request, site, user, "switches.html", status=status, choices=_choices(site),
                places=_places(site, user), settings=found, latest=latest, nodes=nodes,
                levels={lv.key: site.label(lv.label, lv.key)
                        for lv in site.deployment.hierarchy.levels},
                form=form.get("values", {}), errors=form.get("errors", {}),
                when=lambda at: at.astimezone(site.runtime.zone).strftime("%Y-%m-%d %H:%M"))


async def switches_page(request: Request) -> Response:
    """The switches as set, the latest changes and the form."""
    site, user = require(request)
    if not may_switch(site, user):
        raise HTTPException(403)
    return _render(request, site, user)


async def set_switch(request: Request) -> Response:
    """Turn a switch on or off for the chosen subtree; back to the page, or the form again
    with what is missing."""
    site, user = require(request)
    if not may_switch(site, user):
        raise HTTPException(403)
    form = await posted_form(request)
    values = {name: str(form.get(name) or "").strip()
              for name in ("switch", "node", "on", "reason")}
    errors: dict[str, str] = {}
    flow, _, name = values["switch"].partition(":")
    if values["on"] not in ("1", "0"):
        errors["on"] = site.t("Choose on or off.")
    if not values["reason"]:
        errors["reason"] = site.t("required")
    if not errors:
        try:
            switches.set_switch(site.engine, site.runtime, user, flow, name, values["node"],
                                values["on"] == "1", values["reason"], clock=site.clock)
        except workflow.NotFound:
            errors["switch"] = site.t("Choose a switch and a place from the lists.")
        except workflow.Forbidden:
            raise HTTPException(403) from None
        else:
            return RedirectResponse("/switches", 303)
    return _render(request, site, user, status=422, values=values, errors=errors)
