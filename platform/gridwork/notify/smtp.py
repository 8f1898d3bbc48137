"""E-mail over SMTP, configured by `GRIDWORK_SMTP_URL` (`smtp://user:pass@host:587`, `smtps://…`)."""

from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime
from urllib.parse import unquote, urlsplit

from .message import Message, PermanentFailure

URL_ENV = "GRIDWORK_SMTP_URL"
FROM_ENV = "GRIDWORK_SMTP_FROM"
TIMEOUT = 10.0
"""Seconds to wait on the server; delivery holds a database lock while it talks to it."""


@dataclass(frozen=True)
class Server:
    """Where and how to reach the SMTP server."""

    host: str
    port: int
    implicit_tls: bool
    username: str | None
    password: str | None

    def shown(self) -> str:
        """The server as an administrator may see it (no password)."""
        scheme = "smtps" if self.implicit_tls else "smtp"
        user = f"{self.username}:***@" if self.username else ""
        return f"{scheme}://{user}{self.host}:{self.port}"


def server_from_env() -> Server:
    """Parse `GRIDWORK_SMTP_URL`; raise RuntimeError saying what is wrong with it.

    Setting problems are not permanent failures: messages wait (and retry) until an
    administrator fixes them.
    """
    url = os.environ.get(URL_ENV)
    if not url:
        raise RuntimeError(f"{URL_ENV} is not set; set it to e.g. "
                           "smtp://user:password@mail.example.org:587")
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise RuntimeError(f"{URL_ENV} must look like smtp://user:password@host:587 "
                           "or smtps://user:password@host:465")
    implicit = parts.scheme == "smtps"
    return Server(parts.hostname, parts.port or (465 if implicit else 25), implicit,
                  unquote(parts.username) if parts.username else None,
                  unquote(parts.password) if parts.password else None)


def sender(server: Server, settings: dict[str, object]) -> str:
    """The From address: the channel's `from` setting, else `GRIDWORK_SMTP_FROM`."""
    return str(settings.get("from") or os.environ.get(FROM_ENV) or f"gridwork@{server.host}")


def build(message: Message, from_address: str) -> EmailMessage:
    """The e-mail for ``message``; its Message-ID comes from the idempotency key."""
    mail = EmailMessage()
    mail["Subject"] = message.subject
    mail["From"] = from_address
    mail["To"] = message.address or ""
    domain = from_address.rpartition("@")[2] or "gridwork"
    mail["Message-ID"] = f"<{message.key}@{domain}>"
    if message.created_at is not None:
        mail["Date"] = format_datetime(message.created_at)
    mail.set_content(message.body)
    return mail


def send(message: Message) -> str:
    """Send ``message`` by e-mail; return its Message-ID."""
    server = server_from_env()
    mail = build(message, sender(server, message.config.settings))
    context = ssl.create_default_context()
    try:
        with _connect(server, context) as smtp:
            smtp.send_message(mail)
    except smtplib.SMTPRecipientsRefused as err:
        raise PermanentFailure(f"the server refused {message.address}: "
                               f"{_reply(next(iter(err.recipients.values())))}") from err
    except smtplib.SMTPResponseException as err:
        text = f"{server.shown()} answered {_reply((err.smtp_code, err.smtp_error))}"
        # A refused login is a setting to fix, not a reason to drop the message.
        if 500 <= err.smtp_code < 600 and not isinstance(err, smtplib.SMTPAuthenticationError):
            raise PermanentFailure(text) from err
        raise OSError(text) from err
    return str(mail["Message-ID"])


def _connect(server: Server, context: ssl.SSLContext) -> smtplib.SMTP:
    if server.implicit_tls:
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(server.host, server.port, timeout=TIMEOUT,
                                              context=context)
    else:
        smtp = smtplib.SMTP(server.host, server.port, timeout=TIMEOUT)
    try:
        smtp.ehlo()
        if not server.implicit_tls and smtp.has_extn("starttls"):
            smtp.starttls(context=context)
            smtp.ehlo()
        if server.username:
            if not isinstance(smtp.sock, ssl.SSLSocket):
                raise RuntimeError(f"{server.shown()} offers no STARTTLS; refusing to send "
                                   "the password unencrypted")
            smtp.login(server.username, server.password or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def _reply(answer: tuple[int, bytes | str]) -> str:
    code, text = answer
    shown = text.decode(errors="replace") if isinstance(text, bytes) else text
    return f"{code} {shown}"
