"""A real Celery worker with its beat, on Redis (or RabbitMQ) and PostgreSQL, fires an
escalation end to end: `gridwork worker` sweeps every `timers.interval` (here one second)
with no other help."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from timers.sweep_world import SweepWorld

PLATFORM = Path(__file__).resolve().parents[2] / "platform"


def test_worker_with_beat_fires_the_ladder(pg_world: SweepWorld, broker: str,
                                           tmp_path: Path) -> None:
    record = pg_world.create()  # months ago: everything on its ladder is due
    env = {**os.environ, "GRIDWORK_BROKER_URL": broker, "PYTHONPATH": str(PLATFORM)}
    log = (tmp_path / "worker.log").open("w+")
    worker = subprocess.Popen(
        [sys.executable, "-m", "gridwork", "worker", str(pg_world.deployment.root),
         "--db", pg_world.url, "--concurrency", "1"],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        give_up = time.monotonic() + 45
        while len(pg_world.rows("supervisions", record.id)) < 2:
            assert worker.poll() is None, _tail(log)
            assert time.monotonic() < give_up, _tail(log)
            time.sleep(0.2)
    finally:
        worker.terminate()
        worker.wait(30)
        log.close()
    row = pg_world.record(record.id)
    assert (row["node_code"], row["priority"]) == ("S1", "urgent")
    actions = pg_world.actions(record.id)
    assert actions[:3] == ["remind", "overdue", "escalate"]
    assert actions.count("escalate") == 3 and actions.count("move_up") == 2
    told = {(m["recipient"], m["channel"], m["status"]) for m in pg_world.rows("outbox", record.id)
            if m["channel"] == "inbox"}
    users = pg_world.users
    assert told == {(users["leader"], "inbox", "sent"), (users["head"], "inbox", "sent")}
    assert "worker for sweeptest: sweeping every 1s on " in (tmp_path / "worker.log").read_text()


def _tail(log: object) -> str:
    log.seek(0)  # type: ignore[attr-defined]
    return "worker output:\n" + log.read()[-3000:]  # type: ignore[attr-defined]
