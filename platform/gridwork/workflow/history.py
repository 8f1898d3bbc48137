"""The history table: one typed row per change, written with it; read back as a timeline.

Every history row is written here: one change by `write`, many by `write_many` (an import,
demo data, a re-gridded tree), and the sweep's `overdue` rows set-based by
`write_selected` (or, inside the sweep's claim statement, by `insert_selected`).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Connection,
    Insert,
    Select,
    String,
    Table,
    bindparam,
    func,
    insert,
    literal,
    select,
)

from ..storage import Schema
from ..storage.history_kinds import ACTIONS, Kind
from ..storage.system import CONFIG_DIGITS
from ..storage.types import UTCDateTime

__all__ = ["ACTIONS", "Change", "Entry", "Kind", "insert_selected", "jsonable",
           "overdue_rows", "replay", "timeline", "write", "write_many", "write_selected"]


@dataclass(frozen=True)
class Change:
    """One history row to write: what kind of change, on which record, by whom."""

    kind: Kind
    register: str
    record: int
    at: dt.datetime
    actor: int | None = None
    """None for the system's own steps."""
    action: str | None = None
    """A move's transition, a plugin action's or a seeded step's name; others: the kind's."""
    from_state: str | None = None
    to_state: str | None = None
    round: int | None = None
    comment: str | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None

    def row(self) -> dict[str, Any]:
        """The history row's column values."""
        action = self.action or ACTIONS.get(self.kind)
        if action is None:
            raise ValueError(f"a '{self.kind}' history row needs its action's name")
        return {"register": self.register, "record": self.record, "at": self.at,
                "actor": self.actor, "from_state": self.from_state, "to_state": self.to_state,
                "round": self.round, "comment": self.comment, "kind": self.kind.value,
                "action": action, "before": jsonable(self.before) or None,
                "after": jsonable(self.after) or None}


@dataclass(frozen=True)
class Entry:
    """One step of a record's timeline."""

    at: dt.datetime
    actor: int | None
    """None for the system's own steps."""
    actor_name: str | None
    kind: Kind
    action: str
    from_state: str | None
    to_state: str | None
    round: int | None
    comment: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    config: str | None = None
    """The config version the step was taken under (the first digits of its hash)."""


def write(conn: Connection, schema: Schema, change: Change) -> None:
    """Append one history row, in the caller's transaction."""
    conn.execute(_inserting(schema.system("history")), change.row() | _version(schema))


@functools.lru_cache(maxsize=64)
def _inserting(history: Table) -> Insert:
    """The INSERT of history rows, built once (its values are the execution's)."""
    return insert(history)


def write_many(conn: Connection, schema: Schema, changes: Sequence[Change]) -> None:
    """Append many history rows with one statement (an import, demo data, a tree change)."""
    if changes:
        version = _version(schema)
        conn.execute(insert(schema.system("history")), [c.row() | version for c in changes])


def _version(schema: Schema) -> dict[str, str | None]:
    """The config version a row is written under (it planned any deadline the step set)."""
    return {"config": schema.deployment.source_hash[:CONFIG_DIGITS] or None}


SELECTED_COLUMNS = ("register", "record", "at", "kind", "action", "round", "after")
"""The history columns `overdue_rows` fills, in its order."""


def overdue_rows(dialect: str, timer: Any, now: dt.datetime) -> Select[Any]:
    """The `overdue` history row of each deadline timer (``timer``: the columns of the
    timers table, or of a query over it), in `SELECTED_COLUMNS` order; join and filter it
    to the timers that fire."""
    as_json = func.json_build_object if dialect == "postgresql" else func.json_object
    return select(timer.register, timer.record, literal(now, UTCDateTime),
                  literal(Kind.OVERDUE.value), literal(ACTIONS[Kind.OVERDUE]), timer.round,
                  as_json("state", timer.state))


def insert_selected(schema: Schema, rows: Select[Any]) -> Insert:
    """The INSERT of the history rows ``rows`` selects (see `overdue_rows`), for a
    statement that writes them along with other changes; each names the config version."""
    version = literal(_version(schema)["config"], String)
    return insert(schema.system("history")).from_select(
        [*SELECTED_COLUMNS, "config"], rows.add_columns(version))


def write_selected(conn: Connection, schema: Schema, rows: Select[Any]) -> int:
    """Append the history rows ``rows`` selects, set-based; return how many."""
    return int(conn.execute(insert_selected(schema, rows)).rowcount)


def timeline(conn: Connection, schema: Schema, register: str, record_id: int) -> list[Entry]:
    """Every history row of a record, oldest first, every round included."""
    query = _timeline(schema.system("history"), schema.system("users"))
    return [Entry(row.at, row.actor, row.username, Kind(row.kind), row.action, row.from_state,
                  row.to_state, row.round, row.comment, row.before, row.after, row.config)
            for row in conn.execute(query, {"_register": register, "_record": record_id})]


@functools.lru_cache(maxsize=64)
def _timeline(history: Table, users: Table) -> Select[Any]:
    """A record's history rows (``:_register``, ``:_record``) with their actors' names."""
    return (select(history, users.c.username)
            .outerjoin(users, users.c.id == history.c.actor)
            .where(history.c.register == bindparam("_register"),
                   history.c.record == bindparam("_record"))
            .order_by(history.c.id))


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


def jsonable(values: dict[str, Any] | None) -> dict[str, Any]:
    """Values as JSON keeps them: dates as ISO text, decimals as text, points as lists."""
    def one(value: Any) -> Any:
        if isinstance(value, dt.date | dt.datetime):
            return value.isoformat()
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, tuple | list):
            return [one(item) for item in value]
        return value
    return {name: one(value) for name, value in (values or {}).items()}
