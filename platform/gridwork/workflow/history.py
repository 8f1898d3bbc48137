"""The history table: one row per change, written with it; read back as a timeline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select

from ..storage import Schema


@dataclass(frozen=True)
class Entry:
    """One step of a record's timeline."""

    at: dt.datetime
    actor: int | None
    """None for the system's own steps."""
    actor_name: str | None
    action: str
    from_state: str | None
    to_state: str | None
    round: int | None
    comment: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def write(conn: Connection, schema: Schema, register: str, record_id: int, *,
          actor: int | None, at: dt.datetime, action: str, from_state: str | None,
          to_state: str | None, round: int | None, comment: str | None = None,
          before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> None:
    """Append one history row."""
    conn.execute(insert(schema.system("history")).values(
        register=register, record=record_id, actor=actor, at=at, action=action,
        from_state=from_state, to_state=to_state, round=round, comment=comment,
        before=before or None, after=after or None))


def timeline(conn: Connection, schema: Schema, register: str, record_id: int) -> list[Entry]:
    """Every history row of a record, oldest first, every round included."""
    history, users = schema.system("history"), schema.system("users")
    query = (select(history, users.c.username)
             .outerjoin(users, users.c.id == history.c.actor)
             .where(history.c.register == register, history.c.record == record_id)
             .order_by(history.c.id))
    return [Entry(row.at, row.actor, row.username, row.action, row.from_state, row.to_state,
                  row.round, row.comment, row.before, row.after)
            for row in conn.execute(query)]


def replay(entries: Sequence[Entry]) -> str | None:
    """The state the timeline leads to; ValueError when a step does not start where the
    previous one ended."""
    state: str | None = None
    for entry in entries:
        if entry.to_state is None:
            continue
        if entry.from_state != state:
            raise ValueError(f"'{entry.action}' leaves '{entry.from_state}' but the record "
                             f"was in '{state}'")
        state = entry.to_state
    return state
