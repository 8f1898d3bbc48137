"""Generation writes each duty once, on the business calendar, assigned and sampled in SQL."""

from __future__ import annotations

import datetime as dt
import math
import threading
from collections import Counter

from duty_world import START, ZONE, DutyWorld
from sqlalchemy import select

from gridwork.duties.generate import generate, generate_period
from gridwork.duties.periods import period_at
from gridwork.duties.records import precreate
from gridwork.storage.writes import writing


def _local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(ZONE)


def test_each_schedule_writes_its_period_once(world: DutyWorld) -> None:
    world.households({"1": 4, "2": 3, "3": 2})
    world.households({"1": 1}, status="gone")
    made = {g.schedule: g for g in generate(world.engine, world.runtime, now=START)}
    assert made["patrol"].created == 3                      # one per grid
    assert made["visit_twice"].created == 8                 # 4 class-1 households here, twice
    assert made["report"].created == 6                      # Monday and Thursday, 3 grids
    again = generate(world.engine, world.runtime, now=START + dt.timedelta(hours=3))
    assert again == []
    assert len(world.duties(schedule="patrol")) == 3
    tomorrow = generate(world.engine, world.runtime, now=START + dt.timedelta(days=1))
    assert [g.schedule for g in tomorrow] == ["patrol", "natural"]
    assert len(world.duties(schedule="patrol")) == 6


def test_times_split_the_period_and_due_times_follow_the_calendar(world: DutyWorld) -> None:
    world.households({"1": 1})
    generate(world.engine, world.runtime, now=START)
    first, second = world.duties(schedule="visit_twice")
    # June 2026: the first half is due at the 16th's midnight, the second at July 1st's.
    assert _local(first["due_at"]) == dt.datetime(2026, 6, 16, tzinfo=ZONE)
    assert _local(second["due_at"]) == dt.datetime(2026, 7, 1, tzinfo=ZONE)
    monday, thursday = world.duties(schedule="report", node=world.node_id("C1G1"))
    assert _local(monday["due_at"]) == dt.datetime(2026, 6, 2, tzinfo=ZONE)
    assert _local(thursday["due_at"]) == dt.datetime(2026, 6, 5, tzinfo=ZONE)


def test_a_duty_due_on_a_holiday_moves_to_the_next_working_day(world: DutyWorld) -> None:
    # 2026-10-01..07 is the National Day holiday; 2026-10-09 (Friday) is a working day.
    holiday = dt.datetime(2026, 10, 3, 9, 0, tzinfo=ZONE)
    generate(world.engine, world.runtime, now=holiday, names=["patrol", "natural"])
    business = world.duties(schedule="patrol")[0]
    natural = world.duties(schedule="natural")[0]
    assert _local(natural["due_at"]) == dt.datetime(2026, 10, 4, tzinfo=ZONE)
    assert _local(business["due_at"]) == dt.datetime(2026, 10, 9, tzinfo=ZONE)
    assert business["period"] == natural["period"] == "2026-10-03"


def test_several_holders_share_a_node_evenly_and_nobody_leaves_it_unassigned(
        world: DutyWorld) -> None:
    world.households({"1": 10})
    world.households({"1": 3}, node="C1G3")
    generate(world.engine, world.runtime, now=START, names=["visit_twice"])
    here = world.duties(schedule="visit_twice", node=world.node_id("C1G1"))
    assert Counter(d["assignee"] for d in here) == {world.users["w1"]: 10,
                                                    world.users["w2"]: 10}
    away = world.duties(schedule="visit_twice", node=world.node_id("C1G3"))
    assert {d["assignee"] for d in away} == {None}
    # The leader holds the role at the community: the nearest ancestor for every grid.
    generate(world.engine, world.runtime, now=START, names=["spot"])
    assert {d["assignee"] for d in world.duties(schedule="spot")} == {world.users["lead"]}


def test_sampling_takes_each_class_share_rounded_up_and_draws_the_same_again(
        world: DutyWorld) -> None:
    sizes = {"1": 37, "2": 41, "3": 3}
    world.households(sizes)
    made = generate(world.engine, world.runtime, now=START, names=["spot"])[0]
    rows = world.duties(schedule="spot")
    assert made.entries == 81 and made.sampled == len(rows)
    table = world.schema.table("household")
    with world.engine.connect() as conn:
        classes = dict(conn.execute(table.select().with_only_columns(
            table.c.id, table.c.visit_class)).all())
    drawn = Counter(classes[d["entry"]] for d in rows)
    rates = {"1": 0.5, "2": 0.3, "3": 0.2}
    assert drawn == {code: math.ceil(size * rates[code]) for code, size in sizes.items()}
    # The same schedule and period draw the same entries, another period others.
    period = period_at("quarter", START, world.runtime.calendar)
    with world.engine.begin() as conn:
        from gridwork.duties.generate import preview
        again = preview(conn, world.runtime, world.deployment.schedules[3], period, START)
    assert again.sampled == made.sampled
    later = generate(world.engine, world.runtime, now=START + dt.timedelta(days=92),
                     names=["spot"])[0]
    assert later.period == "2026-Q3"
    first = {d["entry"] for d in rows}
    second = {d["entry"] for d in world.duties(schedule="spot", period="2026-Q3")}
    assert len(second) == len(first) and second != first


def test_two_concurrent_generators_write_each_duty_once(world: DutyWorld) -> None:
    world.households({"1": 300})
    schedule = next(s for s in world.deployment.schedules if s.name == "visit_twice")
    period = period_at(schedule.every, START, world.runtime.calendar)
    barrier = threading.Barrier(2)
    created: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            from gridwork.storage.writes import writing
            with writing(world.engine) as conn:
                created.append(generate_period(conn, world.runtime, schedule, period,
                                               START).created)
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(created) == [0, 600]
    rows = world.duties(schedule="visit_twice")
    assert len(rows) == 600
    assert len({(d["entry"], d["occurrence"]) for d in rows}) == 600
    # `mode: create`: each duty got one record of its own, whoever generated it.
    visits = world.schema.table("visit")
    with world.engine.connect() as conn:
        linked = conn.execute(visits.select().with_only_columns(visits.c.id, visits.c.duty)).all()
    assert len(linked) == 600
    assert {d["record"]: d["id"] for d in rows} == dict(linked)


def test_an_entry_added_mid_period_gets_the_duties_still_ahead(world: DutyWorld) -> None:
    world.households({"1": 2})
    generate(world.engine, world.runtime, now=START, names=["visit_twice"])
    assert len(world.duties(schedule="visit_twice")) == 4
    assert generate(world.engine, world.runtime, now=START + dt.timedelta(hours=1),
                    names=["visit_twice"]) == []
    world.households({"1": 1}, node="C1G2")     # dated START: no newer than the mark
    later = START + dt.timedelta(days=20)
    table = world.schema.table("household")
    with world.engine.begin() as conn:
        conn.execute(table.insert().values(node=world.node_id("C1G2"), created_at=later,
                                           updated_at=later, version=1, visit_class="1",
                                           status="here"))
        conn.execute(table.insert().values(node=world.node_id("C1G2"), created_at=later,
                                           updated_at=later, version=1, visit_class="2",
                                           status="here"))
    made = generate(world.engine, world.runtime, now=later, names=["visit_twice"])
    # Two households come on the 21st: C1G2's class-1 ones (the one found then included)
    # get the second half's duty, the first half being past; the class-2 one none.
    assert [g.created for g in made] == [2]
    assert len(world.duties(schedule="visit_twice")) == 6
    assert generate(world.engine, world.runtime, now=later + dt.timedelta(hours=1),
                    names=["visit_twice"]) == []


def test_two_generators_make_one_record_per_duty_that_has_none(world: DutyWorld) -> None:
    """A schedule changed from expecting to creating: its duties of the period have no
    records yet, and two generators at once make one record for each."""
    expecting = world.with_schedule(every="day", mode="expect")
    generate(world.engine, expecting, now=START, names=["rounds"])
    creating = world.with_schedule(every="day")
    schedule = next(s for s in creating.deployment.schedules if s.name == "rounds")
    period = period_at(schedule.every, START, creating.calendar).key
    barrier = threading.Barrier(2)
    made: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            with writing(world.engine) as conn:
                made.append(precreate(conn, creating, schedule, period, START))
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    rounds = world.duties(schedule="rounds")
    assert sorted(made) == [0, len(rounds)] and len(rounds) == 3
    patrols = world.schema.table("patrol")
    with world.engine.connect() as conn:
        linked = conn.execute(select(patrols.c.id, patrols.c.duty).where(
            patrols.c.duty.in_([d["id"] for d in rounds]))).all()
    assert {d["record"]: d["id"] for d in rounds} == dict(linked)
