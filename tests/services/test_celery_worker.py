"""A real Celery worker with its beat, on Redis (or RabbitMQ) and PostgreSQL, fires an
escalation end to end: `gridwork worker` sweeps every `timers.interval` (here one second)
with no other help."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from timers.sweep_world import SweepWorld

from gridwork.config import load_deployment
from gridwork.storage import build_schema
from gridwork.storage.version import record_version

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


def test_worker_follows_the_configuration_a_server_applied(
        pg_world: SweepWorld, broker: str, tmp_path: Path) -> None:
    """The worker keeps its configuration while its folder is not the applied version and
    says so in its log; once the applied version is its folder's, it swaps before the next
    task and the quick ladder sets the edited priority."""
    main = pg_world.deployment.root / "deployment.yaml"
    original = main.read_text(encoding="utf-8")
    assert original.count("priority: high}") == 1
    env = {**os.environ, "GRIDWORK_BROKER_URL": broker, "PYTHONPATH": str(PLATFORM)}
    output = tmp_path / "worker.log"
    log = output.open("w+")
    worker = subprocess.Popen(
        [sys.executable, "-m", "gridwork", "worker", str(pg_world.deployment.root),
         "--db", pg_world.url, "--concurrency", "1"],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        _wait(worker, log, lambda: "] succeeded in " in output.read_text())  # loaded
        main.write_text(original.replace("priority: high}", "priority: urgent}"),
                        encoding="utf-8")
        elsewhere = _apply(pg_world)  # applied by a server whose folder this one is not
        main.write_text(original.replace("priority: high}", "priority: normal}"),
                        encoding="utf-8")
        _wait(worker, log, lambda: f"configuration {elsewhere[:12]} not applied, still "
              f"running {pg_world.deployment.source_hash[:12]}: the folder "
              in output.read_text())
        here = _apply(pg_world)
        _wait(worker, log, lambda: f"configuration {here[:12]} applied, following the "
              "database" in output.read_text())
        record = pg_world.create("q")
        _wait(worker, log, lambda: pg_world.record(record.id)["priority"] is not None)
    finally:
        worker.terminate()
        worker.wait(30)
        log.close()
    assert pg_world.record(record.id)["priority"] == "normal"


def _apply(world: SweepWorld) -> str:
    """Store the folder's configuration as applied, as a server's reload does."""
    edited = load_deployment(world.deployment.root)
    with world.engine.begin() as conn:
        record_version(conn, build_schema(edited), dt.datetime.now(dt.UTC), "admin")
    return edited.source_hash


def _wait(worker: subprocess.Popen[bytes], log: object, done: Callable[[], bool]) -> None:
    give_up = time.monotonic() + 45
    while not done():
        assert worker.poll() is None, _tail(log)
        assert time.monotonic() < give_up, _tail(log)
        time.sleep(0.2)
