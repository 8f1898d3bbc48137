"""Requests when the database is busy or out of reach.

A request whose transaction PostgreSQL aborted as a deadlock or a serialization failure
left nothing behind, so it runs again, whole, a bounded number of times (its body is kept
for the replay). Past that bound, when SQLite's write lock stayed taken for the whole
busy timeout, or when the database cannot be reached, the answer is 503 with
``Retry-After`` — a page, or JSON under the API — never a 500 with a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import random

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..storage.writes import ATTEMPTS, RETRY_AFTER_SECONDS, retriable, unavailable
from .api_call import json_response
from .respond import unavailable_page

log = logging.getLogger(__name__)


class BusyDatabase:
    """ASGI middleware: replay a request aborted as retriable, answer 503 for a database
    that is busy or down (``api``: as JSON)."""

    def __init__(self, app: ASGIApp, *, api: bool = False, attempts: int = ATTEMPTS) -> None:
        self.app, self.api, self.attempts = app, api, attempts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body: list[Message] = []
        started = False
        session = dict(scope.get("session") or {})

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        attempt = 1
        while True:
            replay = list(body)

            async def receiving() -> Message:
                if replay:
                    return replay.pop(0)
                message = await receive()
                if message["type"] == "http.request":
                    body.append(message)
                return message

            try:
                await self.app(scope, receiving, sending)
                return
            except Exception as err:
                if started or not (retriable(err) or unavailable(err)):
                    raise
                if retriable(err) and attempt < self.attempts:
                    attempt += 1
                    if "session" in scope:  # the replay starts from the session it came with
                        scope["session"].clear()
                        scope["session"].update(session)
                    await asyncio.sleep(random.uniform(0, 0.05 * 2 ** attempt))  # noqa: S311
                    continue
                log.warning("database busy or unreachable, answered 503: %s",
                            str(err).splitlines()[0])
                await self._unavailable(scope, receive, send)
                return

    async def _unavailable(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.api:
            response = json_response(503, {"error": "the database is busy or out of reach; "
                                                    "nothing was saved, try again shortly"})
        else:
            response = unavailable_page(Request(scope, receive))
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        await response(scope, receive, send)
