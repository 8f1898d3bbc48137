"""`gridwork deliver` and two `gridwork sweep` started at the same moment on the default
SQLite database, ten times over: every process ends without a traceback (each write waits
its turn for the lock), and no e-mail is sent twice."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from notify.notify_support import Mailbox, smtp_server
from sqlalchemy import func, select
from timers.sweep_world import HOUR, START, SweepWorld, make_world

from gridwork.clock import utc_now
from gridwork.sweep.loop import deliver_due

PLATFORM = Path(__file__).resolve().parents[2] / "platform"
ROUNDS, PER_ROUND = 10, 12


@pytest.fixture
def mailbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Mailbox]:
    """A loopback SMTP server that keeps every mail, named by GRIDWORK_SMTP_URL."""
    box = Mailbox()
    server = smtp_server(box)
    monkeypatch.setenv("GRIDWORK_SMTP_URL", f"smtp://127.0.0.1:{server.port}")
    yield box
    server.stop()


def test_deliver_and_two_sweeps_at_once_ten_times(mailbox: Mailbox, tmp_path: Path) -> None:
    world = make_world(f"sqlite:///{tmp_path / 'sweep.sqlite3'}", tmp_path / "deployment")
    records = world.bulk(ROUNDS * PER_ROUND)
    env = {**os.environ, "PYTHONPATH": str(PLATFORM)}
    try:
        for n in range(ROUNDS):
            batch = records[n * PER_ROUND:(n + 1) * PER_ROUND]
            world.due(batch, "reminder", 0, START + n * HOUR)
            world.due(batch, "escalation", 0, START + n * HOUR)
            runs = [_gridwork(world, env, "deliver"),
                    *(_gridwork(world, env, "sweep", "--now",
                                (START + n * HOUR).isoformat()) for _ in range(2))]
            for run in runs:
                out, err = run.communicate(timeout=600)
                assert "Traceback" not in err, err
                assert run.returncode == 0, (out, err)
        deliver_due(world.engine, world.runtime, clock=utc_now)
        emails = _sent_emails(world)
    finally:
        world.engine.dispose()
    ids = Counter(str(mail["Message-ID"]) for mail in mailbox.mails)
    assert ids and set(ids.values()) == {1}, "no message sent twice"
    assert len(ids) == emails, "every e-mail the outbox marks sent arrived"


def _gridwork(world: SweepWorld, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "gridwork", args[0], str(world.deployment.root), "--db",
         world.url, *args[1:]], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)


def _sent_emails(world: SweepWorld) -> int:
    outbox = world.schema.system("outbox")
    with world.engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(
            outbox.c.channel == "email", outbox.c.status == "sent")).scalar_one())
