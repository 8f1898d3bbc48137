"""A duty is done when its record is final; past its due time it is overdue once, with a
history row and a notice to the leader."""

from __future__ import annotations

import datetime as dt

from duty_world import START, DutyWorld
from sqlalchemy import select

from gridwork.duties.fulfil import NotYours, link, start
from gridwork.duties.run import run_duties
from gridwork.workflow import create_record, load_user, take_action

import pytest


def _patrol_of(world: DutyWorld, user: str) -> dict:
    return next(d for d in world.duties(schedule="patrol")
                if d["assignee"] == world.users[user])


def test_a_record_started_from_a_duty_fulfils_it_when_final(world: DutyWorld) -> None:
    run_duties(world.engine, world.runtime, now=START)
    duty = _patrol_of(world, "w3")
    with world.engine.begin() as conn:
        begun = start(conn, world.runtime, duty["id"], world.users["w3"])
        worker = load_user(conn, world.schema, "w3")
        with pytest.raises(NotYours):
            start(conn, world.runtime, duty["id"], world.users["w1"])
    assert begun.node == "C1G2" and begun.values == {"kind": "daily"}
    later = START + dt.timedelta(hours=2)
    with world.engine.begin() as conn:
        record = create_record(conn, world.runtime, worker, "patrol", begun.node,
                               begun.values, clock=lambda: later)
        assert link(conn, world.runtime, duty["id"], "patrol", record.id, later)
        assert not link(conn, world.runtime, duty["id"], "patrol", record.id, later)
    linked = world.duties(id=duty["id"])[0]
    assert linked["record"] == record.id and linked["state"] == "open"
    table = world.schema.table("patrol")
    with world.engine.connect() as conn:
        assert conn.execute(select(table.c.duty).where(table.c.id == record.id)).scalar() \
            == duty["id"]
    finished = START + dt.timedelta(hours=3)
    take_action(world.engine, world.runtime, worker, "patrol", record.id, "finish",
                version=record.version, values={"findings": "无异常"}, clock=lambda: finished)
    done = run_duties(world.engine, world.runtime, now=START + dt.timedelta(hours=4))
    assert done.settled == 1
    row = world.duties(id=duty["id"])[0]
    assert row["state"] == "done" and row["done_at"] == finished


def test_a_missed_duty_is_overdue_once_with_history_and_a_notice(world: DutyWorld) -> None:
    run_duties(world.engine, world.runtime, now=START)
    before = run_duties(world.engine, world.runtime, now=START + dt.timedelta(hours=10))
    assert before.missed == 0
    # The day's patrols were due at midnight; the next morning they are missed.
    next_day = START + dt.timedelta(days=1)
    missed = run_duties(world.engine, world.runtime, now=next_day)
    patrols = [d for d in world.duties(schedule="patrol", period="2026-06-01")]
    assert {d["state"] for d in patrols} == {"overdue"}
    assert missed.missed >= 3
    again = run_duties(world.engine, world.runtime, now=next_day + dt.timedelta(minutes=1))
    assert again.missed == 0
    history, outbox = world.schema.system("history"), world.schema.system("outbox")
    with world.engine.connect() as conn:
        rows = conn.execute(select(history.c.record).where(
            history.c.register == "_duty", history.c.kind == "duty_missed")).scalars().all()
        notices = conn.execute(select(outbox.c.recipient, outbox.c.subject).where(
            outbox.c.cause == "duty_missed")).all()
    assert sorted(rows) == sorted(d["id"] for d in world.duties(state="overdue"))
    assert [n.recipient for n in notices] == [world.users["lead"]]
    assert f"{missed.missed} 项任务已逾期" in notices[0].subject
