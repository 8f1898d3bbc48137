"""`mode: create` makes each duty's record with it; `mode: expect` waits for a record reported
at the entry in the duty's time; a sub-day `every` makes one duty per interval of the daily
window."""

from __future__ import annotations

import datetime as dt

from duty_world import START, ZONE, DutyWorld
from sqlalchemy import select

from gridwork.duties.generate import generate
from gridwork.duties.run import run_duties
from gridwork.workflow import create_record, load_user, take_action
from gridwork.workflow.edit import edit_record


def test_created_records_carry_their_fill_and_are_done_when_saved(world: DutyWorld) -> None:
    world.households({"1": 2})
    generate(world.engine, world.runtime, now=START, names=["visit_twice", "report"])
    visits = world.duties(schedule="visit_twice")
    assert len(visits) == 4 and all(d["record"] is not None for d in visits)
    table, history = world.schema.table("visit"), world.schema.system("history")
    with world.engine.connect() as conn:
        records = {row.id: row for row in conn.execute(select(table))}
        created = conn.execute(select(history.c.record).where(
            history.c.register == "visit", history.c.kind == "created")).scalars().all()
        versions = conn.execute(select(history.c.config).distinct().where(
            history.c.register == "visit")).scalars().all()
    assert sorted(created) == sorted(records)
    assert versions == [world.deployment.source_hash[:12]]   # the version that made them
    assert {(records[d["record"]].household, records[d["record"]].duty) for d in visits} \
        == {(d["entry"], d["id"]) for d in visits}
    # The weekly report's records start in the workflow's first state.
    patrols = world.schema.table("patrol")
    with world.engine.connect() as conn:
        states = conn.execute(select(patrols.c.state).distinct()).scalars().all()
    assert states == ["open"] and len(world.duties(schedule="report")) == 6
    # Generated again, nothing more is made; an untouched record does not count as done.
    generate(world.engine, world.runtime, now=START + dt.timedelta(hours=1),
             names=["visit_twice"])
    assert run_duties(world.engine, world.runtime,
                      now=START + dt.timedelta(hours=1)).settled == 0
    duty = visits[0]
    with world.engine.connect() as conn:
        worker = load_user(conn, world.schema, "w1")
    edit_record(world.engine, world.runtime, worker, "visit", duty["record"],
                {"notes": "已走访"}, version=1, partial=True,
                clock=lambda: START + dt.timedelta(hours=2))
    assert run_duties(world.engine, world.runtime,
                      now=START + dt.timedelta(hours=3)).settled == 1
    with world.engine.connect() as conn:
        assert len(conn.execute(select(table.c.id).where(
            table.c.duty.in_([d["id"] for d in visits]))).all()) == 4
    assert world.duties(id=duty["id"])[0]["state"] == "done"


def test_an_expected_duty_is_met_by_a_record_reported_in_its_time(world: DutyWorld) -> None:
    run_duties(world.engine, world.runtime, now=START)
    patrols = world.schema.table("patrol")
    with world.engine.connect() as conn:
        worker = load_user(conn, world.schema, "w3")
    record = create_record(world.engine, world.runtime, worker, "patrol", "C1G2",
                           {"kind": "daily"}, clock=lambda: START + dt.timedelta(hours=1))
    assert run_duties(world.engine, world.runtime,
                      now=START + dt.timedelta(hours=2)).settled == 0   # not final yet
    take_action(world.engine, world.runtime, worker, "patrol", record.id, "finish",
                version=record.version, values={"findings": "无异常"},
                clock=lambda: START + dt.timedelta(hours=3))
    assert run_duties(world.engine, world.runtime,
                      now=START + dt.timedelta(hours=4)).settled == 1
    here = world.duties(schedule="patrol", node=world.node_id("C1G2"))
    assert [(d["state"], d["record"]) for d in here] == [("done", record.id)]
    # A report the next day meets that day's duty, not the day before's, which stays missed.
    with world.engine.connect() as conn:
        other = load_user(conn, world.schema, "w1")
    late = create_record(world.engine, world.runtime, other, "patrol", "C1G1",
                         {"kind": "daily"}, clock=lambda: START + dt.timedelta(days=1))
    take_action(world.engine, world.runtime, other, "patrol", late.id, "finish",
                version=late.version, values={"findings": "无"},
                clock=lambda: START + dt.timedelta(days=1))
    run_duties(world.engine, world.runtime, now=START + dt.timedelta(days=1, hours=1))
    there = world.duties(schedule="patrol", node=world.node_id("C1G1"))
    assert [(d["period"], d["state"], d["record"]) for d in there] == [
        ("2026-06-01", "overdue", None), ("2026-06-02", "done", late.id)]
    # Expecting created nothing: the records no schedule made are the two reported.
    with world.engine.connect() as conn:
        assert len(conn.execute(select(patrols.c.id).where(patrols.c.duty.is_(None))).all()) \
            == 2


def test_sub_day_intervals_fall_in_the_daily_window(world: DutyWorld) -> None:
    runtime = world.with_schedule(every="2h", during="08:00-13:00", mode="expect")
    made = generate(world.engine, runtime, now=START, names=["rounds"])[0]
    assert (made.period, made.created) == ("2026-06-01", 6)       # 08-10 and 10-12, 3 grids
    due = sorted({d["due_at"].astimezone(ZONE).hour for d in world.duties(schedule="rounds")})
    assert due == [10, 12]
    saturday = dt.datetime(2026, 6, 6, 9, 0, tzinfo=ZONE)
    assert generate(world.engine, runtime, now=saturday, names=["rounds"])[0].created == 0
    natural = world.with_schedule(every="2h", during="08:00-13:00", mode="expect",
                    calendar="natural")
    assert generate(world.engine, natural, now=saturday + dt.timedelta(days=1),
                    names=["rounds"])[0].created == 6


def test_a_record_made_for_another_duty_does_not_meet_an_expected_one(
        world: DutyWorld) -> None:
    run_duties(world.engine, world.runtime, now=START)
    node = world.node_id("C1G2")
    made = world.duties(schedule="natural", node=node, period="2026-06-01")[0]
    with world.engine.connect() as conn:
        worker = load_user(conn, world.schema, "w3")
    take_action(world.engine, world.runtime, worker, "patrol", made["record"], "finish",
                version=1, values={"findings": "无异常"},
                clock=lambda: START + dt.timedelta(hours=1))
    assert run_duties(world.engine, world.runtime,
                      now=START + dt.timedelta(hours=2)).settled == 1
    assert world.duties(id=made["id"])[0]["state"] == "done"
    # The grid's daily patrol still waits for a patrol reported as one.
    assert [d["state"] for d in world.duties(schedule="patrol", node=node)] == ["open"]


def test_intervals_on_a_day_the_clocks_change_keep_their_length_and_window() -> None:
    """Where the zone changes its clocks (a deployment outside China), each interval is
    still two hours long and the day's window is read on that day's wall clock."""
    from zoneinfo import ZoneInfo

    from gridwork.config.models import Schedule
    from gridwork.config.models.organisation import Calendar
    from gridwork.duties.periods import period_at, slots
    from gridwork.time.calendar import BusinessCalendar

    berlin = ZoneInfo("Europe/Berlin")
    calendar = BusinessCalendar.from_config(Calendar(holidays="none"), berlin)
    schedule = Schedule.model_validate({
        "name": "rounds", "label": "巡更", "each": "grid", "creates": "patrol", "assign": "w",
        "every": "2h", "during": "00:00-08:00", "calendar": "natural"})
    day = period_at("day", dt.datetime(2026, 3, 29, 12, tzinfo=berlin), calendar)  # CET→CEST
    found = slots(schedule, day, calendar)
    assert [(s.starts_at.astimezone(berlin).hour, s.due_at - s.starts_at) for s in found] == [
        (0, dt.timedelta(hours=2)), (3, dt.timedelta(hours=2)), (5, dt.timedelta(hours=2))]
    assert found[-1].due_at.astimezone(berlin).hour == 7   # 8:00 local is 6h after midnight
