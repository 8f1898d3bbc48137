"""Faults under load against a real `gridwork serve`: the server killed with SIGKILL in the
middle of a burst of creates loses no acknowledged record and leaves a sound database; a
PostgreSQL server restarted in the middle of a burst makes requests fail cleanly (503 with
Retry-After) while it is down, and gridwork serves again by itself once it is back."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from serving import Answer, create, free_port, prepare, serving, stored
from sqlalchemy import text

from gridwork.storage import make_engine


class Burst:
    """8 clients creating events until stopped, each answer kept with the phase it began
    and ended in (the test moves the phase on as it breaks and mends things)."""

    def __init__(self, base: str, token: str, prefix: str) -> None:
        self.base, self.token, self.prefix = base, token, prefix
        self.phase = "up"
        self.answers: list[tuple[str, str, Answer]] = []
        self._stop = threading.Event()
        self._changed = threading.Condition()
        self._threads = [threading.Thread(target=self._client, args=(k,)) for k in range(8)]

    def __enter__(self) -> Burst:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def wait_for(self, done: Callable[[list[tuple[str, str, Answer]]], bool]) -> None:
        """Wait until ``done`` holds of the answers so far."""
        with self._changed:
            while not done(list(self.answers)):
                assert self._changed.wait(600), "the burst got stuck"

    def acknowledged(self) -> list[Answer]:
        """The answers that said 201."""
        return [answer for _, _, answer in self.answers if answer.status == 201]

    def _client(self, k: int) -> None:
        n = 0
        while not self._stop.is_set():
            began = self.phase
            answer = create(self.base, self.token, f"{self.prefix}-{k}-{n}")
            with self._changed:
                self.answers.append((began, self.phase, answer))
                self._changed.notify_all()
            n += 1
            if answer.status in (0, 503):
                time.sleep(0.05)  # as a client told to come back would, if briefly


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database of the community deployment on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'community.sqlite3'}"
    pg_schema: Callable[[], str] = request.getfixturevalue("pg_schema")
    return pg_schema()


def test_kill_9_during_a_burst_loses_no_acknowledged_record(database: str,
                                                             tmp_path: Path) -> None:
    token = prepare(database)
    with serving(database, tmp_path / "serve.log") as server:
        with Burst(server.base, token, "killed") as burst:
            burst.wait_for(lambda answers: sum(a.status == 201 for *_, a in answers) >= 24)
            server.kill()
        acknowledged = burst.acknowledged()
    assert all(answer.status in (201, 0) for *_, answer in burst.answers)
    with serving(database, tmp_path / "again.log") as server:
        assert create(server.base, token, "after-restart").status == 201
    engine = make_engine(database)
    try:
        rows = stored(engine, "killed")
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
                assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
    finally:
        engine.dispose()
    for answer in acknowledged:
        assert rows.get(answer.title) == (answer.record_id, 1), answer
    assert all(history == 1 for _, history in rows.values()), \
        "every stored record has its create history row (none is half-written)"


class PrivatePostgres:
    """A throwaway PostgreSQL server in a folder of its own, on a free port."""

    def __init__(self, bindir: Path, folder: Path, prefix: list[str]) -> None:
        self.bindir, self.folder, self.prefix = bindir, folder, prefix
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def initdb(self) -> None:
        """Make its data folder (trusting local connections)."""
        self._run("initdb", "-D", str(self.folder / "data"), "-A", "trust", "-U", "postgres")

    def start(self) -> None:
        """Start it and wait until it accepts connections."""
        self._ctl("start", "-o", f"-p {self.port} -k {self.folder} "
                  "-c listen_addresses=127.0.0.1")

    def stop(self, mode: str = "fast") -> None:
        """Stop it (``fast``: disconnect every client, as a restart does)."""
        self._ctl("stop", "-m", mode)

    def _ctl(self, action: str, *options: str) -> None:
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-l", str(self.folder / "log"),
                  "-w", action, *options)

    def _run(self, program: str, *args: str) -> None:
        subprocess.run([*self.prefix, str(self.bindir / program), *args], check=True,
                       capture_output=True, timeout=300)


@pytest.fixture
def private_postgresql() -> Iterator[PrivatePostgres]:
    """A started private PostgreSQL server (never the machine's shared one), removed
    afterwards; skipped when this machine has no initdb."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.skip("no /usr/lib/postgresql/*/bin/initdb to make a private server with")
    folder = Path(tempfile.mkdtemp(prefix="gridwork-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser to start PostgreSQL as postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
        shutil.chown(folder, "postgres")
    server = PrivatePostgres(Path(found[-1]).parent, folder, prefix)
    try:
        server.initdb()
        server.start()
        yield server
    finally:
        subprocess.run([*prefix, str(server.bindir / "pg_ctl"), "-D", str(folder / "data"),
                        "-m", "immediate", "stop"], capture_output=True, timeout=120)
        shutil.rmtree(folder, ignore_errors=True)


def test_postgresql_restarted_mid_burst_gives_503_then_recovers(
        private_postgresql: PrivatePostgres, tmp_path: Path) -> None:
    url = private_postgresql.url
    token = prepare(url)
    with serving(url, tmp_path / "serve.log") as server:
        with Burst(server.base, token, "restart") as burst:
            burst.wait_for(lambda answers: sum(a.status == 201 for *_, a in answers) >= 8)
            burst.phase = "stopping"
            private_postgresql.stop()
            burst.phase = "down"
            burst.wait_for(lambda answers: sum(b == e == "down" for b, e, _ in answers) >= 8)
            burst.phase = "starting"
            private_postgresql.start()
            burst.phase = "back"
            burst.wait_for(lambda answers: any(b == "back" and a.status == 201
                                               for b, _, a in answers))
    while_down = [answer for began, ended, answer in burst.answers if began == ended == "down"]
    assert {answer.status for answer in while_down} == {503}
    assert all(answer.retry_after for answer in while_down), "503 says when to come back"
    statuses = Counter(answer.status for *_, answer in burst.answers)
    assert set(statuses) <= {201, 503}, statuses
    engine = make_engine(url)
    try:
        rows = stored(engine, "restart")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()
    for answer in burst.acknowledged():
        assert rows.get(answer.title) == (answer.record_id, 1), answer
