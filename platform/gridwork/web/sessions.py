"""Who a request comes from, and the CSRF token every posted form must carry back.

The session cookie holds only a random secret. Signed in, the database keeps its hash
(see storage.sessions), so signing out, a timeout or an administrator ends it for good;
signed out, it only keys the CSRF token of the sign-in form, an HMAC of the secret.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection
from starlette.datastructures import FormData, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..auth import User, load_user
from ..storage import sessions as stored
from .site import Site

SECRET_ENV = "GRIDWORK_SECRET_KEY"
COOKIE = "gridwork_session"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
PENDING_UPLOADS = 20
"""Photos of unsaved forms a session may preview (the newest)."""
_SCOPE_KEY = "gridwork.session"


def secret_key(data_dir: Path) -> str:
    """The key CSRF tokens are made with, made once and kept in the data folder."""
    path = data_dir / "secret_key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


@dataclass
class _Session:
    """A request's cookie secret, and what the response must say about it."""

    key: bytes
    secret: str | None
    set_cookie: bool = False
    max_age: int | None = None
    looked_up: bool = False
    user: User | None = None
    found: stored.Found | None = field(default=None, repr=False)


class SessionCookies:
    """Read the session cookie into the request, and write it back when it changed:
    `HttpOnly`, `SameSite=Lax`, and `Secure` whenever the request came over HTTPS."""

    def __init__(self, app: ASGIApp, key: str) -> None:
        self.app, self.key = app, key.encode("utf-8")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        secret = HTTPConnection(scope).cookies.get(COOKIE) or None
        state = _Session(self.key, secret)
        scope[_SCOPE_KEY] = state

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and state.set_cookie:
                headers = MutableHeaders(scope=message)
                headers.append("Set-Cookie", _cookie(state, scope["scheme"] == "https"))
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def _cookie(state: _Session, secure: bool) -> str:
    parts = [f"{COOKIE}={state.secret or ''}", "Path=/", "HttpOnly", "SameSite=Lax"]
    if state.secret is None:
        parts.append("Max-Age=0")
    elif state.max_age is not None:
        parts.append(f"Max-Age={state.max_age}")
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


def _state(request: HTTPConnection) -> _Session:
    state: _Session = request.scope[_SCOPE_KEY]
    return state


def csrf_token(request: Request) -> str:
    """The session's CSRF token; a browser without a session cookie is given one."""
    state = _state(request)
    if state.secret is None:
        state.secret, state.set_cookie, state.max_age = secrets.token_urlsafe(32), True, None
    return hmac.new(state.key, b"csrf:" + state.secret.encode("utf-8"),
                    hashlib.sha256).hexdigest()


async def posted_form(request: Request) -> FormData:
    """The request's form, refused with 403 unless it carries the session's CSRF token."""
    form = await request.form()
    sent = str(form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or "")
    if _state(request).secret is None or not hmac.compare_digest(sent, csrf_token(request)):
        raise HTTPException(403, "csrf")
    return form


def site_of(request: HTTPConnection) -> Site:
    """The site the app was built for."""
    site: Site = request.app.state.site
    return site


def signed_in(request: Request) -> User | None:
    """The signed-in user, or None; a timed-out session is ended here."""
    state = _state(request)
    if state.looked_up:
        return state.user
    state.looked_up = True
    if state.secret is None:
        return None
    site = site_of(request)
    limits, now = site.deployment.about.sessions, site.clock()
    with site.engine.connect() as conn:
        found = stored.find(conn, site.schema, state.secret, now,
                            idle=limits.idle.calendar_delta(),
                            absolute=limits.absolute.calendar_delta())
        user = None if found is None or found.timed_out else load_user(
            conn, site.schema, found.user_id)
    if found is not None and found.timed_out:
        with site.engine.begin() as conn:
            stored.end(conn, site.schema, state.secret, now, stored.EXPIRED)
    elif user is not None and found is not None and found.stale:
        with site.engine.begin() as conn:
            stored.touch(conn, site.schema, found.id, now)
    if user is None and found is not None:
        _forget(state)
    state.user, state.found = user, found if user is not None else None
    return user


def sign_in(request: Request, conn: Connection, user: User) -> None:
    """Start a fresh session for ``user`` (a new secret, so a new CSRF token too), ending
    the one the browser had."""
    state, site = _state(request), site_of(request)
    now = site.clock()
    if state.secret is not None:
        stored.end(conn, site.schema, state.secret, now, stored.SIGNED_OUT)
    absolute = site.deployment.about.sessions.absolute.calendar_delta()
    state.secret = stored.start(conn, site.schema, user.id, now, absolute=absolute)
    state.set_cookie, state.max_age = True, int(absolute.total_seconds())
    state.looked_up, state.user, state.found = False, None, None


def sign_out(request: Request) -> None:
    """End the browser's session in the database and forget its cookie."""
    state, site = _state(request), site_of(request)
    if state.secret is not None:
        with site.engine.begin() as conn:
            stored.end(conn, site.schema, state.secret, site.clock(), stored.SIGNED_OUT)
    _forget(state)
    state.looked_up, state.user, state.found = True, None, None


def _forget(state: _Session) -> None:
    state.secret, state.set_cookie, state.max_age = None, True, None


def pending_uploads(request: Request) -> list[str]:
    """The photos this session sent with forms not saved yet."""
    signed_in(request)
    found = _state(request).found
    return list(found.uploads) if found is not None else []


def remember_uploads(request: Request, references: list[str]) -> None:
    """Let this session preview the photos it just sent, before the record is saved."""
    signed_in(request)
    found, site = _state(request).found, site_of(request)
    if references and found is not None:
        known = [ref for ref in found.uploads if ref not in references]
        with site.engine.begin() as conn:
            stored.keep_uploads(conn, site.schema, found.id,
                                (known + references)[-PENDING_UPLOADS:])
