"""A migration plan: each change in plain words, what it would lose, and how to apply it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alembic.operations import Operations
from sqlalchemy import Connection

from .exports import Export
from .schema import Schema


@dataclass
class Migrator:
    """What a step needs to apply itself: the connection, Alembic's operations, the clock."""

    conn: Connection
    ops: Operations
    schema: Schema
    now: dt.datetime
    export_dir: Path
    echo: Callable[[str], None]

    @property
    def sqlite(self) -> bool:
        """SQLite alters most things only by rebuilding the table."""
        return self.conn.dialect.name == "sqlite"

    @contextmanager
    def on(self, table: str) -> Iterator[Any]:
        """Operations for altering ``table``: batch mode on SQLite, direct elsewhere."""
        if self.sqlite:
            with self.ops.batch_alter_table(table, recreate="auto") as batch:
                yield batch
        else:
            yield self.ops


@dataclass
class Step:
    """One change: its description, and what it loses or why it cannot apply."""

    text: str
    run: Callable[[Migrator], None] | None = None
    loss: str | None = None
    """What applying it would destroy ("12 non-empty values"); None when nothing."""
    export: Export | None = None
    """Writes the data about to be lost to a CSV file before the step runs."""
    blocked: str | None = None
    """Why it cannot apply even with --allow-destructive, and what to do instead."""

    def line(self, allow_destructive: bool) -> str:
        """The plan line for this step."""
        if self.blocked:
            return f"CANNOT: {self.text} — {self.blocked}"
        if self.loss and not allow_destructive:
            return f"REFUSED: {self.text} — {self.loss} would be lost"
        if self.loss:
            return f"{self.text} — {self.loss} exported first, then lost"
        return self.text


@dataclass
class Plan:
    """Every step of a migration, in the order they apply."""

    steps: list[Step] = field(default_factory=list)

    def add(self, *steps: Step) -> None:
        """Append steps."""
        self.steps.extend(steps)

    def refused(self, allow_destructive: bool) -> list[Step]:
        """Steps that stop the migration."""
        return [s for s in self.steps if s.blocked or (s.loss and not allow_destructive)]

    def lines(self, allow_destructive: bool) -> list[str]:
        """The plan in plain words, one line per step."""
        return [s.line(allow_destructive) for s in self.steps]
