"""A schedule guarded by a switch (`if:`) gives duties only where the switch is on, from the
moment it is switched on; switched off, the open ones not yet due are dropped."""

from __future__ import annotations

import datetime as dt
import threading

from duty_world import START, DutyWorld
from sqlalchemy import select

from gridwork.duties.generate import generate
from gridwork.duties.run import run_duties
from gridwork.workflow import load_user
from gridwork.workflow.switches import set_switch


def test_a_guarded_schedule_follows_its_switch_per_subtree(world: DutyWorld) -> None:
    runtime = world.with_schedule(every="day", mode="expect", **{"if": "emergency"})
    run_duties(world.engine, runtime, now=START)
    assert world.duties(schedule="rounds") == []
    with world.engine.connect() as conn:
        lead = load_user(conn, world.schema, "lead")

    def switch(on: bool, at: dt.datetime) -> None:
        set_switch(world.engine, runtime, lead, "patrol_flow", "emergency", "C1G1", on,
                   "汛期", clock=lambda: at)

    switch(True, START + dt.timedelta(hours=1))
    run_duties(world.engine, runtime, now=START + dt.timedelta(hours=1))
    made = world.duties(schedule="rounds")
    assert [(d["node"], d["state"]) for d in made] == [(world.node_id("C1G1"), "open")]
    # The next day it comes again, in that grid only.
    run_duties(world.engine, runtime, now=START + dt.timedelta(days=1))
    assert [d["period"] for d in world.duties(schedule="rounds", state="open")] \
        == ["2026-06-02"]
    switch(False, START + dt.timedelta(days=1, hours=2))
    later = run_duties(world.engine, runtime, now=START + dt.timedelta(days=1, hours=3))
    assert later.created == 0
    assert [d["state"] for d in world.duties(schedule="rounds")] == ["overdue", "dropped"]
    run_duties(world.engine, runtime, now=START + dt.timedelta(days=2))
    assert len(world.duties(schedule="rounds")) == 2


def test_two_generators_after_a_switch_write_each_duty_and_record_once(
        world: DutyWorld) -> None:
    runtime = world.with_schedule(every="day", **{"if": "emergency"})   # creates its records
    generate(world.engine, runtime, now=START, names=["rounds"])
    with world.engine.connect() as conn:
        lead = load_user(conn, world.schema, "lead")
    at = START + dt.timedelta(hours=1)
    set_switch(world.engine, runtime, lead, "patrol_flow", "emergency", "C1", True, "汛期",
               clock=lambda: at)
    barrier = threading.Barrier(2)
    made: list[int] = []

    def run() -> None:
        barrier.wait()
        made.append(sum(g.created for g in generate(world.engine, runtime, now=at,
                                                    names=["rounds"])))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == 2 and sum(made) == 3     # a failed thread would leave one count
    rows = world.duties(schedule="rounds")
    patrols = world.schema.table("patrol")
    with world.engine.connect() as conn:
        linked = conn.execute(select(patrols.c.duty, patrols.c.id).where(
            patrols.c.duty.in_([d["id"] for d in rows]))).all()
    assert len(rows) == 3 and dict(linked) == {d["id"]: d["record"] for d in rows}
