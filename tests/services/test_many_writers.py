"""Many people at once against a real `gridwork serve`: 8 API clients creating events side
by side, and every demo user signing in 4 times at once while the sweep writes, get no 5xx
— on SQLite every write waits its turn for the lock — and every acknowledged record is in
the database with its history row."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from serving import (COMMUNITY, PLATFORM, burst, community, prepare, serving, sign_in,
                     stored)
from sqlalchemy import Engine, insert, literal, select
from support import runtime_of

from gridwork.storage import build_schema, make_engine
from gridwork.storage.types import UTCDateTime
from gridwork.sweep.sweep import sweep

CLIENTS, EACH = 8, 20
"""8 clients at once; `gridwork bench`'s api_create_8_clients makes 250 each."""


@pytest.fixture(params=["sqlite", "postgresql"])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, int]:
    """A fresh database of the community deployment on each backend, and how many web
    processes serve it: one on SQLite, two (`--workers 2`) on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'community.sqlite3'}", 1
    pg_schema: Callable[[], str] = request.getfixturevalue("pg_schema")
    return pg_schema(), 2


def test_8_clients_creating_at_once_get_no_5xx_and_lose_nothing(served: tuple[str, int],
                                                                 tmp_path: Path) -> None:
    database, workers = served
    token = prepare(database)
    with serving(database, tmp_path / "serve.log", workers=workers) as server:
        answers = burst(server.base, token, "load", clients=CLIENTS, each=EACH)
        log = server.output()
    statuses = Counter(answer.status for answer in answers)
    assert statuses == {201: CLIENTS * EACH}, [a for a in answers if a.status != 201][:3]
    assert "Traceback" not in log

    engine = make_engine(database)
    try:
        rows = stored(engine, "load")
    finally:
        engine.dispose()
    assert {a.title: (a.record_id, 1) for a in answers} == rows, \
        "every 201 is in the database with its one create history row"


def test_every_demo_user_signing_in_4_times_at_once_while_the_sweep_runs(
        tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'community.sqlite3'}"
    prepare(database, records=48)
    deployment = community()
    users = list(deployment.roles)
    engine = make_engine(database)
    _reminders_every_6_hours(engine, 40)
    done, sweeps = threading.Event(), Counter[str]()

    def sweeping() -> None:
        # Sweep as of later and later instants, so each sweep has timers to fire (and
        # escalations to write) until the sign-ins are over.
        at = dt.datetime.now(dt.UTC)
        while not done.is_set() or not sweeps:
            at += dt.timedelta(hours=6, minutes=1)
            report = sweep(engine, runtime_of(deployment), now=at)
            sweeps["runs"] += 1
            sweeps["fired"] += report.fired_count

    with serving(database, tmp_path / "serve.log") as server:
        sweeper = threading.Thread(target=sweeping)
        sweeper.start()
        statuses: list[int] = []
        try:
            threads = [threading.Thread(target=lambda u=user: statuses.append(
                sign_in(server.base, u))) for user in users for _ in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        finally:
            done.set()
            sweeper.join()
            engine.dispose()
        log = server.output()
    assert Counter(statuses) == {303: 4 * len(users)}, "every sign-in succeeded"
    assert sweeps["fired"] > 0, "the sweep fired timers meanwhile"
    assert "Traceback" not in log


def _reminders_every_6_hours(engine: Engine, count: int) -> None:
    """Give every event ``count`` pending reminders, due 6 hours apart from now."""
    schema = build_schema(community())
    events, timers = schema.table("event"), schema.system("timers")
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        for n in range(1, count + 1):
            conn.execute(insert(timers).from_select(
                ["register", "record", "kind", "state", "round", "step", "due_at"],
                select(literal("event"), events.c.id, literal("reminder"), events.c.state,
                       events.c.round, literal(0),
                       literal(now + dt.timedelta(hours=6 * n), UTCDateTime))))


def test_serving_sqlite_on_several_processes_is_refused(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "gridwork", "serve", str(COMMUNITY), "--db",
         f"sqlite:///{tmp_path / 'community.sqlite3'}", "--workers", "2"],
        env={**os.environ, "PYTHONPATH": str(PLATFORM)}, capture_output=True, text=True,
        timeout=300, check=False)
    assert done.returncode == 1
    assert "--workers needs PostgreSQL" in done.stderr
    assert not (tmp_path / "community.sqlite3").exists(), "refused before opening anything"
