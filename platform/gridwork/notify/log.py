"""The message log (短信查看, 邮件查看): every outbox row, filtered for the admin page and API."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, RowMapping, func, select
from sqlalchemy.sql.elements import ColumnElement

from .tables import OUTBOX, USERS

COLUMNS = ("id", "channel", "recipient", "address", "subject", "status", "attempts",
           "last_error", "register", "record", "cause", "step", "created_at", "due_at",
           "sent_at", "receipt", "digest_of", "payload")
"""What a log line shows (the payload holds the step that caused it), plus `recipient_name`."""


def message_log(conn: Connection, *, channel: str | None = None, status: str | None = None,
                recipient: int | None = None, since: dt.datetime | None = None,
                until: dt.datetime | None = None, limit: int = 100,
                offset: int = 0) -> list[RowMapping]:
    """Messages matching the filters (creation time in [since, until)), newest first."""
    query = (select(*(OUTBOX.c[name] for name in COLUMNS),
                    USERS.c.display_name.label("recipient_name"))
             .select_from(OUTBOX.outerjoin(USERS, USERS.c.id == OUTBOX.c.recipient))
             .where(*_filters(channel, status, recipient, since, until))
             .order_by(OUTBOX.c.created_at.desc(), OUTBOX.c.id.desc())
             .limit(limit).offset(offset))
    return list(conn.execute(query).mappings())


def count(conn: Connection, *, channel: str | None = None, status: str | None = None,
          recipient: int | None = None, since: dt.datetime | None = None,
          until: dt.datetime | None = None) -> int:
    """How many messages match the filters (for paging)."""
    return int(conn.execute(select(func.count()).select_from(OUTBOX).where(
        *_filters(channel, status, recipient, since, until))).scalar_one())


def _filters(channel: str | None, status: str | None, recipient: int | None,
             since: dt.datetime | None, until: dt.datetime | None) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if channel is not None:
        found.append(OUTBOX.c.channel == channel)
    if status is not None:
        found.append(OUTBOX.c.status == status)
    if recipient is not None:
        found.append(OUTBOX.c.recipient == recipient)
    if since is not None:
        found.append(OUTBOX.c.created_at >= since)
    if until is not None:
        found.append(OUTBOX.c.created_at < until)
    return found
