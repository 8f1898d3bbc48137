"""Putting messages in the outbox, in the transaction of whatever caused them."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Insert, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite

from ..clock import Clock
from ..config.models import Notifications
from ..config.types import parse_duration
from .tables import FAILED, GRANTS, OUTBOX, PENDING, SENT, USERS

if TYPE_CHECKING:
    from ..runtime import Runtime

DIGESTED_CAUSES = frozenset({"reminder"})
"""Causes whose messages wait for the digest window and go out together."""
BASE_URL_ENV = "GRIDWORK_BASE_URL"
"""Where the web app is reached, so a message's link opens the record (default: a path)."""


def enqueue(conn: Connection, runtime: Runtime, *, recipients: Iterable[int],
            template: str, context: Mapping[str, Any], cause: str,
            clock: Clock, register: str | None = None,
            record: int | None = None, step: int | None = None, channels: Sequence[str] = (),
            occasion: str | None = None) -> int:
    """Write one outbox row per recipient, channel and address; return how many were new.

    ``context`` holds the template's names (``record``, ``deadline``, ``step``, ``link``…;
    ``link`` defaults to the record's page). ``channels`` overrides each recipient's role
    channels. ``occasion`` names what fired (a timer or history row id); with the cause it
    makes the idempotency keys, so writing the same occasion twice adds nothing.
    """
    now = clock()
    kinds = runtime.channels
    notifications = runtime.deployment.notifications
    renderer = runtime.renderer
    base = {**context, "step": context.get("step", step)}
    if "link" not in base and register is not None and record is not None:
        site = os.environ.get(BASE_URL_ENV, "").rstrip("/")
        base["link"] = f"{site}/registers/{register}/{record}"
    about = {"payload": {"template": template, "link": base.get("link"), "context": json.loads(
                 json.dumps(base, ensure_ascii=False, default=str))},
             "register": register, "record": record, "cause": cause, "step": step,
             "created_at": now, "due_at": now, "status": PENDING, "sent_at": None,
             "last_error": None}
    occasion_text = occasion or now.isoformat()
    window = _window(notifications)
    rows: list[dict[str, Any]] = []
    for user in _users(conn, list(dict.fromkeys(recipients))):
        rendered = renderer.render(template, {**base, "recipient": {
            "id": user["id"], "name": user["display_name"], "username": user["username"]}})
        for name in dict.fromkeys(list(channels) or channels_for(notifications, user["roles"])):
            config = notifications.channels[name]
            kind = kinds.get(config.type)
            address = kind.address(user, config) if kind is not None else None
            row = {**about, "channel": name, "recipient": user["id"], "address": address,
                   "subject": rendered.subject, "body": rendered.body,
                   "key": _key(cause, step, register, record, occasion_text, user["id"], name,
                               address)}
            if kind is None:
                row.update(status=FAILED, last_error=f"no channel type '{config.type}' is "
                                                     "loaded (is its plugin installed?)")
            elif kind.needs_address and address is None:
                row.update(status=FAILED, last_error=f"user {user['username']} has no address "
                                                     f"for channel '{name}' ({config.type})")
            elif kind.send is None:
                row.update(status=SENT, sent_at=now)
            elif window is not None and kind.digest and cause in DIGESTED_CAUSES:
                row["due_at"] = _digest_due(conn, name, address, now, window)
            rows.append(row)
    return _insert_new(conn, rows)


def channels_for(notifications: Notifications, roles: Iterable[str]) -> list[str]:
    """The channels a holder of ``roles`` is reached on: their roles' channels, else `'*'`'s,
    else the inbox channels."""
    names = [name for role in sorted(set(roles)) for name in notifications.roles.get(role, ())]
    if not names:
        names = list(notifications.roles.get("*", ())) or [
            name for name, channel in notifications.channels.items() if channel.type == "inbox"]
    return list(dict.fromkeys(names))


_USERS = (select(USERS.c.id, USERS.c.username, USERS.c.display_name, USERS.c.email,
                 USERS.c.phone, GRANTS.c.role)
          .outerjoin(GRANTS, GRANTS.c.user == USERS.c.id)
          .where(USERS.c.id.in_(bindparam("_ids", expanding=True)), USERS.c.active.is_(True)))
"""Active users among ``:_ids``, a row per role they hold (one without when they hold none)."""


def _users(conn: Connection, ids: list[int]) -> list[dict[str, Any]]:
    """Active users among ``ids`` (in that order) with their roles, read with one statement."""
    if not ids:
        return []
    found: dict[int, dict[str, Any]] = {}
    for row in conn.execute(_USERS, {"_ids": ids}).mappings():
        user = found.setdefault(row["id"], {
            "id": row["id"], "username": row["username"], "display_name": row["display_name"],
            "email": row["email"], "phone": row["phone"], "roles": []})
        if row["role"] is not None:
            user["roles"].append(row["role"])
    return [found[i] for i in ids if i in found]


def _key(*parts: Any) -> str:
    text = "\x1f".join("" if part is None else str(part) for part in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def _window(notifications: Notifications) -> dt.timedelta | None:
    window = notifications.digest
    if window is None:
        return None
    if window.working:  # a digest window is short; count it as plain time
        window = parse_duration(f"{window.amount}{window.unit[1:]}")
    return window.calendar_delta()


def _digest_due(conn: Connection, channel: str, address: str | None, now: dt.datetime,
                window: dt.timedelta) -> dt.datetime:
    """Join the open digest to this address, or open one that goes out after ``window``."""
    joined = conn.execute(select(func.min(OUTBOX.c.due_at)).where(
        OUTBOX.c.status == PENDING, OUTBOX.c.cause.in_(DIGESTED_CAUSES),
        OUTBOX.c.channel == channel, OUTBOX.c.address == address, OUTBOX.c.attempts == 0,
        OUTBOX.c.due_at >= now)).scalar()
    return joined if joined is not None else now + window


def _insert_new(conn: Connection, rows: list[dict[str, Any]]) -> int:
    """Insert the rows whose key the outbox does not hold yet, with one statement; return
    how many were new."""
    if not rows:
        return 0
    return len(conn.execute(_inserting(conn.dialect.name), rows).all())


@functools.cache
def _inserting(dialect: str) -> Insert:
    """INSERT … ON CONFLICT (key) DO NOTHING RETURNING id, built once per database kind."""
    module = postgresql if dialect == "postgresql" else sqlite
    return (module.insert(OUTBOX).on_conflict_do_nothing(index_elements=[OUTBOX.c.key])
            .returning(OUTBOX.c.id))
