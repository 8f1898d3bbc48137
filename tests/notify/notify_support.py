"""Helpers the notification tests share: a movable clock, loopback SMTP and HTTP receivers,
users with roles, and a throwaway TLS certificate."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import Engine, delete, insert, select
from support import runtime_of

from gridwork.config import Deployment
from gridwork.config.models.outputs import Channel
from gridwork.config.plugin_checks import deployment_manager
from gridwork.notify.channels import ChannelType
from gridwork.notify.message import Message
from gridwork.notify.outbox import enqueue
from gridwork.notify.tables import GRANTS, OUTBOX, USERS
from gridwork.plugins import hookimpl
from gridwork.runtime import Runtime

START = dt.datetime(2026, 5, 11, 1, 0, tzinfo=dt.UTC)
"""A Monday, 09:00 in Shanghai."""


class Clock:
    """A clock tests move by hand."""

    def __init__(self, now: dt.datetime = START) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move the clock forward."""
        self.now += dt.timedelta(**delta)


@dataclass(frozen=True)
class Database:
    """A migrated database of the community deployment."""

    url: str
    engine: Engine
    deployment: Deployment
    backend: str

    @property
    def runtime(self) -> Runtime:
        """The deployment's runtime."""
        return runtime_of(self.deployment)


def free_port() -> int:
    """A TCP port nobody listens on at the moment."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Mailbox:
    """What the loopback SMTP server received."""

    mails: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.mails.append(message_from_bytes(envelope.content, policy=policy.default))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


def smtp_server(mailbox: Mailbox, tls: ssl.SSLContext | None = None,
                login: tuple[str, str] | None = None) -> Controller:
    """A started aiosmtpd server on loopback (STARTTLS and a password when given)."""

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str,
                     data: Any) -> AuthResult:
        ok = (isinstance(data, LoginPassword) and login is not None
              and (data.login.decode(), data.password.decode()) == login)
        return AuthResult(success=ok, handled=False)

    options: dict[str, Any] = {}
    if tls is not None:
        options.update(tls_context=tls, require_starttls=True)
    if login is not None:
        options.update(authenticator=authenticate, auth_required=True)
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    return controller


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@dataclass
class Hook:
    """What the loopback webhook receiver got, and the statuses it answers with."""

    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    url: str = ""


def webhook_server(hook: Hook) -> ThreadingHTTPServer:
    """A started HTTP server on loopback that records POSTs."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            data = self.rfile.read(int(self.headers["Content-Length"]))
            hook.requests.append(({k.lower(): v for k, v in self.headers.items()}, data))
            status = hook.statuses.pop(0) if hook.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: Any) -> None:
            """Keep the test output quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hook.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    return server


def add_user(engine: Engine, username: str, roles: list[str], *, email: str | None = None,
             phone: str | None = None, active: bool = True) -> int:
    """A user holding ``roles``; return the id."""
    with engine.begin() as conn:
        user = int(conn.execute(insert(USERS).values(
            username=username, display_name=username.title(), email=email, phone=phone,
            active=active, created_at=START)).inserted_primary_key[0])
        for role in roles:
            conn.execute(insert(GRANTS).values(user=user, role=role))
    return user


def clear(engine: Engine) -> None:
    """Remove every message, grant and user."""
    with engine.begin() as conn:
        for table in (OUTBOX, GRANTS, USERS):
            conn.execute(delete(table))


def outbox(engine: Engine) -> list[dict[str, Any]]:
    """Every outbox row, oldest first."""
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(select(OUTBOX).order_by(OUTBOX.c.id))
                .mappings()]


def recording(name: str, behave: Callable[[Message], str | None]) -> ChannelType:
    """A channel type of ``name`` (addressed by e-mail) whose sending ``behave`` does."""
    return ChannelType(name, behave, lambda user, channel: user.get("email"),
                       needs_address=True)


def email_sent_by(db: Database, behave: Callable[[Message], str | None]) -> Runtime:
    """The database's runtime with a plugin registered whose `email` channel type (later
    registered, so it replaces the built-in one) sends as ``behave`` does."""
    class Email:
        @hookimpl
        def gridwork_channel_types(self) -> list[ChannelType]:
            return [recording("email", behave)]

    manager = deployment_manager(db.deployment)
    manager.add(Email(), "recording_email", None)
    return Runtime.build(db.deployment, manager=manager)


def posted(data: bytes) -> dict[str, Any]:
    """A webhook body as JSON."""
    return dict(json.loads(data))


def with_channel(deployment: Deployment, name: str, channel: Channel) -> Deployment:
    """``deployment`` with one more (or a replaced) notification channel."""
    notifications = deployment.notifications
    changed = notifications.model_copy(
        update={"channels": {**notifications.channels, name: channel}})
    return deployment.model_copy(update={"notifications": changed})


def remind(engine: Engine, deployment: Deployment, clock: Clock, users: list[int], *,
           record: int = 1, cause: str = "reminder", template: str = "reminder",
           channels: tuple[str, ...] = (), step: int | None = None) -> int:
    """Enqueue a message about record ``record`` in its own transaction; return rows written."""
    context = {"record": {"title": f"楼道堆物 #{record}"},
               "deadline": START + dt.timedelta(hours=8)}
    with engine.begin() as conn:
        return enqueue(conn, runtime_of(deployment), recipients=users, template=template, context=context,
                       cause=cause, clock=clock, register="event", record=record, step=step,
                       channels=channels, occasion=f"timer:{record}:{cause}:{step}")
