"""Helpers for the web suite: a hand-moved clock, reading CSRF tokens, signing in."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from starlette.testclient import TestClient

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff"
       b"\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")
"""A 1×1 PNG."""


class Clock:
    """Now, as the test says."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: Any) -> None:
        """Move the clock forward."""
        self.now += dt.timedelta(**delta)


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    found = _CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str = "demo") -> Any:
    """Sign in through the form; return the final response."""
    token = csrf_of(client.get("/signin").text)
    return client.post("/signin", data={"csrf": token, "username": username,
                                        "password": password, "next": "/"})


def token(client: TestClient, path: str = "/") -> str:
    """A CSRF token for the client's session."""
    return csrf_of(client.get(path).text)
