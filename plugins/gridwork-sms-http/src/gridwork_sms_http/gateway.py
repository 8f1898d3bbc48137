"""The gateway protocol: one signed JSON POST per message, answered by a JSON code.

Request: ``POST url`` with the JSON body ``{account, mobile, template_code, params,
content, request_id}``, headers ``X-Sms-Account``, ``X-Sms-Timestamp`` (Unix seconds) and
``X-Sms-Signature``: the hex HMAC-SHA256 of ``"{timestamp}\\n{body}"`` keyed with the
secret. ``request_id`` is the outbox idempotency key, so the gateway can drop a repeat.
Answer: ``{"code": "0", "msg_id": "…"}`` when accepted, else a code and a message.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gridwork.notify.message import Message, PermanentFailure

OK = "0"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value for a request."""
    return hmac.new(secret.encode(), timestamp.encode() + b"\n" + body,
                    hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Gateway:
    """One configured gateway; `send` is the channel type's send."""

    url: str
    account: str
    secret_env: str
    templates: Mapping[str, str]
    default_template: str | None
    permanent_codes: frozenset[str]
    timeout: float
    clock: Callable[[], float] = field(default=time.time, compare=False)

    def template_code(self, message: Message) -> str:
        """The gateway template for the message's template (or cause)."""
        for key in (message.payload.get("template"), message.cause):
            if key in self.templates:
                return self.templates[key]
        if self.default_template is None:
            raise PermanentFailure(f"no SMS template code for template "
                                   f"'{message.payload.get('template')}' (cause "
                                   f"'{message.cause}'); add it to the plugin's 'templates'")
        return self.default_template

    def request(self, message: Message) -> urllib.request.Request:
        """The signed request for ``message``."""
        secret = os.environ.get(self.secret_env)
        if not secret:
            # Not permanent: once the administrator sets it, the messages go.
            raise RuntimeError(f"the environment variable {self.secret_env} holding the SMS "
                               "gateway secret is not set")
        document: dict[str, Any] = {
            "account": self.account, "mobile": message.address,
            "template_code": self.template_code(message),
            "params": {"subject": message.subject, "body": message.body,
                       "link": message.payload.get("link")},
            "content": message.body or message.subject, "request_id": message.key}
        body = json.dumps(document, ensure_ascii=False).encode()
        timestamp = str(int(self.clock()))
        headers = {"Content-Type": "application/json; charset=utf-8",
                   "X-Sms-Account": self.account, "X-Sms-Timestamp": timestamp,
                   "X-Sms-Signature": signature(secret, timestamp, body)}
        return urllib.request.Request(self.url, data=body, headers=headers, method="POST")

    def send(self, message: Message) -> str:
        """Send one SMS; return the gateway's message id. Raises PermanentFailure for what
        retrying cannot fix, another error (retried with backoff) for the rest."""
        try:
            with urllib.request.urlopen(self.request(message), timeout=self.timeout) as response:
                answer = _json(response.read())
        except urllib.error.HTTPError as err:
            detail = _json(err.read())
            err.close()
            text = f"gateway answered HTTP {err.code}{_explained(detail)}"
            if err.code == 429:
                wait = err.headers.get("Retry-After")
                raise OSError(f"rate limited: {text}"
                              + (f"; it asks to wait {wait} s" if wait else "")) from err
            if str(detail.get("code")) in self.permanent_codes or (
                    400 <= err.code < 500 and err.code != 408):
                raise PermanentFailure(text) from err
            raise OSError(text) from err
        code = str(answer.get("code"))
        if code == OK:
            return str(answer.get("msg_id") or "accepted")
        text = f"gateway refused the message{_explained(answer)}"
        if code in self.permanent_codes:
            raise PermanentFailure(text)
        raise OSError(text)


def _json(data: bytes) -> dict[str, Any]:
    try:
        value = json.loads(data or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _explained(answer: Mapping[str, Any]) -> str:
    if "code" not in answer:
        return ""
    return f": code {answer['code']} {answer.get('message', '')}".rstrip()
