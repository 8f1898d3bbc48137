"""Who a request comes from, and the CSRF token every posted form must carry back."""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request

from ..auth import User, load_user
from .site import Site

SECRET_ENV = "GRIDWORK_SECRET_KEY"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
PENDING_UPLOADS = 20
"""Photos of unsaved forms a session may preview (the newest; the cookie stays small)."""


def secret_key(data_dir: Path) -> str:
    """The key that signs session cookies, made once and kept in the data folder."""
    path = data_dir / "secret_key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use."""
    token = request.session.get(CSRF_FIELD)
    if not token:
        token = secrets.token_urlsafe(32)
        request.session[CSRF_FIELD] = token
    return str(token)


async def posted_form(request: Request) -> FormData:
    """The request's form, refused with 403 unless it carries the session's CSRF token."""
    form = await request.form()
    sent = str(form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or "")
    expected = str(request.session.get(CSRF_FIELD) or "")
    if not expected or not hmac.compare_digest(sent, expected):
        raise HTTPException(403, "csrf")
    return form


def site_of(request: Request) -> Site:
    """The site the app was built for."""
    site: Site = request.app.state.site
    return site


def signed_in(request: Request) -> User | None:
    """The signed-in user, or None."""
    user_id = request.session.get("user")
    if not isinstance(user_id, int):
        return None
    site = site_of(request)
    with site.engine.connect() as conn:
        return load_user(conn, site.schema, user_id)


def sign_in(request: Request, user: User) -> None:
    """Start a fresh session for ``user`` (a new CSRF token too)."""
    request.session.clear()
    request.session["user"] = user.id
    csrf_token(request)


def pending_uploads(request: Request) -> list[str]:
    """The photos this session sent with forms not saved yet."""
    return list(request.session.get("uploads", []))


def remember_uploads(request: Request, references: list[str]) -> None:
    """Let this session preview the photos it just sent, before the record is saved."""
    if references:
        known = [ref for ref in request.session.get("uploads", []) if ref not in references]
        request.session["uploads"] = (known + references)[-PENDING_UPLOADS:]
