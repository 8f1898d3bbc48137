"""A duty is done when its record is final; past its due time it is overdue once, with a
history row and a notice to the leader."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest
from duty_world import START, DutyWorld
from sqlalchemy import select

from gridwork.duties.fulfil import NotYours, link, settle, start
from gridwork.duties.misses import climb, mark_overdue
from gridwork.duties.run import run_duties
from gridwork.runtime import Runtime
from gridwork.storage.writes import writing
from gridwork.workflow import create_record, load_user, take_action


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
    # The leader hears once of every miss; the natural duties, nine hours past due, have
    # also climbed to their ladder's second rung, which tells their assignees.
    lead = [n for n in notices if n.recipient == world.users["lead"]]
    assert len(lead) == 1 and f"{missed.missed} 项任务已逾期" in lead[0].subject
    assert missed.climbed == 3


def _twice(work: Callable[[], object]) -> list[object]:
    """Run ``work`` in two threads released at once; return both results."""
    barrier = threading.Barrier(2)
    results: list[object] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(work())
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


def test_two_sweepers_at_once_mark_each_miss_once(world: DutyWorld) -> None:
    world.households({"1": 40})
    run_duties(world.engine, world.runtime, now=START)
    late = START + dt.timedelta(days=40)

    def sweep() -> int:
        with writing(world.engine) as conn:
            return mark_overdue(conn, world.runtime, late)

    counts = _twice(sweep)
    overdue = world.duties(state="overdue")
    assert sorted(counts) == [0, len(overdue)] and len(overdue) > 80
    history = world.schema.system("history")
    with world.engine.connect() as conn:
        rows = conn.execute(select(history.c.record).where(
            history.c.kind == "duty_missed")).scalars().all()
    assert sorted(rows) == sorted(d["id"] for d in overdue)


def test_two_records_for_one_duty_link_only_the_first(world: DutyWorld) -> None:
    run_duties(world.engine, world.runtime, now=START)
    duty = _patrol_of(world, "w3")
    with world.engine.connect() as conn:
        worker = load_user(conn, world.schema, "w3")

    def report() -> bool:
        with writing(world.engine) as conn:
            record = create_record(conn, world.runtime, worker, "patrol", "C1G2",
                                   {"kind": "daily"}, clock=lambda: START)
            return link(conn, world.runtime, duty["id"], "patrol", record.id, START)

    assert sorted(_twice(report)) == [False, True]
    table = world.schema.table("patrol")
    with world.engine.connect() as conn:
        linked = conn.execute(select(table.c.id).where(table.c.duty == duty["id"])).all()
    assert len(linked) == 1
    assert world.duties(id=duty["id"])[0]["record"] == linked[0].id


def test_duties_of_a_removed_schedule_are_dropped_not_missed(world: DutyWorld) -> None:
    run_duties(world.engine, world.runtime, now=START)
    kept = tuple(s for s in world.deployment.schedules if s.name != "natural")
    fewer = Runtime.build(world.deployment.model_copy(update={"schedules": kept}))
    later = run_duties(world.engine, fewer, now=START + dt.timedelta(days=1))
    assert later.dropped == 3
    assert {d["state"] for d in world.duties(schedule="natural")} == {"dropped"}
    assert {d["state"] for d in world.duties(schedule="patrol", period="2026-06-01")} \
        == {"overdue"}


def test_a_missed_duty_climbs_its_schedules_ladder_rung_by_rung(world: DutyWorld) -> None:
    run_duties(world.engine, world.runtime, now=START)
    midnight = START.replace(hour=0) + dt.timedelta(days=1)      # the natural duties' due time
    outbox = world.schema.system("outbox")

    def told(at: dt.datetime) -> tuple[int, list[int]]:
        climbed = run_duties(world.engine, world.runtime, now=at).climbed
        with world.engine.connect() as conn:
            return climbed, sorted(conn.execute(select(outbox.c.recipient).where(
                outbox.c.cause == "duty_missed", outbox.c.created_at == at)).scalars())

    assert told(midnight + dt.timedelta(hours=1))[0] == 0
    # Two hours on, the assignees of the two grids that have one hear of their own.
    assert told(midnight + dt.timedelta(hours=3)) == (
        3, sorted([world.users["w1"], world.users["w3"]]))
    assert [d["step"] for d in world.duties(schedule="natural", period="2026-06-01")] \
        == [1, 1, 1]
    assert told(midnight + dt.timedelta(hours=4)) == (0, [])
    # The default ladder of the other schedules has no second rung.
    assert {d["step"] for d in world.duties(schedule="patrol", state="overdue")} == {0}
    # A day past due, the third rung tells the leader (the day after's are one hour late).
    climbed, recipients = told(midnight + dt.timedelta(days=1, hours=1))
    assert climbed == 3 and world.users["lead"] in recipients
    assert [d["step"] for d in world.duties(schedule="natural", period="2026-06-01")] \
        == [2, 2, 2]


def test_two_sweepers_at_once_climb_each_rung_once(world: DutyWorld) -> None:
    run_duties(world.engine, world.runtime, now=START)
    late = START + dt.timedelta(days=3)
    with writing(world.engine) as conn:
        mark_overdue(conn, world.runtime, late)

    def sweep() -> int:
        with writing(world.engine) as conn:
            return climb(conn, world.runtime, late)

    # The natural duties of June 1st climb rungs 1 and 2 (three grids): six steps, once.
    assert sorted(_twice(sweep)) == [0, 6]
    assert {d["step"] for d in world.duties(schedule="natural")} == {2}


def test_two_sweepers_at_once_settle_an_expected_duty_once(world: DutyWorld) -> None:
    run_duties(world.engine, world.runtime, now=START)
    with world.engine.connect() as conn:
        worker = load_user(conn, world.schema, "w3")
    record = create_record(world.engine, world.runtime, worker, "patrol", "C1G2",
                           {"kind": "daily"}, clock=lambda: START)
    take_action(world.engine, world.runtime, worker, "patrol", record.id, "finish",
                version=record.version, values={"findings": "无"}, clock=lambda: START)

    def sweep() -> int:
        with writing(world.engine) as conn:
            return settle(conn, world.runtime, START + dt.timedelta(hours=1), register="patrol")

    assert sorted(_twice(sweep)) == [0, 1]
    assert [d["record"] for d in world.duties(schedule="patrol", state="done")] == [record.id]
