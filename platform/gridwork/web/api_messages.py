"""`/api/v1/messages`: the message log for administrators (roles that may `admin`): every
message with its channel, recipient, status, attempts, last error and what caused it (also
in the words of the log page: `cause_text`, `error_text`)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ..auth import may
from ..integers import INT_MAX, parse_int
from ..notify.log import COLUMNS, count, message_log
from .api_call import ApiError, Call
from .pages_messages import cause_text, error_text

PER_PAGE = 50


def messages(call: Call) -> Any:
    """GET: messages newest first; filters channel, status, recipient (username), from and
    to (dates or instants; a date `to` includes that day), page."""
    site = call.site
    if not may(site.deployment, call.user, "admin"):
        raise ApiError(403, "the message log is for administrators")
    zone = site.runtime.zone
    errors: dict[str, list[str]] = {}
    since = _instant(call.param("from"), zone, "from", errors)
    until = _instant(call.param("to"), zone, "to", errors)
    number = parse_int(call.param("page") or "1", lo=1, hi=INT_MAX)
    if number is None:
        errors["page"] = ["a page number from 1"]
    filters: dict[str, Any] = {"channel": call.param("channel"),
                               "status": call.param("status"), "since": since, "until": until}
    users = site.schema.system("users")
    with site.engine.connect() as conn:
        if (username := call.param("recipient")) is not None:
            filters["recipient"] = conn.execute(select(users.c.id).where(
                users.c.username == username)).scalar()
            if filters["recipient"] is None:
                errors["recipient"] = [f"no user '{username}'"]
        if errors or number is None:
            raise ApiError(422, errors=errors)
        total = count(conn, **filters)
        rows = message_log(conn, **filters, limit=PER_PAGE,
                               offset=(number - 1) * PER_PAGE)
        names = dict(conn.execute(select(users.c.id, users.c.username).where(
            users.c.id.in_({row["recipient"] for row in rows} - {None}))).all())
    items = [{**{name: row[name] for name in COLUMNS if name not in ("recipient", "payload")},
              "recipient": names.get(row["recipient"]),
              "recipient_name": row["recipient_name"],
              "cause_text": cause_text(site, row),
              "error_text": error_text(site, row["last_error"])} for row in rows]
    return {"items": items, "total": total, "page": number, "per_page": PER_PAGE}


def _instant(text: str | None, zone: ZoneInfo, name: str,
             errors: dict[str, list[str]]) -> dt.datetime | None:
    """An ISO instant (local time when it has no zone) or a date's start; a date given as
    `to` means the end of that day."""
    if text is None:
        return None
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text) + dt.timedelta(days=1 if name == "to" else 0)
            return dt.datetime.combine(day, dt.time(), zone)
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        errors[name] = [f"'{text}' is not a date (YYYY-MM-DD) or an ISO date and time"]
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)
