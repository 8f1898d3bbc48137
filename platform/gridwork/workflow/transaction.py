"""One transaction per engine call, whether the caller hands in an engine or a connection."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine


@contextmanager
def transaction(conn_or_engine: Connection | Engine) -> Iterator[Connection]:
    """Begin a transaction (a savepoint inside the caller's); commit on success, else roll
    back, so a refused or failed call leaves nothing behind."""
    if isinstance(conn_or_engine, Engine):
        with conn_or_engine.begin() as conn:
            yield conn
        return
    conn = conn_or_engine
    begin = conn.begin_nested if conn.in_transaction() else conn.begin
    with begin():
        yield conn
