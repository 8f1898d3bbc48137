"""The in-app inbox: a user's messages on inbox channels, unread counts, marking read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from sqlalchemy import Connection, RowMapping, func, select, update
from sqlalchemy.sql.elements import ColumnElement

from ..config import Deployment
from .tables import OUTBOX, PENDING, SENT


def inbox_channels(deployment: Deployment) -> list[str]:
    """The deployment's channels of type inbox."""
    return [name for name, channel in deployment.notifications.channels.items()
            if channel.type == "inbox"]


def messages(conn: Connection, deployment: Deployment, user: int, *, unread_only: bool = False,
             limit: int = 50, offset: int = 0) -> list[RowMapping]:
    """The user's inbox, newest first."""
    query = select(OUTBOX).where(*_mine(deployment, user))
    if unread_only:
        query = query.where(OUTBOX.c.read_at.is_(None))
    query = query.order_by(OUTBOX.c.created_at.desc(), OUTBOX.c.id.desc())
    return list(conn.execute(query.limit(limit).offset(offset)).mappings())


def unread_count(conn: Connection, deployment: Deployment, user: int) -> int:
    """How many inbox messages the user has not read (the number in the navigation)."""
    return int(conn.execute(select(func.count()).select_from(OUTBOX).where(
        *_mine(deployment, user), OUTBOX.c.read_at.is_(None))).scalar_one())


def mark_read(conn: Connection, deployment: Deployment, user: int, *, now: dt.datetime,
              ids: Collection[int] | None = None) -> int:
    """Mark the user's messages ``ids`` (default: all) read; return how many changed."""
    query = update(OUTBOX).where(*_mine(deployment, user), OUTBOX.c.read_at.is_(None))
    if ids is not None:
        query = query.where(OUTBOX.c.id.in_(list(ids)))
    return conn.execute(query.values(read_at=now)).rowcount


def _mine(deployment: Deployment, user: int) -> list[ColumnElement[bool]]:
    # Inbox rows count as delivered once written, or once a delivery run passes them.
    return [OUTBOX.c.recipient == user, OUTBOX.c.channel.in_(inbox_channels(deployment)),
            OUTBOX.c.status.in_([SENT, PENDING])]
