"""Write transactions that wait their turn, and the database errors that mean "busy, try
again later" rather than "broken".

SQLite has one writer at a time. A transaction begun with a plain (deferred) BEGIN that
later writes is refused at once when another writer got there first — SQLite will not wait
for it, whatever ``busy_timeout`` says, since both could be waiting for each other. So every
write transaction begins IMMEDIATE: it takes the write lock first, waiting up to
`LOCK_WAIT_SECONDS` for it, and reads inside it see the latest data. Within one process the
writers queue on a lock of their own first: SQLite's busy handler polls, and under load a
polling writer can lose its turn again and again until its timeout runs out. Reads begin deferred and
never turn into writes (write code goes through `writing`, or ``engine.begin()``, which
engines from `make_engine` route here).

PostgreSQL runs writers side by side but may abort one of two that collide (a deadlock, a
serialization failure); such a transaction left nothing behind and may simply run again,
which `retrying` does a bounded number of times. Past the bounds the error stands, and
`unavailable` tells the web layer to answer 503 with ``Retry-After`` instead of 500.
"""

from __future__ import annotations

import random
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

WRITE_OPTION = "gridwork_write"
"""The execution option that makes a SQLite connection's next transaction BEGIN IMMEDIATE."""

LOCK_WAIT_SECONDS = 30
"""How long a SQLite write waits for its turn (the process's queue, then ``busy_timeout``)
before the request is answered 503."""

ATTEMPTS = 4
"""Runs of a PostgreSQL transaction aborted by a deadlock or serialization failure."""

RETRY_AFTER_SECONDS = 2
"""What a 503 for a busy or unreachable database asks the client to wait."""

RETRIABLE_STATES = frozenset({"40001", "40P01"})
"""PostgreSQL's serialization failure and deadlock: the transaction may run again."""

_UNAVAILABLE_STATE_PREFIXES = ("08", "57P", "53", "55P03", "40001", "40P01")
"""Connection failures, the server shutting down or starting, out of resources, a lock not
available, and the retriable ones once the retries are spent."""

_SQLITE_BUSY = ("database is locked", "database table is locked", "database is busy")

T = TypeVar("T")


class WriteQueueTimeout(Exception):
    """A SQLite write waited `LOCK_WAIT_SECONDS` behind this process's other writers."""


_QUEUES: weakref.WeakKeyDictionary[object, threading.RLock] = weakref.WeakKeyDictionary()
_QUEUES_LOCK = threading.Lock()


@contextmanager
def _turn(engine: Engine) -> Iterator[None]:
    """On SQLite, wait behind this process's other writers to the same database."""
    if engine.dialect.name != "sqlite":
        yield
        return
    with _QUEUES_LOCK:
        queue = _QUEUES.setdefault(engine.pool, threading.RLock())
    if not queue.acquire(timeout=LOCK_WAIT_SECONDS):
        raise WriteQueueTimeout(f"no turn to write within {LOCK_WAIT_SECONDS} s")
    try:
        yield
    finally:
        queue.release()


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A write transaction on ``engine``: on SQLite it holds the write lock from its first
    statement (waiting its turn for it); committed on success, else rolled back."""
    with _turn(engine), engine.connect() as conn:
        conn.execution_options(**{WRITE_OPTION: True})
        with conn.begin():
            yield conn


def retriable(err: BaseException) -> bool:
    """Whether ``err`` aborted a transaction that may simply run again."""
    return isinstance(err, DBAPIError) and _sqlstate(err) in RETRIABLE_STATES


def unavailable(err: BaseException) -> bool:
    """Whether ``err`` means the database is busy or out of reach for now (so the request
    may be tried again later), not that the request or the code is wrong."""
    if isinstance(err, WriteQueueTimeout):
        return True
    if not isinstance(err, DBAPIError):
        return False
    if err.connection_invalidated:
        return True
    message = str(err.orig).lower()
    if any(text in message for text in _SQLITE_BUSY):
        return True
    state = _sqlstate(err)
    if state is not None:
        return state.startswith(_UNAVAILABLE_STATE_PREFIXES)
    # psycopg raises OperationalError without a state when it cannot connect at all.
    return type(err.orig).__module__.startswith("psycopg") and \
        type(err.orig).__name__ == "OperationalError"


def retrying(work: Callable[[], T], *, attempts: int = ATTEMPTS) -> T:
    """Run ``work`` (one whole transaction), again after a short random pause when the
    database aborted it as retriable, up to ``attempts`` runs in all."""
    attempt = 1
    while True:
        try:
            return work()
        except DBAPIError as err:
            if attempt >= attempts or not retriable(err):
                raise
        time.sleep(random.uniform(0, 0.05 * 2 ** attempt))  # noqa: S311 - jitter only
        attempt += 1


def run_writing(engine: Engine, work: Callable[[Connection], T], *,
                attempts: int = ATTEMPTS) -> T:
    """Run ``work`` in a write transaction (`writing`), retried as `retrying` says."""
    def once() -> T:
        with writing(engine) as conn:
            return work(conn)
    return retrying(once, attempts=attempts)


def _sqlstate(err: DBAPIError) -> str | None:
    state = getattr(err.orig, "sqlstate", None) or getattr(err.orig, "pgcode", None)
    return str(state) if state else None
