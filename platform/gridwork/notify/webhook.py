"""Webhooks: an HTTP POST of the message as JSON, signed with HMAC-SHA256."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from .message import Message, PermanentFailure

SIGNATURE_HEADER = "X-Gridwork-Signature"
"""`sha256=` and the hex HMAC-SHA256 of the request body, keyed with the channel's secret."""
KEY_HEADER = "Idempotency-Key"
TIMEOUT = 10.0
"""Seconds to wait for the receiver; delivery holds a database lock meanwhile."""


def body(message: Message) -> bytes:
    """The JSON document posted for ``message``."""
    document: dict[str, Any] = {
        "key": message.key, "channel": message.channel, "recipient": message.recipient,
        "subject": message.subject, "body": message.body, "register": message.register,
        "record": message.record, "cause": message.cause, "step": message.step,
        "created_at": message.created_at.isoformat() if message.created_at else None,
        "data": dict(message.payload),
    }
    return json.dumps(document, ensure_ascii=False, default=str).encode()


def signature(secret: str, data: bytes) -> str:
    """The signature header's value for ``data``."""
    return "sha256=" + hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()


def send(message: Message) -> str:
    """POST ``message`` to the channel's URL; return the receiver's HTTP status."""
    url = message.address or ""
    if urlsplit(url).scheme not in ("http", "https"):
        raise PermanentFailure(f"a webhook URL must start with http:// or https://, not {url!r}")
    data = body(message)
    headers = {"Content-Type": "application/json; charset=utf-8", KEY_HEADER: message.key}
    secret_env = message.config.secret_env
    if secret_env:
        secret = os.environ.get(secret_env)
        if not secret:
            raise RuntimeError(f"the environment variable {secret_env} holding the webhook "
                               "secret is not set")
        headers[SIGNATURE_HEADER] = signature(secret, data)
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return f"HTTP {response.status}"
    except urllib.error.HTTPError as err:
        text = f"{url} answered HTTP {err.code} {err.reason}"
        err.close()
        # 408 and 429 ask to come back later; other 4xx say this request will never do.
        if 400 <= err.code < 500 and err.code not in (408, 429):
            raise PermanentFailure(text) from err
        raise OSError(text) from err
