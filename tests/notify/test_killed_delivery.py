"""A `gridwork deliver` process killed (SIGKILL) while sending: the next run finishes the
batch and every message reaches the SMTP server once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from notify_support import Clock, Database, Mailbox, add_user, outbox, remind, smtp_server
from support import CONFIGS, ROOT

from gridwork.notify import deliver_pending


@dataclass
class StallingMailbox(Mailbox):
    """A mailbox that stops answering at its second message until released."""

    stalled: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if len(self.mails) == 1 and not self.release.is_set():
            self.stalled.set()
            while not self.release.is_set():
                await asyncio.sleep(0.01)
            return "451 try again later"
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def stalling(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[StallingMailbox, str]]:
    box = StallingMailbox()
    server = smtp_server(box)
    url = f"smtp://127.0.0.1:{server.port}"
    monkeypatch.setenv("GRIDWORK_SMTP_URL", url)
    yield box, url
    box.release.set()
    server.stop()


def test_a_killed_delivery_is_finished_by_the_next_run(
        sqlite_db: Database, clock: Clock, stalling: tuple[StallingMailbox, str]) -> None:
    box, url = stalling
    clock.now = clock.now.replace(year=2020)  # due by the real clock the process reads
    for i in range(3):
        officer = add_user(sqlite_db.engine, f"officer{i}", ["street_officer"],
                           email=f"o{i}@example.org")
        remind(sqlite_db.engine, sqlite_db.deployment, clock, [officer], cause="escalation",
               template="escalation", record=i + 1)
    env = {**os.environ, "GRIDWORK_SMTP_URL": url,
           "PYTHONPATH": str(ROOT / "platform")}
    process = subprocess.Popen(
        [sys.executable, "-m", "gridwork", "deliver", str(CONFIGS / "community"),
         "--db", sqlite_db.url], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert box.stalled.wait(60), "the delivery process never reached the second message"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    box.release.set()
    assert len(box.mails) == 1
    counts = deliver_pending(sqlite_db.engine, sqlite_db.runtime, clock=clock)
    assert counts.sent == 2
    assert sorted(m["To"] for m in box.mails) == \
        ["o0@example.org", "o1@example.org", "o2@example.org"]
    assert all(row["status"] == "sent" for row in outbox(sqlite_db.engine))
