"""How every API request runs: a bearer token names the caller, the handler (in a worker
thread) asks the workflow engine, and every refusal is JSON with the status the engine's
error maps to."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ..auth import Bearer, User, may, touch_token, verify_token
from ..storage.writes import WHOLE_OPTION
from ..workflow import Conflict, Forbidden, Invalid, NotFound, PluginFailed
from .api_shapes import dumps
from .sessions import site_of
from .site import Site

MAX_BODY = 1024 * 1024
"""Bytes of JSON a request may send: records and actions are small; photos go elsewhere."""
MAX_DEPTH = 32
"""How deep a body may nest: field values are at most a list of objects of lists."""
_STATUS: dict[type[Exception], int] = {NotFound: 404, Forbidden: 403, Conflict: 409,
                                       PluginFailed: 500}


class ApiError(Exception):
    """A refusal the handler states itself: a status and a message (or field errors)."""

    def __init__(self, status: int, message: str = "",
                 errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.errors = status, message, errors


@dataclass(frozen=True)
class Call:
    """One API request as a handler sees it: who asks, what about, with which body."""

    request: Request
    site: Site
    user: User
    body: Any
    conn: Connection | None = None
    """The request's own transaction (for a handler whose endpoint has ``transaction``):
    a write one for POST and PATCH, a read one for GET, begun before the token was checked
    in it and rolled back whole when the handler raises."""

    @property
    def db(self) -> Connection:
        """The request's own transaction (see ``conn``)."""
        assert self.conn is not None, "the endpoint was made without transaction=True"
        return self.conn

    def param(self, name: str) -> str | None:
        """A query parameter, None when absent or empty."""
        return self.request.query_params.get(name) or None

    def register(self, verb: str | None = "view") -> str:
        """The path's register, when it exists and the caller may view it (else 404) and
        ``verb`` it (else 403); with no verb, the engine decides who may."""
        name = self.request.path_params["register"]
        deployment = self.site.deployment
        if name not in deployment.registers:
            raise ApiError(404, f"no register '{name}'")
        if verb is None:
            return name
        if not may(deployment, self.user, "view", name):
            raise ApiError(404, f"no register '{name}'")
        if not may(deployment, self.user, verb, name):
            raise ApiError(403, f"your roles may not {verb} {name} records")
        return name


Handler = Callable[[Call], Any]
"""Runs in a worker thread; returns the JSON content, or (status, content)."""


def json_response(status: int, content: Any) -> Response:
    """A JSON response of ``content``."""
    return Response(dumps(content), status_code=status, media_type="application/json")


def endpoint(handler: Handler, *, multipart: bool = False,
             transaction: bool = False) -> Callable[[Request], Awaitable[Response]]:
    """An ASGI endpoint around a handler: read the JSON body (or, for a ``multipart``
    handler, the form with its files), check the token, map errors. With ``transaction``,
    the token is checked in the request's one transaction, which the handler works in
    (`Call.conn`): a request is then one transaction, not one for the token and another
    for its work."""

    async def run(request: Request) -> Response:
        body: Any = None
        if multipart:
            if not request.headers.get("content-type", "").startswith("multipart/form-data"):
                return await run_in_threadpool(_answer, _not_multipart, request, None)
            async with request.form(max_files=1, max_fields=10) as form:
                return await run_in_threadpool(_answer, handler, request, form)
        answer = _answer_in_transaction if transaction else _answer
        if request.method in ("POST", "PATCH"):
            raw = await _body(request)
            if raw is None:
                return json_response(400, {"error": f"the request body is over {MAX_BODY} bytes"})
            try:
                body = json.loads(raw) if raw.strip() else {}
            except (ValueError, RecursionError):
                return json_response(400, {"error": "the request body is not JSON"})
            if not isinstance(body, dict):
                return json_response(400, {"error": "the request body must be a JSON object"})
            if not _plain(body):
                return json_response(400, {"error": "the request body nests deeper than "
                                                    f"{MAX_DEPTH} or holds text that is not "
                                                    "Unicode (a lone surrogate)"})
        return await run_in_threadpool(answer, handler, request, body)

    return run


async def _body(request: Request) -> bytes | None:
    """The request body, or None past MAX_BODY (read no further than that)."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > MAX_BODY:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _plain(body: Any) -> bool:
    """Whether ``body`` nests at most MAX_DEPTH deep and all its text encodes as UTF-8."""
    pending: list[tuple[Any, int]] = [(body, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(value, (dict, list)):
            if depth > MAX_DEPTH:
                return False
            items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
            pending.extend((item, depth + 1) for item in items)
    return True


def _not_multipart(call: Call) -> Any:
    raise ApiError(415, "send the file as multipart/form-data")


def _answer(handler: Handler, request: Request, body: Any) -> Response:
    site = site_of(request)
    secret = _secret(request)
    bearer = None
    if secret:
        with site.engine.connect() as conn:
            bearer = verify_token(conn, site.schema, secret, site.clock())
    if bearer is None:
        return _unauthorized()
    if bearer.stale:
        with site.engine.begin() as conn:
            touch_token(conn, site.schema, bearer.token_id, site.clock())
    try:
        return _respond(handler(Call(request, site, bearer.user, body)))
    except Exception as err:  # noqa: BLE001 - _refusal re-raises what it does not map
        return _refusal(err)


def _answer_in_transaction(handler: Handler, request: Request, body: Any) -> Response:
    site = site_of(request)
    secret = _secret(request)
    writes = request.method not in ("GET", "HEAD", "OPTIONS")
    stale: Bearer | None = None
    try:
        with site.engine.begin() if writes else site.engine.connect() as conn:
            bearer = verify_token(conn, site.schema, secret, site.clock()) if secret else None
            if bearer is None:
                return _unauthorized()
            if bearer.stale and writes:
                touch_token(conn, site.schema, bearer.token_id, site.clock())
            elif bearer.stale:
                stale = bearer
            # Any refusal raised below leaves the with block, so the transaction rolls back
            # whole: the engine's calls need no savepoints of their own inside it.
            conn.execution_options(**{WHOLE_OPTION: True})
            result = handler(Call(request, site, bearer.user, body, conn))
    except Exception as err:  # noqa: BLE001 - _refusal re-raises what it does not map
        return _refusal(err)
    if stale is not None:  # a read noted as a use in a short write of its own
        with site.engine.begin() as conn:
            touch_token(conn, site.schema, stale.token_id, site.clock())
    return _respond(result)


def _secret(request: Request) -> str:
    """The bearer token the request sends, or empty."""
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    return secret.strip() if scheme.lower() == "bearer" else ""


def _unauthorized() -> Response:
    response = json_response(401, {"error": "a valid API token is needed: "
                                            "Authorization: Bearer TOKEN"})
    response.headers["WWW-Authenticate"] = 'Bearer realm="gridwork"'
    return response


def _respond(result: Any) -> Response:
    status, content = result if isinstance(result, tuple) else (200, result)
    return json_response(status, content)


def _refusal(err: Exception) -> Response:
    """The JSON answer for a refusal; anything else is raised again."""
    if isinstance(err, ApiError):
        if err.errors is not None:
            return json_response(err.status, {"errors": err.errors})
        return json_response(err.status, {"error": err.message})
    if isinstance(err, Invalid):
        return json_response(422, {"errors": err.errors})
    if isinstance(err, (NotFound, Forbidden, Conflict, PluginFailed)):
        return json_response(_STATUS[type(err)], {"error": str(err)})
    raise err
