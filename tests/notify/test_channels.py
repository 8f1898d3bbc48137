"""The built-in channels against real receivers on loopback: SMTP (plain and STARTTLS with a
password) and a webhook that checks its signature."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from notify_support import (
    Clock,
    Database,
    Hook,
    Mailbox,
    add_user,
    outbox,
    posted,
    remind,
    with_channel,
)
from support import runtime_of

from gridwork.config.models.outputs import Channel
from gridwork.notify import deliver_pending
from gridwork.notify.smtp import server_from_env
from gridwork.notify.tables import OUTBOX


def test_reminders_and_escalations_reach_the_smtp_server(db: Database, clock: Clock,
                                                        mailbox: Mailbox) -> None:
    officer = add_user(db.engine, "officer", ["street_officer"], email="o@example.org")
    remind(db.engine, db.deployment, clock, [officer], cause="escalation",
           template="escalation", step=2)
    remind(db.engine, db.deployment, clock, [officer], record=2)
    clock.advance(minutes=30)
    counts = deliver_pending(db.engine, db.runtime, clock=clock)
    assert (counts.sent, counts.retrying, counts.failed) == (2, 0, 0)
    mails = {mail["Subject"]: mail for mail in mailbox.mails}
    assert set(mails) == {"【督办】楼道堆物 #1 已超时", "【催办】楼道堆物 #2 将于 2026-05-11 17:00 到期"}
    escalation = mails["【督办】楼道堆物 #1 已超时"]
    assert escalation["From"] == "grid@example.org" and escalation["To"] == "o@example.org"
    assert "现按第2级督办上报" in escalation.get_content()
    row = next(r for r in outbox(db.engine) if r["channel"] == "email" and r["record"] == 1)
    assert escalation["Message-ID"] == f"<{row['key']}@example.org>" == row["receipt"]
    assert deliver_pending(db.engine, db.runtime, clock=clock).handled == 0
    assert len(mailbox.mails) == 2


def test_starttls_and_a_password_are_used_when_offered(sqlite_db: Database, clock: Clock,
                                                      tls_mailbox: Mailbox) -> None:
    officer = add_user(sqlite_db.engine, "officer", ["street_officer"], email="o@example.org")
    remind(sqlite_db.engine, sqlite_db.deployment, clock, [officer], cause="escalation",
           template="escalation")
    counts = deliver_pending(sqlite_db.engine, sqlite_db.runtime, clock=clock)
    assert counts.sent == 1, outbox(sqlite_db.engine)[1]["last_error"]
    assert tls_mailbox.mails[0]["Subject"] == "【督办】楼道堆物 #1 已超时"


def test_a_wrong_smtp_password_is_reported_and_retried(sqlite_db: Database, clock: Clock,
                                                      tls_mailbox: Mailbox,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    server = server_from_env()
    monkeypatch.setenv("GRIDWORK_SMTP_URL", f"smtp://grid:wrong@127.0.0.1:{server.port}")
    officer = add_user(sqlite_db.engine, "officer", ["street_officer"], email="o@example.org")
    remind(sqlite_db.engine, sqlite_db.deployment, clock, [officer], cause="escalation",
           template="escalation")
    counts = deliver_pending(sqlite_db.engine, sqlite_db.runtime, clock=clock)
    row = next(r for r in outbox(sqlite_db.engine) if r["channel"] == "email")
    assert counts.retrying == 1 and row["status"] == "pending"
    assert "535" in row["last_error"] and "wrong" not in row["last_error"]
    assert not tls_mailbox.mails


def test_no_smtp_url_is_reported_with_what_to_set(sqlite_db: Database, clock: Clock,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GRIDWORK_SMTP_URL", raising=False)
    officer = add_user(sqlite_db.engine, "officer", ["street_officer"], email="o@example.org")
    remind(sqlite_db.engine, sqlite_db.deployment, clock, [officer], cause="escalation",
           template="escalation")
    deliver_pending(sqlite_db.engine, sqlite_db.runtime, clock=clock)
    row = next(r for r in outbox(sqlite_db.engine) if r["channel"] == "email")
    assert row["status"] == "pending"
    assert row["last_error"].startswith("GRIDWORK_SMTP_URL is not set")


def test_a_webhook_is_posted_signed(db: Database, clock: Clock, hook: Hook,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRIDWORK_HOOK_SECRET", "s3cret")
    deployment = with_channel(db.deployment, "centre", Channel(
        type="webhook", url=hook.url, secret_env="GRIDWORK_HOOK_SECRET"))
    officer = add_user(db.engine, "officer", ["street_officer"])
    remind(db.engine, deployment, clock, [officer], cause="escalation", template="escalation",
           step=1, channels=("centre",))
    assert deliver_pending(db.engine, runtime_of(deployment), clock=clock).sent == 1
    (headers, data), = hook.requests
    expected = hmac.new(b"s3cret", data, hashlib.sha256).hexdigest()
    assert headers["x-gridwork-signature"] == f"sha256={expected}"
    document = posted(data)
    assert headers["idempotency-key"] == document["key"] == outbox(db.engine)[0]["key"]
    assert (document["subject"], document["recipient"], document["record"],
            document["cause"], document["step"]) == \
        ("【督办】楼道堆物 #1 已超时", officer, 1, "escalation", 1)
    assert document["data"]["link"].endswith("/registers/event/1")
    assert outbox(db.engine)[0]["receipt"] == "HTTP 200"


def test_webhook_errors_retry_or_fail_by_status(sqlite_db: Database, clock: Clock,
                                                hook: Hook) -> None:
    deployment = with_channel(sqlite_db.deployment, "centre", Channel(type="webhook",
                                                                      url=hook.url))
    officer = add_user(sqlite_db.engine, "officer", ["street_officer"])
    hook.statuses = [503, 404]
    remind(sqlite_db.engine, deployment, clock, [officer], cause="escalation",
           template="escalation", channels=("centre",))
    assert deliver_pending(sqlite_db.engine, runtime_of(deployment), clock=clock).retrying == 1
    clock.advance(minutes=1)
    assert deliver_pending(sqlite_db.engine, runtime_of(deployment), clock=clock).failed == 1
    row = outbox(sqlite_db.engine)[0]
    assert (row["status"], row["attempts"]) == ("failed", 2)
    assert row["last_error"] == f"{hook.url} answered HTTP 404 Not Found"
    assert "x-gridwork-signature" not in hook.requests[0][0]


def test_a_missing_webhook_secret_is_reported(sqlite_db: Database, clock: Clock,
                                             hook: Hook) -> None:
    deployment = with_channel(sqlite_db.deployment, "centre", Channel(
        type="webhook", url=hook.url, secret_env="GRIDWORK_UNSET_SECRET"))
    officer = add_user(sqlite_db.engine, "officer", ["street_officer"])
    remind(sqlite_db.engine, deployment, clock, [officer], cause="escalation",
           template="escalation", channels=("centre",))
    deliver_pending(sqlite_db.engine, runtime_of(deployment), clock=clock)
    assert "GRIDWORK_UNSET_SECRET" in outbox(sqlite_db.engine)[0]["last_error"]
    assert not hook.requests


def test_log_channels_record_and_inbox_rows_from_elsewhere_are_passed(
        db: Database, clock: Clock) -> None:
    worker = add_user(db.engine, "worker", ["grid_worker"], phone="13800000001")
    remind(db.engine, db.deployment, clock, [worker], cause="escalation", template="escalation")
    with db.engine.begin() as conn:  # an inbox row written without a key, as older code does
        conn.execute(OUTBOX.insert().values(
            channel="inbox", recipient=worker, subject="s", body="b", created_at=clock.now,
            due_at=clock.now))
    counts = deliver_pending(db.engine, db.runtime, clock=clock)
    assert counts.sent == 2
    sms = next(r for r in outbox(db.engine) if r["channel"] == "sms")
    assert (sms["status"], sms["receipt"], sms["address"]) == \
        ("sent", "recorded only", "13800000001")
