"""Which of several processes serving one PostgreSQL database runs the timer loop.

Every `gridwork serve` process (and every web worker of `--workers N`) starts a timer
thread, but only the one holding a PostgreSQL session advisory lock ticks; the others ask
for the lock at each tick, so when its holder stops (or its connection dies) another takes
over within one interval. On SQLite one process serves the database, which is its own
leader.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Connection, Engine, text

log = logging.getLogger(__name__)

LOCK_KEY = 0x6772_6964_7469_6D65 & 0x7FFF_FFFF_FFFF_FFFF
"""The advisory lock's key ("gridtime"), the same in every process on the database."""


class Leadership:
    """Whether this process runs the timer loop now (asked before each tick)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._conn: Connection | None = None
        self._guard = threading.Lock()

    def held(self) -> bool:
        """True when this process holds the lock, taking it if it is free."""
        if self.engine.dialect.name != "postgresql":
            return True
        with self._guard:
            try:
                if self._conn is not None:
                    self._conn.exec_driver_sql("SELECT 1")
                    return True
                conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
                got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:key)"),
                                        {"key": LOCK_KEY}).scalar())
                if got:
                    self._conn = conn
                    log.info("timers: this process runs the timer loop")
                else:
                    conn.close()
                return got
            except Exception:  # noqa: BLE001 - a lost connection loses the lock; ask again
                self._drop()
                raise

    def release(self) -> None:
        """Give the lock up (closing its connection ends the session that holds it)."""
        with self._guard:
            self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.invalidate()
                self._conn.close()
            finally:
                self._conn = None
