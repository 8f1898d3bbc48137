"""Plugins' pages and API routes: mounted under ``/plugins/<plugin>``, their templates after
the deployment's and the built-in ones, and `visit`, the only way a plugin page reaches
records: the signed-in user's, through the same scope filter as every other page."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jinja2 import ChoiceLoader, FileSystemLoader
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount

from .. import plugins
from ..auth import User, may
from .access import require
from .records import scoped
from .respond import page
from .site import Site
from .widgets import mask


def mounted(site: Site) -> list[Mount]:
    """One mount per plugin offering pages; their template folders join the site's loader."""
    mounts, folders = [], []
    for plugin, pages in plugins.pages(site.runtime.plugins):
        mounts.append(Mount(f"/plugins/{plugin}", routes=list(pages.routes)))
        if pages.templates is not None:
            folders.append(FileSystemLoader(str(pages.templates)))
    if folders:
        site.templates.loader = ChoiceLoader([site.templates.loader, *folders])  # type: ignore[list-item]
    return mounts


@dataclass(frozen=True)
class Visit:
    """A plugin page's view of the request: the site, the signed-in user, their records."""

    request: Request
    site: Site
    user: User

    def records(self, register: str, limit: int = 100) -> Sequence[Mapping[str, Any]]:
        """The register's records the user may see (newest first), as column mappings:
        none without a role that may view the register, personal values masked for roles
        that may not unmask them, as on every page."""
        table, query = scoped(self.site, self.user, register)
        with self.site.engine.connect() as conn:
            rows = conn.execute(query.order_by(table.c.id.desc()).limit(limit)).mappings().all()
        if may(self.site.deployment, self.user, "unmask", register):
            return rows
        personal = [f.name for f in self.site.deployment.registers[register].fields
                    if self.site.schema.personal(f)]
        return [{**row, **{name: mask(str(row[name])) for name in personal
                           if row[name] is not None}} for row in rows]

    def render(self, template: str, **context: Any) -> HTMLResponse:
        """A full page from the plugin's template, with the navigation every page has."""
        return page(self.request, self.site, self.user, template, **context)


def visit(request: Request, register: str | None = None, verb: str = "view") -> Visit:
    """The visit of a signed-in user allowed to ``verb`` the register (sign-in redirect,
    404 or 403 otherwise, as on every page)."""
    site, user = require(request, register, verb)
    return Visit(request, site, user)
