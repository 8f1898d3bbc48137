"""Write transactions that wait their turn, and the database errors that mean "busy, try
again later" rather than "broken".

SQLite has one writer at a time. A transaction begun with a plain (deferred) BEGIN that
later writes is refused at once when another writer got there first — SQLite will not wait
for it, whatever ``busy_timeout`` says, since both could be waiting for each other. So every
write transaction begins IMMEDIATE: it takes the write lock first, waiting up to
`LOCK_WAIT_SECONDS` for it, and reads inside it see the latest data. Writers queue on locks
of their own first (`_Queue`): SQLite's busy handler polls slowly, and under load a polling
writer can lose its turn again and again until its timeout runs out. Reads begin deferred and
never turn into writes (write code goes through `writing`, or ``engine.begin()``, which
engines from `make_engine` route here).

PostgreSQL runs writers side by side but may abort one of two that collide (a deadlock, a
serialization failure); such a transaction left nothing behind and may simply run again,
which `retrying` does a bounded number of times. Past the bounds the error stands, and
`unavailable` tells the web layer to answer 503 with ``Retry-After`` instead of 500.
"""

from __future__ import annotations

import fcntl
import os
import random
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import Connection, Engine, RootTransaction
from sqlalchemy.exc import DBAPIError

WRITE_OPTION = "gridwork_write"
"""The mark, in a SQLite connection's ``info``, that makes the transaction begun on it
BEGIN IMMEDIATE (see `begin_write`)."""

WHOLE_OPTION = "gridwork_whole"
"""The execution option its owner sets on a connection whose transaction it rolls back
whole when a call inside it raises (an API request's): a refused engine call inside it then
needs no savepoint to leave nothing behind."""

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
    """A SQLite write waited `LOCK_WAIT_SECONDS` behind other writers."""


class _Queue:
    """The writers of one SQLite database: the threads of this process take turns on a
    lock, and processes on a file lock beside the database (``…-writers``), which a waiter
    asks for every few milliseconds — SQLite's own busy handler sleeps up to 100 ms between
    tries, so a process that writes again and again (a delivery run) would starve it."""

    def __init__(self, database: str | None) -> None:
        self.threads = threading.Lock()
        self.path = f"{database}-writers" if database and database != ":memory:" else None
        self.owner: int | None = None

    @contextmanager
    def turn(self) -> Iterator[bool]:
        """Wait for this thread's turn; yield whether it is the outermost (a thread already
        writing gets no second turn: its second connection begins deferred, as before)."""
        if self.owner == threading.get_ident():
            yield False
            return
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        if not self.threads.acquire(timeout=LOCK_WAIT_SECONDS):
            raise WriteQueueTimeout(f"no turn to write within {LOCK_WAIT_SECONDS} s")
        try:
            with self._file(deadline):
                self.owner = threading.get_ident()
                try:
                    yield True
                finally:
                    self.owner = None
        finally:
            self.threads.release()

    @contextmanager
    def _file(self, deadline: float) -> Iterator[None]:
        if self.path is None:
            yield
            return
        waiting = os.open(f"{self.path}-waiting", os.O_RDWR | os.O_CREAT, 0o600)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(waiting, fcntl.LOCK_SH)  # "a writer is waiting", while it waits
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise WriteQueueTimeout(
                            f"no turn to write within {LOCK_WAIT_SECONDS} s") from None
                    time.sleep(0.002)
            fcntl.flock(waiting, fcntl.LOCK_UN)
            yield
        finally:
            os.close(fd)  # releases the lock
            others = _held(waiting)
            os.close(waiting)
        if others:  # step back a moment so that a waiting process gets its turn
            time.sleep(0.02)


def _held(fd: int) -> bool:
    """Whether another process holds a lock on ``fd``'s file."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    fcntl.flock(fd, fcntl.LOCK_UN)
    return False


_QUEUES: weakref.WeakKeyDictionary[object, _Queue] = weakref.WeakKeyDictionary()
_QUEUES_LOCK = threading.Lock()


@contextmanager
def _turn(engine: Engine) -> Iterator[bool]:
    """On SQLite, wait behind the other writers to the same database; yield whether this
    transaction should take the write lock at once (always on PostgreSQL, where the option
    means nothing)."""
    if engine.dialect.name != "sqlite":
        yield True
        return
    with _QUEUES_LOCK:
        queue = _QUEUES.get(engine.pool)
        if queue is None:
            queue = _QUEUES[engine.pool] = _Queue(engine.url.database)
    with queue.turn() as outermost:
        yield outermost


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A write transaction on ``engine``: on SQLite it holds the write lock from its first
    statement (waiting its turn for it); committed on success, else rolled back."""
    with _turn(engine) as first, engine.connect() as conn, begin_write(conn, first):
        yield conn


def begin_write(conn: Connection, immediate: bool = True) -> RootTransaction:
    """Begin ``conn``'s transaction; ``immediate``: as a write, which on SQLite takes the
    write lock from its BEGIN (the engine's dialect reads the mark while it begins)."""
    info = conn.connection.info
    info[WRITE_OPTION] = immediate
    try:
        return conn.begin()
    finally:
        del info[WRITE_OPTION]


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
