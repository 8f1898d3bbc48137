"""Write data a migration is about to destroy to a CSV file first."""

from __future__ import annotations

import csv
import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, MetaData, Table, select
from sqlalchemy.sql import ColumnElement

from .tabular import csv_cell


@dataclass(frozen=True)
class Export:
    """Rows of ``table`` (``columns``, all if empty) matching ``where``, to be saved."""

    table: str
    columns: tuple[str, ...] = ()
    where: Any = None
    """A function of the reflected table returning a SQL condition, or None for all rows."""
    label: str = ""

    def write(self, conn: Connection, folder: Path, now: dt.datetime) -> tuple[Path, int]:
        """Save the rows to a new CSV file in ``folder``; return its path and row count."""
        table = Table(self.table, MetaData(), autoload_with=conn)
        wanted = [table.c.id, *(table.c[c] for c in self.columns)] if self.columns \
            else list(table.c)
        query = select(*wanted).order_by(table.c.id)
        if self.where is not None:
            condition: ColumnElement[bool] = self.where(table)
            query = query.where(condition)
        folder.mkdir(parents=True, exist_ok=True)
        stamp = now.strftime("%Y%m%dT%H%M%S")
        stem = f"{stamp}-{self.table}{'-' + self.label if self.label else ''}"
        path, n = folder / f"{stem}.csv", 1
        while path.exists():  # never overwrite data saved by an earlier run
            n += 1
            path = folder / f"{stem}-{n}.csv"
        count = 0
        with path.open("w", newline="", encoding="utf-8-sig") as out:
            writer = csv.writer(out)
            writer.writerow([c.name for c in wanted])
            for row in conn.execute(query):
                writer.writerow([_cell(v) for v in row])
                count += 1
        return path, count


def _cell(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, (dt.date, dt.datetime)):
        value = value.isoformat()
    elif isinstance(value, Decimal):
        value = str(value)
    return csv_cell(value)
