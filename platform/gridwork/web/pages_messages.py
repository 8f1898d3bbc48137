"""The message log for administrators (短信查看, 邮件查看): every outbox message, filtered, paged."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Connection, RowMapping, select
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ..auth import User, may
from ..notify import log
from ..notify.tables import FAILED, PENDING, SENT
from .access import require
from .display import when
from .i18n import N_
from .params import page_number
from .respond import page
from .site import Site

ADMIN = "admin"
"""The verb a role needs to read every message (a deployment grants it: `can: [admin]`)."""
PAGE_SIZE = 50
STATUSES = {PENDING: N_("pending"), SENT: N_("sent"), FAILED: N_("failed")}
CAUSES = {"transition": N_("Workflow step"), "reminder": N_("Deadline reminder"),
          "escalation": N_("Escalation"), "supervision": N_("Supervision"),
          "test": N_("Test message")}
"""What made a message, as the log names it."""
ERRORS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^user (?P<user>.+) has no address for channel '(?P<channel>.+)' \(.+\)$"),
     N_("{user} has no address for this channel: add one to their account")),
    (re.compile(r"^no channel type '(?P<type>.+)' is loaded"),
     N_("no channel of type {type} is installed (is its plugin installed?)")),
    (re.compile(r"^GRIDWORK_SMTP_URL is not set"),
     N_("no mail server is set up (GRIDWORK_SMTP_URL is not set)")),
    (re.compile(r"^GRIDWORK_SMTP_URL must look like"),
     N_("the mail server setting GRIDWORK_SMTP_URL is not valid")),
    (re.compile(r"^the server refused (?P<address>\S+): (?P<reply>.*)$", re.DOTALL),
     N_("the mail server refused {address}: {reply}")),
)
"""Delivery errors people meet, in their words (others are shown as the channel said)."""


@dataclass
class LogFilters:
    """What the log page was asked to show, as typed."""

    channel: str = ""
    status: str = ""
    recipient: str = ""
    start: str = ""
    end: str = ""

    @classmethod
    def read(cls, site: Site, params: QueryParams) -> LogFilters:
        """The filters in ``params``; unknown channels and statuses are dropped."""
        channel = params.get("channel", "")
        status = params.get("status", "")
        return cls(channel if channel in site.deployment.notifications.channels else "",
                   status if status in STATUSES else "", params.get("recipient", "").strip(),
                   _date_text(params.get("from", "")), _date_text(params.get("to", "")))

    def query_string(self, **changes: object) -> str:
        """These filters (and ``changes``) as a URL query, without empty values."""
        values = {"channel": self.channel, "status": self.status, "recipient": self.recipient,
                  "from": self.start, "to": self.end, **changes}
        return urlencode({k: v for k, v in values.items() if v not in ("", None)})


def _date_text(text: str) -> str:
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        return ""


async def message_log(request: Request) -> Response:
    """Every message matching the filters, newest first; only for roles with `admin`."""
    site, user = require(request)
    if not may(site.deployment, user, ADMIN):
        raise HTTPException(403)
    filters = LogFilters.read(site, request.query_params)
    page_text = request.query_params.get("page", "")
    number = page_number(page_text)
    zone = site.runtime.zone
    with site.engine.connect() as conn:
        channel, status = filters.channel or None, filters.status or None
        recipient = _recipient(conn, site, filters.recipient)
        since, until = _midnight(filters.start, zone), _midnight(filters.end, zone, days=1)
        total = log.count(conn, channel=channel, status=status, recipient=recipient,
                          since=since, until=until)
        pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
        number = min(number, pages)
        rows = log.message_log(conn, channel=channel, status=status, recipient=recipient,
                               since=since, until=until, limit=PAGE_SIZE,
                               offset=(number - 1) * PAGE_SIZE)
    channels = {name: site.label(channel.label, name)
                for name, channel in site.deployment.notifications.channels.items()}
    registers = site.deployment.registers
    items = [{**row, "at": when(site, row["created_at"]), "sent": when(site, row["sent_at"]),
              "channel_label": channels.get(row["channel"], row["channel"]),
              "status_label": site.t(STATUSES.get(row["status"], row["status"] or "")),
              "error": error_text(site, row["last_error"]),
              "cause_text": cause_text(site, row),
              "title": _title(site, row),
              "link": f"/registers/{row['register']}/{row['record']}"
              if row["register"] in registers and row["record"] is not None else None,
              "register_label": site.label(registers[row["register"]].label, row["register"])
              if row["register"] in registers else row["register"] or ""}
             for row in rows]
    return page(request, site, user, "messages.html", items=items, total=total, page=number,
                pages=pages, filters=filters,
                channels=list(channels.items()),
                statuses=[(code, site.t(text)) for code, text in STATUSES.items()])


def may_read_log(site: Site, user: User | None) -> bool:
    """Whether ``user`` may read the message log (the navigation links it for them)."""
    return user is not None and may(site.deployment, user, ADMIN)


def cause_text(site: Site, row: RowMapping) -> str:
    """What made a message, as people say it: the workflow step taken, a reminder, the
    level of an escalation…"""
    cause = row["cause"] or ""
    words = site.t(CAUSES[cause]) if cause in CAUSES else cause
    step = _context(row).get("step")
    if cause == "transition" and isinstance(step, str) and step:
        return f"{words}：{step}" if site.locale == "zh" else f"{words}: {step}"
    if cause == "escalation" and row["step"] is not None:
        return site.t("{cause}, level {step}", cause=words, step=row["step"])
    return words


def error_text(site: Site, error: str | None) -> str:
    """A delivery error in the deployment's language, when it is one people meet."""
    if not error:
        return ""
    for pattern, message_id in ERRORS:
        found = pattern.match(error)
        if found:
            return site.t(message_id, **found.groupdict())
    return error


def _context(row: RowMapping) -> Mapping[str, Any]:
    payload = row.get("payload")
    context = payload.get("context") if isinstance(payload, dict) else None
    return context if isinstance(context, dict) else {}


def _title(site: Site, row: RowMapping) -> str:
    """The title of the record a message is about, as it was when the message was made."""
    spec = site.deployment.registers.get(row["register"] or "")
    values = _context(row).get("record")
    if spec is None or not isinstance(values, dict):
        return ""
    title = values.get(spec.title or spec.fields[0].name)
    return str(title) if isinstance(title, str | int) else ""


def _recipient(conn: Connection, site: Site, username: str) -> int | None:
    """The id of the user named ``username`` (-1, matching nothing, when there is none)."""
    if not username:
        return None
    users = site.schema.system("users")
    found = conn.execute(select(users.c.id).where(users.c.username == username)).scalar()
    return int(found) if found is not None else -1


def _midnight(text: str, zone: zoneinfo.ZoneInfo, days: int = 0) -> dt.datetime | None:
    """The start of day ``text`` (plus ``days``) in the deployment's zone."""
    if not text:
        return None
    day = dt.date.fromisoformat(text) + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(), zone)
