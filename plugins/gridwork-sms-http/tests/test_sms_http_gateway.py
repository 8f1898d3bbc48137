"""The sms_http channel against a fake SMS gateway on loopback (real HTTP, real outbox)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select
from support import FIXTURES, run_check, runtime_of

from gridwork.config import Deployment, load_deployment
from gridwork.notify.delivery import deliver_pending
from gridwork.notify.outbox import enqueue
from gridwork.notify.tables import GRANTS, OUTBOX, USERS
from gridwork.runtime import Runtime
from gridwork.storage import make_engine, migrate

SECRET = "gateway-secret-for-tests"
START = dt.datetime(2026, 5, 11, 1, 0, tzinfo=dt.UTC)


@dataclass
class FakeGateway:
    """An SMS gateway: checks each request's signature, answers from a script."""

    url: str = ""
    script: list[tuple[int, dict[str, Any], dict[str, str]]] = field(default_factory=list)
    """(HTTP status, JSON answer, headers) for the next requests; then it accepts."""
    received: list[dict[str, Any]] = field(default_factory=list)

    def answer(self, headers: Any, body: bytes) -> tuple[int, dict[str, Any], dict[str, str]]:
        expected = hmac.new(SECRET.encode(), headers["X-Sms-Timestamp"].encode() + b"\n" + body,
                            hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, headers.get("X-Sms-Signature", "")):
            return 200, {"code": "1001", "message": "signature mismatch"}, {}
        self.received.append(json.loads(body))
        if self.script:
            return self.script.pop(0)
        return 200, {"code": "0", "msg_id": f"gw-{len(self.received)}"}, {}


@pytest.fixture
def gateway() -> Iterator[FakeGateway]:
    fake = FakeGateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status, answer, headers = fake.answer(self.headers, body)
            data = json.dumps(answer).encode()
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/v1/send"
    yield fake
    server.shutdown()
    server.server_close()


def _deployment(folder: Path, settings: str) -> Path:
    folder.mkdir()
    text = (FIXTURES / "minimal" / "deployment.yaml").read_text(encoding="utf-8")
    text = text.replace("    inbox: {type: inbox}\n",
                        "    inbox: {type: inbox}\n    sms: {type: sms_http}\n")
    text = text.replace("assessment:\n", "plugins:\n  - module: gridwork_sms_http\n"
                        f"    settings: {settings}\nassessment:\n", 1)
    (folder / "deployment.yaml").write_text(text, encoding="utf-8")
    return folder


@dataclass
class Setup:
    engine: Engine
    deployment: Deployment
    user: int
    now: dt.datetime = START

    @property
    def runtime(self) -> Runtime:
        """The deployment's runtime."""
        return runtime_of(self.deployment)

    def remind(self) -> None:
        with self.engine.begin() as conn:
            enqueue(conn, self.runtime, recipients=[self.user], template="overdue",
                    context={"record": {"title": "井盖缺失"}}, cause="escalation",
                    clock=lambda: self.now, register="event", record=7, channels=["sms"],
                    occasion="timer:7")

    def deliver(self) -> dict[str, Any]:
        deliver_pending(self.engine, self.runtime, clock=lambda: self.now)
        with self.engine.connect() as conn:
            return dict(conn.execute(select(OUTBOX)).mappings().one())


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database migrated once for the deployment (the gateway's URL changes nothing)."""
    folder = tmp_path_factory.mktemp("sms")
    deployment = load_deployment(_deployment(folder / "d", "{url: 'http://gw', account: a}"))
    migrate(f"sqlite:///{folder / 'sms.sqlite3'}", deployment, echo=lambda _: None)
    return folder / "sms.sqlite3"


@pytest.fixture
def setup(tmp_path: Path, gateway: FakeGateway, migrated: Path,
          monkeypatch: pytest.MonkeyPatch) -> Iterator[Setup]:
    monkeypatch.setenv("GRIDWORK_SMS_SECRET", SECRET)
    deployment = load_deployment(_deployment(
        tmp_path / "d", f"{{url: '{gateway.url}', account: xihu-grid, "
                        "templates: {overdue: SMS_900}}"))
    shutil.copy(migrated, tmp_path / "sms.sqlite3")
    engine = make_engine(f"sqlite:///{tmp_path / 'sms.sqlite3'}")
    with engine.begin() as conn:
        user = conn.execute(insert(USERS).values(
            username="w1", display_name="W1", phone="13800138000", active=True,
            created_at=START).returning(USERS.c.id)).scalar_one()
        conn.execute(insert(GRANTS).values(user=user, role="grid_worker"))
    yield Setup(engine, deployment, user)
    engine.dispose()


def test_a_message_reaches_the_gateway_signed_with_its_template_code(
        setup: Setup, gateway: FakeGateway) -> None:
    setup.remind()
    row = setup.deliver()
    assert (row["status"], row["receipt"], row["attempts"]) == ("sent", "gw-1", 1)
    sent, = gateway.received
    assert sent["account"] == "xihu-grid" and sent["mobile"] == "13800138000"
    assert sent["template_code"] == "SMS_900" and sent["request_id"] == row["key"]
    assert "井盖缺失" in sent["params"]["subject"]


def test_a_rate_limited_message_waits_and_goes_once(setup: Setup,
                                                    gateway: FakeGateway) -> None:
    gateway.script = [(429, {"code": "2001", "message": "too many requests"},
                       {"Retry-After": "30"})]
    setup.remind()
    row = setup.deliver()
    assert row["status"] == "pending" and row["due_at"].replace(tzinfo=dt.UTC) > setup.now
    assert row["last_error"] == ("rate limited: gateway answered HTTP 429: code 2001 too many "
                                 "requests; it asks to wait 30 s")
    setup.now += dt.timedelta(minutes=5)
    row = setup.deliver()
    assert (row["status"], row["attempts"], row["receipt"]) == ("sent", 2, "gw-2")
    assert [r["request_id"] for r in gateway.received] == [row["key"]] * 2


@pytest.mark.parametrize(("answer", "status", "error"), [
    ((200, {"code": "1004", "message": "invalid mobile"}, {}), "failed",
     "gateway refused the message: code 1004 invalid mobile"),
    ((200, {"code": "2002", "message": "balance exhausted"}, {}), "pending",
     "gateway refused the message: code 2002 balance exhausted"),
    ((503, {}, {}), "pending", "gateway answered HTTP 503"),
    ((400, {"code": "1003", "message": "unknown template"}, {}), "failed",
     "gateway answered HTTP 400: code 1003 unknown template"),
])
def test_gateway_errors_are_retried_or_given_up_by_code(
        setup: Setup, gateway: FakeGateway, answer: tuple[int, dict[str, Any], dict[str, str]],
        status: str, error: str) -> None:
    gateway.script = [answer]
    setup.remind()
    row = setup.deliver()
    assert (row["status"], row["last_error"]) == (status, error)


def test_a_wrong_secret_fails_the_message(setup: Setup, gateway: FakeGateway,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRIDWORK_SMS_SECRET", "not-the-secret")
    setup.remind()
    row = setup.deliver()
    assert (row["status"], row["last_error"]) == (
        "failed", "gateway refused the message: code 1001 signature mismatch")
    assert gateway.received == []


def test_a_missing_secret_keeps_the_message_for_later(setup: Setup,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GRIDWORK_SMS_SECRET")
    setup.remind()
    row = setup.deliver()
    assert row["status"] == "pending"
    assert row["last_error"] == ("the environment variable GRIDWORK_SMS_SECRET holding the "
                                 "SMS gateway secret is not set")


def test_bad_settings_are_config_errors_at_the_plugin_entry(tmp_path: Path) -> None:
    folder = _deployment(tmp_path / "d", "{url: 'ftp://gw', acount: x}")
    # A misspelt key is reported once (not also as the missing 'account').
    assert run_check(folder) == (1, [
        "deployment.yaml:101:21: error: 'ftp://gw' does not match the pattern ^https?://\\S+$",
        "deployment.yaml:101:33: error: unknown setting 'acount'; did you mean 'account'? "
        "(settings of 'gridwork_sms_http': url, account, secret_env, templates, "
        "default_template, permanent_codes, timeout)"])
