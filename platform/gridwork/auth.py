"""Users: password checks with argon2, lock-out after repeated failures, what a role may do,
and the API tokens that stand for a user in `/api/v1` requests.

Failed and successful sign-ins are rows of the `signins` table, so a lock-out holds across
processes and restarts.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Select, Table, bindparam, func, insert, select, update

from .config import Deployment
from .hierarchy import Grant, user_grants
from .scopes import API_SCOPE, SCOPES
from .storage.schema import Schema
from .storage.system import CODE

MAX_FAILURES = 5
LOCK_FOR = dt.timedelta(minutes=15)

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
    row = conn.execute(_active_user(schema.system("users")), {"_user": user_id}).first()
    if row is None:
        return None
    return User(row.id, row.username, row.display_name,
                user_grants(conn, schema.system("grants"), row.id))


@functools.lru_cache(maxsize=64)
def _active_user(users: Table) -> Select[Any]:
    """The active user ``:_user``, built once (every API request reads it)."""
    return select(users.c.id, users.c.username, users.c.display_name).where(
        users.c.id == bindparam("_user"), users.c.active.is_(True))


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
        _note(conn, schema, False, row.id if row else None, username, now)
        if failures(conn, schema, username, now) >= MAX_FAILURES:
            return Outcome.LOCKED, None
        return Outcome.WRONG, None
    _note(conn, schema, True, row.id, username, now)
    return Outcome.OK, load_user(conn, schema, row.id)


def failures(conn: Connection, schema: Schema, username: str, now: dt.datetime) -> int:
    """Failed attempts for ``username`` within the lock-out window since its last success."""
    signins = schema.system("signins")
    mine = signins.c.username == username[:CODE]
    last_ok = conn.execute(select(func.max(signins.c.at))
                           .where(mine, signins.c.ok.is_(True))).scalar()
    since = now - LOCK_FOR if last_ok is None else max(now - LOCK_FOR, last_ok)
    return int(conn.execute(select(func.count()).select_from(signins).where(
        mine, signins.c.ok.is_(False), signins.c.at > since)).scalar_one())


def _note(conn: Connection, schema: Schema, ok: bool, user_id: int | None, username: str,
          now: dt.datetime) -> None:
    conn.execute(insert(schema.system("signins")).values(
        username=username[:CODE], user=user_id, at=now, ok=ok))


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


# API tokens: the secret is shown once; only its SHA-256 is stored, which is enough for a
# random 256-bit secret (no salt or slow hash needed: there is nothing to guess).

TOKEN_PREFIX = "gw_"

TOUCH_EVERY = dt.timedelta(minutes=5)
"""How stale `last_used_at` may get before a request writes it again (reads stay reads)."""


@dataclass(frozen=True)
class Token:
    """An API token as an administrator lists it (never its secret)."""

    id: int
    username: str
    name: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None
    scopes: tuple[str, ...] = (API_SCOPE,)

    def live(self, now: dt.datetime) -> bool:
        """Whether the token still lets its user in."""
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


def token_hash(secret: str) -> str:
    """What the database keeps of a token."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(conn: Connection, schema: Schema, username: str, now: dt.datetime, *,
                 name: str = "", expires_at: dt.datetime | None = None,
                 scopes: tuple[str, ...] = (API_SCOPE,)) -> tuple[Token, str]:
    """A new token for the active user ``username`` and its secret, opening ``scopes``
    (of SCOPES); KeyError when there is no such user."""
    unknown = set(scopes) - set(SCOPES)
    if unknown or not scopes:
        raise ValueError(f"scopes are {', '.join(SCOPES)}")
    users, tokens = schema.system("users"), schema.system("api_tokens")
    user_id = conn.execute(select(users.c.id).where(
        users.c.username == username, users.c.active.is_(True))).scalar()
    if user_id is None:
        raise KeyError(username)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token_id = conn.execute(insert(tokens).values(
        user=user_id, name=name, token_hash=token_hash(secret), created_at=now,
        expires_at=expires_at, scopes=" ".join(dict.fromkeys(scopes))
    ).returning(tokens.c.id)).scalar_one()
    return Token(token_id, username, name, now, expires_at, None, None, tuple(scopes)), secret


@dataclass(frozen=True)
class Bearer:
    """Who a live token stands for, and whether its `last_used_at` is due a write."""

    user: User
    token_id: int
    stale: bool


def verify_token(conn: Connection, schema: Schema, secret: str, now: dt.datetime, *,
                 scope: str = API_SCOPE) -> Bearer | None:
    """The active user a live token opening ``scope`` belongs to, or None; reads only
    (see touch_token), with one statement: every API request asks it."""
    rows = conn.execute(_live_token(schema.system("api_tokens")),
                        {"_hash": token_hash(secret), "_now": now}).all()
    if not rows or scope not in _scopes(rows[0].scopes):
        return None
    first = rows[0]
    grants = tuple(Grant(row.role, row.scope, row.node, row.path, row.department)
                   for row in rows if row.role is not None)
    user = User(first.user, first.username, first.display_name, grants)
    return Bearer(user, first.id,
                  first.last_used_at is None or first.last_used_at < now - TOUCH_EVERY)


@functools.lru_cache(maxsize=64)
def _live_token(tokens: Table) -> Select[Any]:
    """The live token whose hash is ``:_hash`` at ``:_now``, with its active user and one
    row per grant of theirs (as `load_user` reads them), built once."""
    users, grants = tokens.metadata.tables["users"], tokens.metadata.tables["grants"]
    nodes = tokens.metadata.tables["nodes"]
    now = bindparam("_now", type_=tokens.c.expires_at.type)
    return (select(tokens.c.id, tokens.c.user, tokens.c.last_used_at, tokens.c.scopes,
                   users.c.username, users.c.display_name, grants.c.role, grants.c.scope,
                   grants.c.node, nodes.c.path, grants.c.department)
            .join(users, users.c.id == tokens.c.user)
            .outerjoin(grants, grants.c.user == users.c.id)
            .outerjoin(nodes, nodes.c.id == grants.c.node)
            .where(tokens.c.token_hash == bindparam("_hash"), tokens.c.revoked_at.is_(None),
                   (tokens.c.expires_at.is_(None)) | (tokens.c.expires_at > now),
                   users.c.active.is_(True))
            .order_by(grants.c.id))


def _scopes(stored: str | None) -> tuple[str, ...]:
    return tuple(stored.split()) if stored else (API_SCOPE,)


def touch_token(conn: Connection, schema: Schema, token_id: int, now: dt.datetime) -> None:
    """Note that a token was used now; its own short transaction, so that a request's
    reads never turn into writes half-way (SQLite would refuse a concurrent writer)."""
    tokens = schema.system("api_tokens")
    conn.execute(update(tokens).where(tokens.c.id == token_id).values(last_used_at=now))


def revoke_token(conn: Connection, schema: Schema, token: int | str, now: dt.datetime) -> bool:
    """Revoke a token given by id or by its secret; False when no live token matches."""
    tokens = schema.system("api_tokens")
    which = tokens.c.id == token if isinstance(token, int) else (
        tokens.c.token_hash == token_hash(token))
    return bool(conn.execute(update(tokens).where(which, tokens.c.revoked_at.is_(None))
                             .values(revoked_at=now)).rowcount)


def list_tokens(conn: Connection, schema: Schema, username: str | None = None) -> list[Token]:
    """Every token (of ``username``, when given), oldest first."""
    tokens, users = schema.system("api_tokens"), schema.system("users")
    query = (select(tokens.c.id, users.c.username, tokens.c.name, tokens.c.created_at,
                    tokens.c.expires_at, tokens.c.last_used_at, tokens.c.revoked_at,
                    tokens.c.scopes)
             .join(users, users.c.id == tokens.c.user).order_by(tokens.c.id))
    if username is not None:
        query = query.where(users.c.username == username)
    return [Token(*row[:-1], _scopes(row.scopes)) for row in conn.execute(query)]
