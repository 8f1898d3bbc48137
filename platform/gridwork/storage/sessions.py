"""Server-side sessions of signed-in browsers: the browser holds a random secret, the
database its SHA-256, so a session ends for good when its row does (sign-out, timeouts,
a disabled account, a new password or an administrator)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import Connection, delete, select, update

from .schema import Schema

SIGNED_OUT, EXPIRED, DISABLED, PASSWORD, REVOKED = (
    "signed_out", "expired", "disabled", "password", "revoked")
"""Why a session ended, as `sessions.ended_why` records it."""
KEEP = dt.timedelta(days=30)
"""How long an ended session stays listed for administrators."""


@dataclass(frozen=True)
class Found:
    """A session not yet ended: whether it timed out, and whether its `seen_at` is due a
    write."""

    id: int
    user_id: int
    uploads: tuple[str, ...]
    timed_out: bool
    stale: bool


@dataclass(frozen=True)
class Listed:
    """A session as an administrator lists it (never its secret)."""

    id: int
    created_at: dt.datetime
    seen_at: dt.datetime
    ended_at: dt.datetime | None
    ended_why: str | None


def secret_hash(secret: str) -> str:
    """What the database keeps of a session's secret (random, so no salt is needed)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def start(conn: Connection, schema: Schema, user_id: int, now: dt.datetime, *,
          absolute: dt.timedelta) -> str:
    """A new session of ``user_id``; returns the secret for the browser's cookie. The
    user's sessions over for longer than KEEP (or ``absolute``) are deleted."""
    sessions = schema.system("sessions")
    cutoff = now - max(KEEP, absolute)
    conn.execute(delete(sessions).where(
        sessions.c.user == user_id, (sessions.c.ended_at < cutoff) | (sessions.c.seen_at < cutoff)))
    secret = secrets.token_urlsafe(32)
    conn.execute(sessions.insert().values(
        user=user_id, token_hash=secret_hash(secret), created_at=now, seen_at=now))
    return secret


def find(conn: Connection, schema: Schema, secret: str, now: dt.datetime, *,
         idle: dt.timedelta, absolute: dt.timedelta) -> Found | None:
    """The session of ``secret`` unless it has ended; reads only (see touch and end)."""
    sessions = schema.system("sessions")
    row = conn.execute(select(sessions.c.id, sessions.c.user, sessions.c.created_at,
                              sessions.c.seen_at, sessions.c.uploads).where(
        sessions.c.token_hash == secret_hash(secret), sessions.c.ended_at.is_(None))).first()
    if row is None:
        return None
    timed_out = now - row.created_at >= absolute or now - row.seen_at >= idle
    return Found(row.id, row.user, tuple(row.uploads or ()), timed_out,
                 stale=now - row.seen_at >= touch_every(idle))


def touch_every(idle: dt.timedelta) -> dt.timedelta:
    """How stale `seen_at` may get before a request writes it again: a small share of the
    idle timeout, so most requests only read."""
    return min(idle / 20, dt.timedelta(minutes=5))


def touch(conn: Connection, schema: Schema, session_id: int, now: dt.datetime) -> None:
    """Note that the session was used now."""
    sessions = schema.system("sessions")
    conn.execute(update(sessions).where(sessions.c.id == session_id).values(seen_at=now))


def end(conn: Connection, schema: Schema, secret: str, now: dt.datetime,
        why: str = SIGNED_OUT) -> bool:
    """End the session of ``secret``; False when it had already ended."""
    sessions = schema.system("sessions")
    return bool(conn.execute(update(sessions).where(
        sessions.c.token_hash == secret_hash(secret), sessions.c.ended_at.is_(None))
        .values(ended_at=now, ended_why=why)).rowcount)


def end_for_user(conn: Connection, schema: Schema, user_id: int, now: dt.datetime,
                 why: str) -> int:
    """End every live session of ``user_id``; returns how many."""
    sessions = schema.system("sessions")
    return int(conn.execute(update(sessions).where(
        sessions.c.user == user_id, sessions.c.ended_at.is_(None))
        .values(ended_at=now, ended_why=why)).rowcount)


def keep_uploads(conn: Connection, schema: Schema, session_id: int,
                 references: list[str]) -> None:
    """Store the photos the session may preview before its form is saved."""
    sessions = schema.system("sessions")
    conn.execute(update(sessions).where(sessions.c.id == session_id)
                 .values(uploads=references))


def listed(conn: Connection, schema: Schema, user_id: int) -> list[Listed]:
    """Every session of ``user_id``, newest first."""
    sessions = schema.system("sessions")
    rows = conn.execute(select(sessions.c.id, sessions.c.created_at, sessions.c.seen_at,
                               sessions.c.ended_at, sessions.c.ended_why)
                        .where(sessions.c.user == user_id).order_by(sessions.c.id.desc()))
    return [Listed(*row) for row in rows]
