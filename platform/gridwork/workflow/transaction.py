"""One transaction per engine call, whether the caller hands in an engine or a connection."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine

from ..storage.writes import WHOLE_OPTION, begin_write, writing


@contextmanager
def transaction(conn_or_engine: Connection | Engine) -> Iterator[Connection]:
    """Begin a write transaction (a savepoint inside the caller's, unless the caller rolls
    its transaction back whole on an error: `WHOLE_OPTION`); commit on success, else roll
    back, so a refused or failed call leaves nothing behind. On SQLite a transaction begun
    here takes the write lock first (see storage.writes)."""
    if isinstance(conn_or_engine, Engine):
        with writing(conn_or_engine) as conn:
            yield conn
        return
    conn = conn_or_engine
    if conn.in_transaction():
        if conn.get_execution_options().get(WHOLE_OPTION, False):
            yield conn
            return
        with conn.begin_nested():
            yield conn
        return
    with begin_write(conn):
        yield conn
