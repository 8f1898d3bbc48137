"""Users: password checks with argon2, lock-out after repeated failures, what a role may do.

Failed and successful sign-ins are rows of the history table (``register = "_signin"``,
no register may start with ``_``), so a lock-out holds across processes and restarts.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, func, insert, select

from .config import Deployment
from .hierarchy import Grant, user_grants
from .storage.schema import Schema

MAX_FAILURES = 5
LOCK_FOR = dt.timedelta(minutes=15)
SIGNIN_SUBJECT = "_signin"
FAILED, SUCCEEDED = "signin_failed", "signin"

_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("not a password anyone has")
"""Checked against when the username is unknown, so both cases take as long."""


class Outcome(enum.Enum):
    """How a sign-in attempt ended."""

    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"


@dataclass(frozen=True)
class User:
    """A signed-in user with the roles they hold where."""

    id: int
    username: str
    display_name: str
    grants: tuple[Grant, ...]

    @property
    def roles(self) -> tuple[str, ...]:
        """The role keys the user holds, each once."""
        return tuple(dict.fromkeys(grant.role for grant in self.grants))


def load_user(conn: Connection, schema: Schema, user_id: int) -> User | None:
    """The active user with this id and their grants, or None."""
    users = schema.system("users")
    row = conn.execute(select(users.c.id, users.c.username, users.c.display_name)
                       .where(users.c.id == user_id, users.c.active.is_(True))).first()
    if row is None:
        return None
    return User(row.id, row.username, row.display_name,
                user_grants(conn, schema.system("grants"), row.id))


def authenticate(conn: Connection, schema: Schema, username: str, password: str,
                 now: dt.datetime) -> tuple[Outcome, User | None]:
    """Check a username and password, counting failures; a locked name is not checked."""
    username = username.strip()
    if failures(conn, schema, username, now) >= MAX_FAILURES:
        return Outcome.LOCKED, None
    users = schema.system("users")
    row = conn.execute(select(users.c.id, users.c.password_hash)
                       .where(users.c.username == username, users.c.active.is_(True))).first()
    stored = row.password_hash if row is not None else None
    valid = _verify(stored or _DUMMY_HASH, password) and stored is not None
    if row is None or not valid:
        _note(conn, schema, FAILED, row.id if row else None, username, now)
        if failures(conn, schema, username, now) >= MAX_FAILURES:
            return Outcome.LOCKED, None
        return Outcome.WRONG, None
    _note(conn, schema, SUCCEEDED, row.id, username, now)
    return Outcome.OK, load_user(conn, schema, row.id)


def failures(conn: Connection, schema: Schema, username: str, now: dt.datetime) -> int:
    """Failed attempts for ``username`` within the lock-out window since its last success."""
    history = schema.system("history")
    mine = (history.c.register == SIGNIN_SUBJECT) & (history.c.comment == username)
    last_ok = conn.execute(select(func.max(history.c.at))
                           .where(mine, history.c.action == SUCCEEDED)).scalar()
    since = now - LOCK_FOR if last_ok is None else max(now - LOCK_FOR, last_ok)
    return int(conn.execute(select(func.count()).select_from(history).where(
        mine, history.c.action == FAILED, history.c.at > since)).scalar_one())


def _note(conn: Connection, schema: Schema, action: str, user_id: int | None, username: str,
          now: dt.datetime) -> None:
    conn.execute(insert(schema.system("history")).values(
        register=SIGNIN_SUBJECT, record=user_id or 0, actor=user_id, at=now, action=action,
        comment=username))


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def may(deployment: Deployment, user: User, verb: str, register: str | None = None) -> bool:
    """Whether any of the user's roles grants ``verb`` (for ``register``, when given)."""
    wanted = {verb} if register is None else {verb, f"{verb}:{register}"}
    for role in user.roles:
        spec = deployment.roles.get(role)
        if spec is not None and wanted & set(spec.can):
            return True
    return False
