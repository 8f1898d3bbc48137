"""The in-app inbox: the user's messages newest first, unread ones marked, marking them read."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..auth import may
from ..integers import parse_int
from ..notify import inbox
from .access import require
from .display import when
from .pages_messages import ADMIN
from .params import page_number
from .respond import page
from .sessions import posted_form
from .site import Site
from .workflow_view import action_names

PAGE_SIZE = 30


async def inbox_page(request: Request) -> Response:
    """The user's messages, a page at a time."""
    site, user = require(request)
    number = page_number(request.query_params.get("page"))
    with site.engine.connect() as conn:
        rows = inbox.messages(conn, site.deployment, user.id, limit=PAGE_SIZE + 1,
                              offset=(number - 1) * PAGE_SIZE)
    more, rows = len(rows) > PAGE_SIZE, rows[:PAGE_SIZE]
    registers = site.deployment.registers
    with site.engine.connect() as conn:
        happened = _steps(conn, site, [row for row in rows if row["register"] in registers])
    items = [{"id": row["id"], "subject": row["subject"] or "",
              "body": _without_link(row["body"] or "", row["payload"]),
              "at": when(site, row["created_at"]), "unread": row["read_at"] is None,
              "happened": happened.get(row["step"], ""),
              "link": f"/registers/{row['register']}/{row['record']}"
              if row["register"] in registers and row["record"] is not None else None,
              "about": site.label(registers[row["register"]].label, row["register"])
              + (f" #{row['record']}" if row["record"] is not None else "")
              if row["register"] in registers else ""}
             for row in rows]
    return page(request, site, user, "inbox.html", items=items, page=number, more=more,
                can_see_log=may(site.deployment, user, ADMIN))


async def mark_read(request: Request) -> Response:
    """Mark the posted message ids read (none posted: every message) and show the inbox again."""
    site, user = require(request)
    form = await posted_form(request)
    given = [str(v) for v in form.getlist("id")]
    parsed = [parse_int(v, lo=1) for v in given]
    if None in parsed:
        raise HTTPException(400, "id: message ids")
    ids = [number for number in parsed if number is not None] if given else None
    with site.engine.begin() as conn:
        inbox.mark_read(conn, site.deployment, user.id, now=site.clock(), ids=ids)
    number = page_number(str(form.get("page") or ""))
    return RedirectResponse("/inbox" + (f"?page={number}" if number > 1 else ""), 303)


def _steps(conn: Connection, site: Site, rows: list[Any]) -> dict[int, str]:
    """What the history step behind each message did, as its action's name."""
    history = site.schema.system("history")
    ids = [row["step"] for row in rows if row["step"] is not None]
    if not ids:
        return {}
    found = conn.execute(select(history.c.id, history.c.register, history.c.action)
                         .where(history.c.id.in_(ids))).all()
    return {step: action_names(site, register).get(action, action)
            for step, register, action in found if register in site.deployment.registers}


def _without_link(body: str, payload: Any) -> str:
    """The body without the record's address: the page links the record itself."""
    link = payload.get("link") if isinstance(payload, dict) else None
    return body.replace(link, "").strip() if link else body

