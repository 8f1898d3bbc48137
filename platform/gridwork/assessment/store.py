"""Sheets kept: a closed period's sheet is stored once and never changes by itself; a
recomputation shows what changed and, when asked, stores a new revision beside the old."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, func, insert, select
from sqlalchemy.exc import IntegrityError

from ..storage import Schema

if TYPE_CHECKING:
    from .sheet import Sheet


@dataclass(frozen=True)
class Stored:
    """A kept sheet as `gridwork assess --json` prints it, with its revision."""

    revision: int
    shape: dict[str, Any]


def latest(conn: Connection, schema: Schema, period: str, subjects: str) -> Stored | None:
    """The newest kept revision of a period's sheet, or None."""
    table = schema.system("assessment_sheets")
    row = conn.execute(select(table.c.revision, table.c.sheet)
                       .where(table.c.period == period, table.c.subjects == subjects)
                       .order_by(table.c.revision.desc()).limit(1)).first()
    return None if row is None else Stored(row.revision, dict(row.sheet))


def revisions(conn: Connection, schema: Schema, subjects: str,
              periods: Sequence[str]) -> dict[str, Stored]:
    """The newest kept sheet of each of ``periods`` of a subject set, by period."""
    table = schema.system("assessment_sheets")
    if not periods:
        return {}
    newest = (select(table.c.period, func.max(table.c.revision).label("revision"))
              .where(table.c.subjects == subjects, table.c.period.in_(list(periods)))
              .group_by(table.c.period).subquery())
    rows = conn.execute(select(table.c.period, table.c.revision, table.c.sheet).join(
        newest, (newest.c.period == table.c.period) & (newest.c.revision == table.c.revision))
        .where(table.c.subjects == subjects))
    return {row.period: Stored(row.revision, dict(row.sheet)) for row in rows}


def save(engine: Engine, schema: Schema, sheet: Sheet, *, first_only: bool = False,
         then: Callable[[Connection], object] | None = None) -> int | None:
    """Keep ``sheet`` as the next revision of its period and return it; with
    ``first_only``, only when none is kept yet (None when another was). Two processes
    saving at once get different revisions, or, closing a period, one sheet. ``then``
    runs in the same transaction once the sheet is kept (its notices)."""
    table = schema.system("assessment_sheets")
    for _attempt in range(5):
        with engine.begin() as conn:
            current = conn.execute(select(func.max(table.c.revision)).where(
                table.c.period == sheet.period.key,
                table.c.subjects == sheet.subjects)).scalar()
            if first_only and current is not None:
                return None
            revision = (current or 0) + 1
            try:
                with conn.begin_nested():
                    conn.execute(insert(table).values(
                        period=sheet.period.key, subjects=sheet.subjects, revision=revision,
                        config_version=sheet.config_version, computed_at=sheet.computed_at,
                        sheet={**sheet.shape(), "revision": revision}))
            except IntegrityError:
                continue
            if then is not None:
                then(conn)
            return revision
    raise RuntimeError("could not store the sheet: other processes kept saving revisions")


def differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What changed between two sheets, one line per subject and number."""
    old = {line["subject"]["key"]: line for line in before["subjects"]}
    lines = []
    for line in after["subjects"]:
        key = line["subject"]["key"]
        was = old.pop(key, None)
        if was is None:
            lines.append(f"{key}: new subject")
            continue
        for name, value in line["metrics"].items():
            if was["metrics"].get(name) != value:
                lines.append(f"{key}: {name} {_show(was['metrics'].get(name))} → {_show(value)}")
        for name in ("deductions", "veto", "score", "grade", "rank", "consequences"):
            if was.get(name) != line.get(name):
                lines.append(f"{key}: {name} {_show(was.get(name))} → {_show(line.get(name))}")
    lines += [f"{key}: no longer assessed" for key in old]
    return lines


def _show(value: Any) -> str:
    if value is None or value == []:
        return "—"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def closed_by(period_end: dt.datetime, grace_end: dt.datetime, now: dt.datetime) -> bool:
    """Whether a period whose grace ends at ``grace_end`` is closed at ``now``."""
    return now >= max(period_end, grace_end)
