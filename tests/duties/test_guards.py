"""A schedule guarded by a switch (`if:`) gives duties only where the switch is on, from the
moment it is switched on; switched off, the open ones not yet due are dropped."""

from __future__ import annotations

import datetime as dt

from duty_world import START, DutyWorld

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
