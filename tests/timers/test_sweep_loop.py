"""The embedded timer loop: sweeping and delivering in a thread of `gridwork serve`, with
e-mail reaching a real SMTP server on loopback; and serve leaving it to Celery workers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from notify.notify_support import Mailbox, free_port, smtp_server
from support import run_cli
from sweep_world import HOUR, START, SweepWorld

from gridwork.sweep.loop import TimerThread


@pytest.fixture
def mailbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Mailbox]:
    """A plain SMTP server on loopback, named by GRIDWORK_SMTP_URL."""
    box = Mailbox()
    server = smtp_server(box)
    monkeypatch.setenv("GRIDWORK_SMTP_URL", f"smtp://127.0.0.1:{server.port}")
    monkeypatch.setenv("GRIDWORK_SMTP_FROM", "grid@example.org")
    yield box
    server.stop()


def until(done: Callable[[], bool], seconds: float = 20.0) -> None:
    """Wait for another thread or process to get something done."""
    give_up = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < give_up, "gave up waiting"
        time.sleep(0.02)


def test_loop_sweeps_then_mails_reminders_and_escalations(world: SweepWorld,
                                                         mailbox: Mailbox) -> None:
    record = world.create()
    loop = TimerThread(world.engine, world.runtime, interval=3600,
                       clock=lambda: START + 6 * HOUR)
    loop.start()
    until(lambda: loop.ticks >= 1)
    loop.stop()
    assert not loop.running
    mails = sorted((m["To"], m["Subject"].split("】")[0] + "】") for m in mailbox.mails)
    assert mails == [("head@example.org", "【督办】"), ("leader@example.org", "【催办】"),
                     ("leader@example.org", "【督办】"), ("officer@example.org", "【督办】")]
    assert all(f"/registers/event/{record.id}" in m.get_content() for m in mailbox.mails)
    statuses = {(m["channel"], m["status"]) for m in world.rows("outbox", record.id)}
    assert statuses == {("inbox", "sent"), ("email", "sent")}


def test_serve_sweeps_in_process(world: SweepWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    record = world.create()
    monkeypatch.delenv("GRIDWORK_BROKER_URL", raising=False)
    seen: list[list[str]] = []

    def serving(app: Any, **options: Any) -> None:  # the server runs until the loop has swept
        assert "gridwork-timers" in [thread.name for thread in threading.enumerate()]
        until(lambda: "escalate" in world.actions(record.id))
        seen.append(world.actions(record.id))

    monkeypatch.setattr("uvicorn.run", serving)
    code, out, _ = run_cli("serve", str(world.deployment.root), "--db", world.url)
    assert code == 0 and "timers: swept and messages delivered in-process every 30s" in out
    assert seen and seen[0][:3] == ["remind", "overdue", "escalate"]


def test_serve_leaves_timers_to_workers_when_a_broker_is_set(
        sqlite_world: SweepWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    record = sqlite_world.create()
    monkeypatch.setenv("GRIDWORK_BROKER_URL", "redis://127.0.0.1:6379/15")
    threads: list[str] = []
    monkeypatch.setattr("uvicorn.run", lambda app, **options: threads.extend(
        thread.name for thread in threading.enumerate()))
    code, out, _ = run_cli("serve", str(sqlite_world.deployment.root), "--db", sqlite_world.url)
    assert code == 0
    assert "GRIDWORK_BROKER_URL is set, so `gridwork worker` sweeps timers" in out
    assert threads and "gridwork-timers" not in threads
    assert sqlite_world.actions(record.id) == []


def test_worker_needs_a_broker(sqlite_world: SweepWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GRIDWORK_BROKER_URL", raising=False)
    code, _, err = run_cli("worker", str(sqlite_world.deployment.root), "--db", sqlite_world.url)
    assert code == 1 and "set GRIDWORK_BROKER_URL" in err


def test_a_served_deployment_sweeps_and_stops_cleanly_on_interrupt(
        sqlite_world: SweepWorld, tmp_path: Path) -> None:
    record = sqlite_world.create()
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key != "GRIDWORK_BROKER_URL"}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2] / "platform")
    with (tmp_path / "serve.log").open("w+") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gridwork", "serve", str(sqlite_world.deployment.root),
             "--db", sqlite_world.url, "--port", str(port)],
            env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            until(lambda: _answers(port) and "escalate" in sqlite_world.actions(record.id))
        finally:
            server.send_signal(signal.SIGINT)
            code = server.wait(20)
        log.seek(0)
        output = log.read()
    assert code == 0, output
    assert "timers: swept and messages delivered in-process every 30s" in output


def _answers(port: int) -> bool:
    """Whether the server answers HTTP on ``port`` (any status)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/signin", timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
