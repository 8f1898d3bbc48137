"""A plugin's escalation action runs in the sweep's transaction, or not at all."""

from __future__ import annotations

import datetime as dt

from plugin_world import NOW, World
from sqlalchemy import select
from support import runtime_of

from gridwork.sweep.sweep import sweep

LATER = NOW + dt.timedelta(hours=3)
"""Past the record's 2-working-hour limit: the ladder's first step is due."""


def test_an_escalation_action_of_a_plugin_fires_with_the_step(world: World) -> None:
    record = world.create("worker1", "井盖缺失")
    sweep(world.engine, world.runtime, now=LATER)
    assert "hotline" in world.history(record)
    assert world.history(record).index("escalate") < world.history(record).index("hotline")


def test_a_raising_escalation_action_leaves_the_timer_for_the_next_sweep(world: World) -> None:
    ladder = world.deployment.escalation["default"]
    jammed = (ladder[0].model_copy(update={"actions": ({"jam_hotline": "110"},)}), *ladder[1:])
    deployment = world.deployment.model_copy(
        update={"escalation": {**world.deployment.escalation, "default": jammed}})
    record = world.create("worker1", "井盖缺失")
    report = sweep(world.engine, runtime_of(deployment), now=LATER)
    (fired, error), = report.failed
    assert fired.kind == "escalation" and "plugin 'workshop' failed" in error
    assert "escalate" not in world.history(record)
    timers = world.schema.system("timers")
    with world.engine.connect() as conn:
        pending = conn.execute(select(timers.c.fired_at).where(
            timers.c.record == record.id, timers.c.kind == "escalation",
            timers.c.step == 0)).scalar_one()
    assert pending is None
    # Once the plugin works again, the next sweep fires the step.
    assert sweep(world.engine, world.runtime, now=LATER).failed == []
    assert "hotline" in world.history(record)
