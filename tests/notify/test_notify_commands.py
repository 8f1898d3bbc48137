"""`gridwork deliver` and `gridwork notify test`, as an administrator runs them."""

from __future__ import annotations

import pytest
from notify_support import Clock, Database, Mailbox, add_user, outbox, remind
from support import CONFIGS, run_cli

COMMUNITY = str(CONFIGS / "community")


def test_deliver_sends_what_is_due_and_prints_counts(sqlite_db: Database, clock: Clock,
                                                    mailbox: Mailbox) -> None:
    officer = add_user(sqlite_db.engine, "officer", ["street_officer"], email="o@example.org")
    # Written "now" by the real clock's standard, so the command finds them due.
    clock.now = clock.now.replace(year=2020)
    for record in (1, 2):
        remind(sqlite_db.engine, sqlite_db.deployment, clock, [officer], record=record,
               cause="escalation", template="escalation")
    code, out, _ = run_cli("deliver", COMMUNITY, "--db", sqlite_db.url)
    assert (code, out) == (0, "sent 2 (0 digests), retrying 0, failed 0\n")
    assert len(mailbox.mails) == 2
    code, out, _ = run_cli("deliver", COMMUNITY, "--db", sqlite_db.url)
    assert out == "sent 0 (0 digests), retrying 0, failed 0\n"
    assert all(row["status"] == "sent" for row in outbox(sqlite_db.engine))


def test_notify_test_sends_an_email(mailbox: Mailbox) -> None:
    code, out, err = run_cli("notify", "test", COMMUNITY, "--channel", "email",
                             "--to", "admin@example.org")
    assert code == 0, err
    assert out.startswith("sent: email channel 'email' accepted the message to "
                          "admin@example.org (<test-")
    mail, = mailbox.mails
    assert mail["To"] == "admin@example.org"
    assert mail["Subject"] == "【测试】社区网格化服务管理平台 消息通道测试"


def test_notify_test_says_why_it_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GRIDWORK_SMTP_URL", raising=False)
    code, _, err = run_cli("notify", "test", COMMUNITY, "--channel", "email",
                           "--to", "admin@example.org")
    assert code == 1
    assert err.startswith("failed: email channel 'email' could not send to admin@example.org: "
                          "GRIDWORK_SMTP_URL is not set")


def test_notify_test_explains_channels_that_send_nothing() -> None:
    code, out, _ = run_cli("notify", "test", COMMUNITY, "--channel", "sms", "--to", "13800000001")
    assert code == 0 and out.startswith("recorded only: 'sms' is a log channel")
    code, out, _ = run_cli("notify", "test", COMMUNITY, "--channel", "inbox", "--to", "x")
    assert code == 0 and "nothing is sent" in out
    code, _, err = run_cli("notify", "test", COMMUNITY, "--channel", "fax", "--to", "x")
    assert code == 2 and "no channel 'fax'; configured: inbox, email, sms" in err
