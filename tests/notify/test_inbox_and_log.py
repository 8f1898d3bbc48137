"""Reading messages back: a user's inbox and the administrators' message log."""

from __future__ import annotations

import datetime as dt

from notify_support import START, Clock, Database, add_user, remind

from gridwork.notify import inbox, log


def test_the_inbox_counts_unread_and_marks_read(db: Database, clock: Clock) -> None:
    worker = add_user(db.engine, "worker", ["grid_worker"], phone="13800000001")
    other = add_user(db.engine, "other", ["grid_worker"])
    for record in (1, 2, 3):
        remind(db.engine, db.deployment, clock, [worker, other], record=record,
               cause="escalation", template="escalation")
        clock.advance(minutes=1)
    with db.engine.begin() as conn:
        assert inbox.unread_count(conn, db.deployment, worker) == 3
        newest, *_ = inbox.messages(conn, db.deployment, worker)
        assert newest["record"] == 3 and newest["channel"] == "inbox"
        assert inbox.mark_read(conn, db.deployment, worker, now=clock.now,
                               ids=[newest["id"]]) == 1
        assert inbox.unread_count(conn, db.deployment, worker) == 2
        assert [m["record"] for m in inbox.messages(conn, db.deployment, worker,
                                                    unread_only=True)] == [2, 1]
        assert inbox.mark_read(conn, db.deployment, worker, now=clock.now) == 2
        assert inbox.unread_count(conn, db.deployment, worker) == 0
        assert inbox.unread_count(conn, db.deployment, other) == 3


def test_the_log_filters_by_channel_status_recipient_and_date(db: Database,
                                                              clock: Clock) -> None:
    worker = add_user(db.engine, "worker", ["grid_worker"], phone="13800000001")
    officer = add_user(db.engine, "officer", ["street_officer"])
    remind(db.engine, db.deployment, clock, [worker, officer], cause="escalation",
           template="escalation", step=1)
    clock.advance(days=1)
    remind(db.engine, db.deployment, clock, [worker], record=2, cause="escalation",
           template="escalation", step=2)
    with db.engine.connect() as conn:
        everything = log.message_log(conn)
        assert log.count(conn) == len(everything) == 6
        assert everything[0]["created_at"] == clock.now
        failed = log.message_log(conn, status="failed")
        assert [(m["recipient_name"], m["channel"]) for m in failed] == [("Officer", "email")]
        assert "no address" in failed[0]["last_error"]
        sms = log.message_log(conn, channel="sms", recipient=worker)
        assert [(m["record"], m["step"], m["cause"]) for m in sms] == \
            [(2, 2, "escalation"), (1, 1, "escalation")]
        first_day = log.message_log(conn, since=START, until=START + dt.timedelta(days=1))
        assert {m["record"] for m in first_day} == {1}
        assert log.count(conn, until=START) == 0
