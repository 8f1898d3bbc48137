"""Writing messages: channels per role, addresses, rendering, idempotency keys."""

from __future__ import annotations

import datetime as dt

import pytest
from notify_support import START, Clock, Database, add_user, outbox, remind
from support import CONFIGS, SHIPPED

from gridwork.config import Deployment, load_deployment
from gridwork.config.models.outputs import MessageTemplate
from gridwork.config.types import Label
from gridwork.notify.outbox import channels_for
from gridwork.notify.render import Renderer
from gridwork.runtime import Runtime


def test_each_role_gets_its_channels_with_its_addresses(db: Database, clock: Clock) -> None:
    worker = add_user(db.engine, "worker", ["grid_worker"], email="w@example.org",
                      phone="13800000001")
    officer = add_user(db.engine, "officer", ["street_officer"], email="o@example.org")
    nobody = add_user(db.engine, "visitor", [])
    written = remind(db.engine, db.deployment, clock, [worker, officer, nobody, worker],
                     cause="escalation", template="escalation", step=2)
    rows = {(row["recipient"], row["channel"]): row for row in outbox(db.engine)}
    assert written == 5
    assert set(rows) == {(worker, "inbox"), (worker, "sms"), (officer, "inbox"),
                         (officer, "email"), (nobody, "inbox")}
    assert rows[worker, "sms"]["address"] == "13800000001"
    assert rows[officer, "email"]["address"] == "o@example.org"
    # Nothing leaves gridwork for the inbox: it is delivered when written.
    assert rows[worker, "inbox"]["status"] == "sent"
    assert rows[worker, "inbox"]["sent_at"] == START
    email = rows[officer, "email"]
    assert email["status"] == "pending" and email["due_at"] == START
    assert email["subject"] == "【督办】楼道堆物 #1 已超时"
    assert "第2级督办" in email["body"] and "2026-05-11 17:00" in email["body"]
    assert email["body"].endswith("/registers/event/1")
    assert (email["cause"], email["step"], email["register"], email["record"]) == \
        ("escalation", 2, "event", 1)
    assert len({row["key"] for row in rows.values()}) == 5


def test_the_same_occasion_twice_writes_nothing_new(db: Database, clock: Clock) -> None:
    officer = add_user(db.engine, "officer", ["street_officer"], email="o@example.org")
    assert remind(db.engine, db.deployment, clock, [officer]) == 2
    clock.advance(minutes=5)
    assert remind(db.engine, db.deployment, clock, [officer]) == 0
    assert remind(db.engine, db.deployment, clock, [officer], record=2) == 2
    assert len(outbox(db.engine)) == 4


def test_a_missing_address_is_a_failed_row_that_says_so(db: Database, clock: Clock) -> None:
    officer = add_user(db.engine, "officer", ["street_officer"])
    gone = add_user(db.engine, "gone", ["street_officer"], email="g@example.org", active=False)
    remind(db.engine, db.deployment, clock, [officer, gone], cause="escalation",
           template="escalation")
    email = next(row for row in outbox(db.engine) if row["channel"] == "email")
    assert email["status"] == "failed"
    assert email["last_error"] == "user officer has no address for channel 'email' (email)"
    assert {row["recipient"] for row in outbox(db.engine)} == {officer}


def test_explicit_channels_override_the_roles(db: Database, clock: Clock) -> None:
    worker = add_user(db.engine, "worker", ["grid_worker"], email="w@example.org")
    remind(db.engine, db.deployment, clock, [worker], channels=("email",), cause="escalation",
           template="escalation")
    assert [row["channel"] for row in outbox(db.engine)] == ["email"]


def test_roles_map_to_channels(community: Deployment) -> None:
    notifications = community.notifications
    assert channels_for(notifications, ["grid_worker", "street_officer"]) == \
        ["inbox", "sms", "email"]
    assert channels_for(notifications, ["not_listed"]) == ["inbox"]


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_template_renders_and_survives_missing_names(name: str) -> None:
    renderer = Runtime.build(load_deployment(CONFIGS / name)).renderer
    deadline = dt.datetime(2026, 5, 11, 9, 30, tzinfo=dt.UTC)
    for template, texts in renderer.templates.items():
        full = renderer.render(template, {
            "record": {"title": "河道漂浮物"}, "deadline": deadline, "step": 2,
            "link": "https://grid.example.org/registers/event/7", "title": "演示",
            "now": deadline, "channel": "email"})
        if "deadline" in f"{texts.subject.zh}{texts.body.zh}":
            assert "2026-05-11 17:30" in full.subject + full.body, (template, full)
        if "link" in str(texts.body.zh):
            assert "https://grid.example.org/registers/event/7" in full.body
        bare = renderer.render(template, {})
        assert "None" not in bare.subject + bare.body
        assert "failed" not in bare.body, (template, bare)


def test_a_broken_template_still_gives_a_message(sqlite_db: Database) -> None:
    runtime = sqlite_db.runtime
    broken = MessageTemplate(subject=Label(zh="{{ record.title + 1 }}"), body=Label(zh="x"))
    renderer = Renderer(runtime.locale, runtime.zone, {**runtime.templates, "broken": broken})
    rendered = renderer.render("broken", {"record": {"title": "t"}, "link": "/r/1"})
    assert rendered.subject == "[broken] /r/1"
    assert "TypeError" in rendered.body


def test_subjects_stay_on_one_line(sqlite_db: Database) -> None:
    renderer = sqlite_db.runtime.renderer
    rendered = renderer.render("reminder", {"record": {"title": "a\r\nBcc: x@evil.example"}})
    assert "\n" not in rendered.subject and "\r" not in rendered.subject
