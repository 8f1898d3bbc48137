"""Write transactions that wait their turn: on SQLite 8 threads reading a counter and
writing it back each lose nothing and meet no "database is locked"; on PostgreSQL two
transactions that deadlock are both done, the loser run again."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Column, Connection, Integer, MetaData, Table, select, update

from gridwork.storage import make_engine
from gridwork.storage.writes import run_writing

COUNTERS = Table("counters", MetaData(), Column("id", Integer, primary_key=True),
                 Column("value", Integer, nullable=False))


def test_8_threads_incrementing_on_sqlite_lose_no_update(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'counter.sqlite3'}")
    with engine.begin() as conn:
        COUNTERS.create(conn)
        conn.execute(COUNTERS.insert().values(id=1, value=0))
    errors: list[Exception] = []
    start = threading.Barrier(8)

    def increments() -> None:
        start.wait()
        for _ in range(25):
            try:
                # Read, then write what was read: a deferred transaction would be refused
                # ("database is locked") once another thread had written meanwhile.
                with engine.begin() as conn:
                    value = conn.execute(select(COUNTERS.c.value)).scalar_one()
                    conn.execute(update(COUNTERS).values(value=value + 1))
            except Exception as err:  # noqa: BLE001 - kept to be shown by the assertion
                errors.append(err)

    threads = [threading.Thread(target=increments) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with engine.connect() as conn:
        assert conn.execute(select(COUNTERS.c.value)).scalar_one() == 200
    engine.dispose()
    assert errors == []


def test_a_postgresql_deadlock_is_run_again(pg_schema: Callable[[], str]) -> None:
    engine = make_engine(pg_schema())
    with engine.begin() as conn:
        COUNTERS.create(conn)
        conn.execute(COUNTERS.insert(), [{"id": 1, "value": 0}, {"id": 2, "value": 0}])
    both_hold_one = threading.Barrier(2)
    runs: list[str] = []

    def crossing(first: int, second: int) -> Callable[[Connection], None]:
        def work(conn: Connection) -> None:
            runs.append(f"{first}->{second}")
            conn.execute(update(COUNTERS).where(COUNTERS.c.id == first)
                         .values(value=COUNTERS.c.value + 1))
            if len(runs) <= 2:  # the first run of each: both hold a row, want the other's
                both_hold_one.wait()
            conn.execute(update(COUNTERS).where(COUNTERS.c.id == second)
                         .values(value=COUNTERS.c.value + 1))
        return work

    threads = [threading.Thread(target=run_writing, args=(engine, crossing(a, b)))
               for a, b in ((1, 2), (2, 1))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with engine.connect() as conn:
        values = dict(conn.execute(select(COUNTERS.c.id, COUNTERS.c.value)).all())
    engine.dispose()
    assert values == {1: 2, 2: 2}, "both transactions done, each once"
    assert len(runs) == 3, "the one PostgreSQL chose as the deadlock's victim ran again"

