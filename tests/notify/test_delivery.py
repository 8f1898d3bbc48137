"""Delivering the outbox: retries with backoff, giving up, crashes, parallel workers, digests."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from notify_support import Clock, Database, Mailbox, add_user, email_sent_by, outbox, remind

from gridwork.notify import PermanentFailure, RetryPolicy, deliver_pending
from gridwork.notify.message import Message
from gridwork.notify.smtp import send as smtp_send


def _officers(db: Database, count: int) -> list[int]:
    return [add_user(db.engine, f"officer{i}", ["street_officer"], email=f"o{i}@example.org")
            for i in range(count)]


def _escalate(db: Database, clock: Clock, users: list[int], records: int = 1) -> None:
    for record in range(1, records + 1):
        remind(db.engine, db.deployment, clock, users, record=record, cause="escalation",
               template="escalation", step=1, channels=("email",))


def test_a_channel_that_fails_twice_then_succeeds_delivers_once(db: Database,
                                                               clock: Clock) -> None:
    calls: list[str] = []

    def flaky(message: Message) -> str:
        calls.append(message.key)
        if len(calls) <= 2:
            raise ConnectionRefusedError("connection refused")
        return "queued as 42"

    runtime = email_sent_by(db, flaky)
    _escalate(db, clock, _officers(db, 1))
    first = deliver_pending(db.engine, runtime, clock=clock)
    assert (first.sent, first.retrying) == (0, 1)
    row = outbox(db.engine)[0]
    assert (row["status"], row["attempts"], row["last_error"]) == \
        ("pending", 1, "connection refused")
    assert row["due_at"] == clock.now + RetryPolicy().first
    # Before the wait is over the message is left alone.
    assert deliver_pending(db.engine, runtime, clock=clock).handled == 0
    clock.advance(minutes=1)
    deliver_pending(db.engine, runtime, clock=clock)
    assert outbox(db.engine)[0]["due_at"] == clock.now + 2 * RetryPolicy().first
    clock.advance(minutes=2)
    third = deliver_pending(db.engine, runtime, clock=clock)
    assert third.sent == 1
    row = outbox(db.engine)[0]
    assert (row["status"], row["attempts"], row["receipt"], row["sent_at"]) == \
        ("sent", 3, "queued as 42", clock.now)
    clock.advance(hours=1)
    assert deliver_pending(db.engine, runtime, clock=clock).handled == 0
    assert len(calls) == 3 and len(set(calls)) == 1


def test_a_channel_that_keeps_failing_leaves_the_message_failed(db: Database,
                                                                clock: Clock) -> None:
    def down(message: Message) -> str:
        raise TimeoutError("timed out talking to the gateway")

    runtime = email_sent_by(db, down)
    policy = RetryPolicy(attempts=3)
    _escalate(db, clock, _officers(db, 1))
    for _ in range(5):
        deliver_pending(db.engine, runtime, clock=clock, policy=policy)
        clock.advance(hours=1)
    row = next(row for row in outbox(db.engine) if row["channel"] == "email")
    assert (row["status"], row["attempts"], row["last_error"]) == \
        ("failed", 3, "timed out talking to the gateway")


def test_a_permanent_refusal_fails_at_once(db: Database, clock: Clock) -> None:
    def refuse(message: Message) -> str:
        raise PermanentFailure("550 no such user")

    runtime = email_sent_by(db, refuse)
    _escalate(db, clock, _officers(db, 1))
    counts = deliver_pending(db.engine, runtime, clock=clock)
    assert counts.failed == 1
    row = next(row for row in outbox(db.engine) if row["channel"] == "email")
    assert (row["status"], row["attempts"], row["last_error"]) == \
        ("failed", 1, "550 no such user")


def test_a_run_killed_mid_batch_is_finished_by_the_next(db: Database, clock: Clock,
                                                       mailbox: Mailbox) -> None:
    sent: list[str] = []

    def dies_after_one(message: Message) -> str:
        if sent:
            raise KeyboardInterrupt
        sent.append(message.key)
        return smtp_send(message)

    _escalate(db, clock, _officers(db, 3))
    dying = email_sent_by(db, dies_after_one)
    with pytest.raises(KeyboardInterrupt):
        deliver_pending(db.engine, dying, clock=clock)
    assert len(mailbox.mails) == 1
    counts = deliver_pending(db.engine, db.runtime, clock=clock)
    assert counts.sent == 2
    assert sorted(r[0] for r in mailbox.recipients) == \
        ["o0@example.org", "o1@example.org", "o2@example.org"]
    assert all(row["status"] == "sent" for row in outbox(db.engine))


def test_parallel_workers_never_send_a_message_twice(pg_db: Database, clock: Clock) -> None:
    sends: Counter[str] = Counter()
    lock = threading.Lock()

    def slow(message: Message) -> str:
        with lock:
            sends[message.key] += 1
        time.sleep(0.002)  # long enough for the workers to overlap
        return "ok"

    runtime = email_sent_by(pg_db, slow)
    _escalate(pg_db, clock, _officers(pg_db, 8), records=5)
    results = []

    def worker() -> None:
        results.append(deliver_pending(pg_db.engine, runtime, clock=clock,
                                       batch=1000))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(sends) == 40 and set(sends.values()) == {1}
    assert sum(result.sent for result in results) == 40
    assert all(result.sent for result in results), "both workers should have taken messages"


def test_reminders_to_one_address_within_the_window_go_as_one_digest(
        db: Database, clock: Clock, mailbox: Mailbox) -> None:
    officer, other = _officers(db, 2)
    for record in (1, 2):
        remind(db.engine, db.deployment, clock, [officer], record=record, channels=("email",))
    clock.advance(minutes=10)
    remind(db.engine, db.deployment, clock, [officer, other], record=3, channels=("email",))
    remind(db.engine, db.deployment, clock, [officer], record=4, cause="escalation",
           template="escalation", step=1, channels=("email",))
    counts = deliver_pending(db.engine, db.runtime, clock=clock)
    assert counts.sent == 1 and [m["Subject"] for m in mailbox.mails] == ["【督办】楼道堆物 #4 已超时"]
    clock.advance(minutes=20)
    counts = deliver_pending(db.engine, db.runtime, clock=clock)
    assert (counts.sent, counts.digests) == (3, 1)
    clock.advance(minutes=10)  # the other officer's window opened ten minutes later
    assert deliver_pending(db.engine, db.runtime, clock=clock).sent == 1
    digest = next(m for m in mailbox.mails if m["To"] == "o0@example.org"
                  and m["Subject"] == "您有 3 条催办提醒")
    text = digest.get_content()
    for record in (1, 2, 3):
        assert f"【催办】楼道堆物 #{record} 将于 2026-05-11 17:00 到期" in text
        assert f"/registers/event/{record}" in text
    single = next(m for m in mailbox.mails if m["To"] == "o1@example.org")
    assert single["Subject"] == "【催办】楼道堆物 #3 将于 2026-05-11 17:00 到期"
    rows = [row for row in outbox(db.engine) if row["recipient"] == officer
            and row["cause"] == "reminder"]
    assert {row["digest_of"] for row in rows} == {rows[0]["id"]}
    assert len(mailbox.mails) == 3
