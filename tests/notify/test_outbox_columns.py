"""The outbox columns delivery needs are added to a database that already holds messages."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine

from gridwork.config import Deployment
from gridwork.storage import migrate

ADDED = ("status", "key", "cause", "step", "receipt", "read_at", "digest_of")
INDEXES = ("ix_outbox_status", "ix_outbox_key", "ix_outbox_digest_of")


def test_an_older_outbox_gains_the_columns_and_keeps_its_messages(
        tmp_path: Path, community: Deployment) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    migrate(url, community, echo=lambda _: None)
    engine = create_engine(url)
    with engine.begin() as conn:  # the outbox as it was before delivery existed
        for index in INDEXES:
            conn.exec_driver_sql(f"DROP INDEX {index}")
        for column in ADDED:
            conn.exec_driver_sql(f"ALTER TABLE outbox DROP COLUMN {column}")
        conn.exec_driver_sql("INSERT INTO outbox (channel, created_at, due_at, attempts) "
                             "VALUES ('inbox', '2026-01-01', '2026-01-01', 0)")
    said: list[str] = []
    migrate(url, community, echo=said.append)
    assert "migrated: the database now matches" in said[-1]
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT status, key FROM outbox").all() == [("pending", None)]
    engine.dispose()
