"""The sweep under concurrency and failure: two sweeps at once on PostgreSQL fire each of
10,000 due timers exactly once; a sweep process killed mid-batch loses nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select
from timers.sweep_world import HOUR, START, SweepWorld

from gridwork.sweep.sweep import SweepReport, sweep

NOW = START + 10 * HOUR
PLATFORM = Path(__file__).resolve().parents[2] / "platform"


def _counts(world: SweepWorld) -> Counter[str]:
    history = world.schema.system("history")
    with world.engine.connect() as conn:
        return Counter(dict(conn.execute(select(history.c.action, func.count())
                                         .group_by(history.c.action)).all()))


def _pending(world: SweepWorld) -> int:
    timers = world.schema.system("timers")
    with world.engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(
            timers.c.fired_at.is_(None), timers.c.cancelled_at.is_(None))).scalar_one())


def test_two_sweeps_at_once_fire_each_of_10000_timers_once(pg_world: SweepWorld) -> None:
    world = pg_world
    records = world.bulk(9600)
    world.due(records, "deadline", 0, START + 4 * HOUR)
    world.due(records[:200], "reminder", 0, START + 3 * HOUR)
    world.due(records[200:400], "escalation", 0, START + 4 * HOUR)
    start = threading.Barrier(2)
    reports: list[SweepReport] = []

    def one() -> None:
        start.wait()
        reports.append(sweep(world.engine, world.runtime, now=NOW, batch=200))

    threads = [threading.Thread(target=one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # A timer whose record the other sweep held at that moment is left to the next sweep.
    left = {timer for report in reports for timer in report.deferred}
    after = sweep(world.engine, world.runtime, now=NOW)
    assert {fired.timer for fired in after.fired} == left - {
        fired.timer for report in reports for fired in report.fired}
    fired = Counter(f.timer for report in [*reports, after] for f in report.fired)
    assert len(fired) == 10_000 and set(fired.values()) == {1}
    assert all(report.fired for report in reports), "both sweeps took a share"
    assert _counts(world) == {"overdue": 9600, "remind": 200, "escalate": 200}
    assert _pending(world) == 0
    outbox = world.schema.system("outbox")
    with world.engine.connect() as conn:
        sent = conn.execute(select(outbox.c.cause, func.count(func.distinct(outbox.c.record)))
                            .group_by(outbox.c.cause)).all()
    assert dict(sent) == {"reminder": 200, "escalation": 200}


def test_a_sweep_killed_mid_batch_loses_nothing(any_world: SweepWorld, tmp_path: Path) -> None:
    world = any_world
    records = world.bulk(300)
    world.due(records, "deadline", 0, START + 4 * HOUR)
    world.due(records, "escalation", 0, START + 5 * HOUR)
    target = records[149]  # its escalation is the 50th timer of the 5th batch of 100
    script = tmp_path / "hang.py"
    script.write_text(f"""
import time
import datetime as dt
from gridwork import default_effects
from gridwork.config import load_deployment
from gridwork.config.plugin_checks import deployment_manager
from gridwork.plugins import hookimpl
from gridwork.runtime import Runtime
from gridwork.storage import make_engine
from gridwork.sweep.sweep import sweep


class Hang:
    @hookimpl
    def gridwork_escalation_actions(self):
        return {{"notify": self.notify}}

    def notify(self, firing, targets):
        if firing.record.id == {target}:
            print("inside the batch", flush=True)
            time.sleep(600)
        default_effects.tell(firing, targets)


deployment = load_deployment({str(world.deployment.root)!r})
manager = deployment_manager(deployment)
manager.add(Hang(), "hang", None)
sweep(make_engine({world.url!r}), Runtime.build(deployment, manager=manager),
      now=dt.datetime.fromisoformat({NOW.isoformat()!r}), batch=100)
""", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(PLATFORM)}
    child = subprocess.Popen([sys.executable, str(script)], env=env, stdout=subprocess.PIPE,
                             text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == "inside the batch\n"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        if child.stdout is not None:
            child.stdout.close()
    done = _counts(world)
    assert done == {"overdue": 300, "escalate": 100}, "four batches committed, not the 5th"
    assert _pending(world) == 200
    after = sweep(world.engine, world.runtime, now=NOW)
    assert [f.record for f in after.fired] == list(records[100:])
    history = world.schema.system("history")
    with world.engine.connect() as conn:
        per_record = Counter(conn.execute(
            select(history.c.record, history.c.action)).all())
    assert set(per_record.values()) == {1} and len(per_record) == 600
    assert _pending(world) == 0
