"""The due-timer sweep: fire every due pending timer exactly once, in batches.

A batch is one transaction. It first claims up to ``batch`` due timers by setting their
``fired_at``: on PostgreSQL the rows are picked with `FOR UPDATE SKIP LOCKED`, so
concurrent sweeps take different timers; on SQLite the claim is one UPDATE that takes the
database's write lock, so a second sweep waits and then finds them fired. Deadlines are
then written set-based; reminders and escalation steps lock their records (a record another
transaction holds is left for the next sweep) and fire one by one. Then it commits: a
process killed mid-batch commits nothing, and the next sweep fires the whole batch.

A timer whose record has left the state or round it was planned for, or whose reminder or
ladder step the config no longer has, is stale: it is cancelled and does nothing. A timer
whose effects raise is rolled back alone, logged, and left pending for the next sweep.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import operator
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Dialect, Engine, any_, func, select, type_coerce, update
from sqlalchemy.types import NullType

from ..config import Deployment
from ..config.models import EscalationStep
from ..storage import Schema, build_schema
from ..storage.types import UTCDateTime
from ..workflow.records import load_record
from .deadlines import Deadlines
from .effects import (
    Done,
    Fired,
    Firing,
    among,
    fire_deadlines,
    fire_escalation,
    fire_reminder,
)

log = logging.getLogger(__name__)

BATCH = 5000
"""Timers claimed per transaction: deadlines are written set-based, so even a full batch
of them holds the write lock for some 20 ms, and fewer commits cost less."""

EFFECTS_PER_BATCH = 100
"""Reminders and escalation steps fired per transaction at most (each runs queries of its
own; deadlines are written set-based and do not count), so that a batch holds SQLite's
write lock, or PostgreSQL's row locks, only briefly."""


Claimed = tuple[Any, ...]
"""A claimed timer as the database returned it: the fields of `Fired` up to ``due_at``,
which is still raw (read only when the report is)."""
_DUE_ORDER = operator.itemgetter(7, 0)


@dataclass
class SweepReport:
    """What one sweep did."""

    now: dt.datetime
    dialect: Dialect
    """Reads the raw instants of the fired deadlines kept as claimed."""
    skipped: list[Fired] = field(default_factory=list)
    """Stale timers, cancelled without effects."""
    deferred: list[int] = field(default_factory=list)
    """Timer ids left pending: another transaction held their record."""
    failed: list[tuple[Fired, str]] = field(default_factory=list)
    """Timers left pending because an effect raised, with the error."""
    batches: int = 0
    done: list[Fired | Claimed] = field(default_factory=list, repr=False)
    """Fired timers in due order within each batch; deadlines stay the plain rows the claim
    returned, so a sweep of 100,000 deadlines builds no object per timer until
    `fired` is read (workers only count them)."""

    @property
    def fired(self) -> list[Fired]:
        """Fired timers with their effects, in due order within each batch."""
        return [due if isinstance(due, Fired) else _as_fired(due, self.dialect)
                for due in self.done]

    @property
    def fired_count(self) -> int:
        """How many timers fired, without reading them."""
        return len(self.done)

    def __str__(self) -> str:
        text = f"fired {self.fired_count} timers, skipped {len(self.skipped)} stale"
        if self.deferred:
            text += f", deferred {len(self.deferred)}"
        if self.failed:
            text += f", failed {len(self.failed)}"
        return text


def sweep(engine: Engine, deployment: Deployment, *, now: dt.datetime, batch: int = BATCH,
          schema: Schema | None = None) -> SweepReport:
    """Fire every timer due at ``now`` that is still pending, each exactly once.

    ``schema`` is the one built from ``deployment`` (built and kept when not given).
    """
    schema, deadlines = _tools(deployment, schema)
    report = SweepReport(now, engine.dialect)
    passed: set[int] = set()
    while True:
        with engine.begin() as conn:
            claimed = _claim(conn, schema, now, batch, passed)
            handed_back = _fire(conn, schema, deadlines, claimed, now, report, passed)
        if not claimed:
            break
        report.batches += 1
        if len(claimed) < batch and not handed_back:
            break
    return report


_TOOLS: dict[int, tuple[Deployment, Schema, Deadlines]] = {}


def _tools(deployment: Deployment, schema: Schema | None) -> tuple[Schema, Deadlines]:
    """The deployment's schema and deadlines, built once (a sweep runs every few seconds)."""
    entry = _TOOLS.get(id(deployment))
    if entry is None or entry[0] is not deployment:
        if len(_TOOLS) >= 8:
            _TOOLS.clear()
        entry = _TOOLS[id(deployment)] = (deployment, schema or build_schema(deployment),
                                          Deadlines(deployment))
    return schema or entry[1], entry[2]


def _claim(conn: Connection, schema: Schema, now: dt.datetime, batch: int,
           passed: set[int]) -> list[Claimed]:
    """Mark up to ``batch`` due pending timers fired and return them, earliest first."""
    timers = schema.system("timers")
    pending = (timers.c.fired_at.is_(None), timers.c.cancelled_at.is_(None))
    pick = select(timers.c.id).where(*pending, timers.c.due_at <= now)
    if passed:
        pick = pick.where(timers.c.id.not_in(passed))
    pick = (pick.order_by(timers.c.due_at, timers.c.id).limit(batch)
            .with_for_update(skip_locked=True))
    if conn.dialect.name == "postgresql":
        # `= ANY(array(…))`: with `IN (…)` the planner would scan every pending timer to
        # join it with the few picked.
        picked: Any = timers.c.id == any_(func.array(pick.scalar_subquery()))
    else:  # one statement, so the claim takes SQLite's write lock before it reads
        picked = timers.c.id.in_(pick)
    result = conn.execute(update(timers).where(picked, *pending)
                          .values(fired_at=now)
                          .returning(timers.c.id, timers.c.register, timers.c.record,
                                     timers.c.kind, timers.c.state, timers.c.round,
                                     timers.c.step, type_coerce(timers.c.due_at, NullType())))
    # The driver's own tuples, instants raw: plain values, which the garbage collector
    # stops tracking, and no Row per timer; raw instants sort as the instants do.
    rows: list[Claimed] = result.cursor.fetchall()
    result.close()
    rows.sort(key=_DUE_ORDER)
    return rows


def _as_fired(row: Claimed, dialect: Dialect) -> Fired:
    """A claimed row as the report shows it (a deadline with what it did)."""
    timer, register, record, kind, state, round_, step, due_at = row
    return Fired(timer, register, record, kind, state, round_, step,
                 _instant(due_at, dialect), _overdue(state) if kind == "deadline" else ())


@functools.lru_cache(maxsize=4096)
def _instant(value: Any, dialect: Dialect) -> dt.datetime:
    instant = UTCDateTime().process_result_value(value, dialect)
    assert instant is not None
    return instant


def _fire(conn: Connection, schema: Schema, deadlines: Deadlines, claimed: list[Claimed],
          now: dt.datetime, report: SweepReport, passed: set[int]) -> int:
    """Fire the claimed timers still where they were planned, in due order (so each
    record's history reads in time order); a run of deadlines is one set-based insert.
    Hand back (as pending, for the next batch) those past ``EFFECTS_PER_BATCH`` reminders
    and steps; return how many."""
    singles = [n for n, row in enumerate(claimed) if row[3] != "deadline"]
    cut = singles[EFFECTS_PER_BATCH] if len(singles) > EFFECTS_PER_BATCH else len(claimed)
    claimed, back, singles = claimed[:cut], claimed[cut:], singles[:EFFECTS_PER_BATCH]
    _release(conn, schema, [row[0] for row in back], now, cancel=False)
    dues = {claimed[n][0]: _as_fired(claimed[n], report.dialect) for n in singles}
    steps, stale, deferred = _check(conn, schema, deadlines, list(dues.values()))
    start = 0
    for single in [*singles, len(claimed)]:
        run = claimed[start:single]  # the deadlines due before this reminder or step
        if run:
            missed = _fire_run(conn, schema, run, now)
            report.done += [due for due in run if due[0] not in missed] if missed else run
            stale += [_as_fired(due, report.dialect) for due in run if due[0] in missed]
        timer = claimed[single][0] if single < len(claimed) else None
        if timer in steps:
            report.done += _fire_one(conn, schema, deadlines, dues[timer], steps[timer], now,
                                     report, passed)
        start = single + 1
    _release(conn, schema, [due.timer for due in deferred], now, cancel=False)
    _release(conn, schema, [due.timer for due in stale], now, cancel=True)
    report.deferred += [due.timer for due in deferred]
    report.skipped += [due._replace(done=()) for due in stale]
    passed.update(due.timer for due in deferred)
    return len(back)


def _fire_run(conn: Connection, schema: Schema, run: list[Claimed], now: dt.datetime,
              ) -> set[int]:
    """Fire a run of deadlines set-based; return the stale ones."""
    registers = {row[1] for row in run}
    by_register = ({registers.pop(): [row[0] for row in run]} if len(registers) == 1 else
                   {register: [row[0] for row in run if row[1] == register]
                    for register in registers})
    return fire_deadlines(conn, schema, by_register, now)


def _check(conn: Connection, schema: Schema, deadlines: Deadlines, dues: list[Fired],
           ) -> tuple[dict[int, EscalationStep | None], list[Fired], list[Fired]]:
    """Lock the records of reminders and escalation steps; sort the timers into those to
    fire (with their ladder step), stale ones, and ones whose record another transaction
    holds."""
    records: dict[str, dict[int, tuple[Any, ...]]] = {}
    busy: set[tuple[str, int]] = set()
    by_register: dict[str, list[int]] = defaultdict(list)
    for due in dues:
        by_register[due.register].append(due.record)
    for register, ids in by_register.items():
        records[register], held = _lock_records(conn, schema, register, ids)
        busy |= {(register, record) for record in held}
    steps: dict[int, EscalationStep | None] = {}
    stale: list[Fired] = []
    deferred: list[Fired] = []
    for due in dues:
        row = records[due.register].get(due.record)
        if row is None and (due.register, due.record) in busy:
            deferred.append(due)
            continue
        if row is None or row[0] != due.state or (row[1] or 1) != (due.round or 1):
            stale.append(due)
            continue
        fits, step = _fits(schema.deployment, deadlines, due, row)
        if fits:
            steps[due.timer] = step
        else:
            stale.append(due)
    return steps, stale, deferred


@functools.cache
def _overdue(state: str | None) -> tuple[Done, ...]:
    """What a deadline did, shared by every deadline of the state (it is never changed)."""
    return (Done("overdue", {"state": state}),)


def _fire_one(conn: Connection, schema: Schema, deadlines: Deadlines, due: Fired,
              step: EscalationStep | None, now: dt.datetime, report: SweepReport,
              passed: set[int]) -> list[Fired]:
    """Fire one reminder or escalation step in a savepoint; on error leave it pending."""
    try:
        with conn.begin_nested():
            record = load_record(conn, schema, due.register, due.record)
            firing = Firing(conn, schema, due, record, now, deadlines.calendar)
            if step is not None:
                fire_escalation(firing, step)
            else:
                fire_reminder(firing)
    except Exception as err:  # noqa: BLE001 - one bad timer must not stop the others
        log.exception("timer %s (%s of %s #%s) failed; it stays pending", due.timer,
                      due.kind, due.register, due.record)
        _release(conn, schema, [due.timer], now, cancel=False)
        passed.add(due.timer)
        report.failed.append((due, f"{type(err).__name__}: {err}"))
        return []
    return [due._replace(done=tuple(firing.done))]


def _lock_records(conn: Connection, schema: Schema, register: str,
                  ids: Sequence[int]) -> tuple[dict[int, tuple[Any, ...]], set[int]]:
    """Lock the records (skipping those another transaction holds); return (state, round,
    category, severity) of each found, and the ids that exist but are held."""
    spec = schema.deployment.registers.get(register)
    if spec is None or spec.workflow is None:
        return {}, set()
    table = schema.table(register)
    wanted = sorted(set(ids))
    query = (select(table.c.id, table.c.state, table.c.round, table.c.category,
                    table.c.severity).where(among(conn, table.c.id, wanted))
             .with_for_update(skip_locked=True))
    found = {row[0]: tuple(row[1:]) for row in conn.execute(query).all()}
    missing = [record for record in wanted if record not in found]
    held: set[int] = set()
    if missing:
        held = set(conn.execute(select(table.c.id).where(table.c.id.in_(missing))).scalars())
    return found, held


def _fits(deployment: Deployment, deadlines: Deadlines, due: Fired,
          row: tuple[Any, ...]) -> tuple[bool, EscalationStep | None]:
    """Whether a reminder or escalation timer's config still has its step, and the step."""
    step = due.step or 0
    if due.kind == "reminder":
        reminders = deployment.reminders
        fits = step < len(reminders) and (not reminders[step].states
                                          or due.state in reminders[step].states)
        return fits, None
    if due.kind == "escalation":
        try:
            _, steps = deadlines.ladder(row[2], row[3])
        except KeyError:  # the record's category is gone from the config
            return False, None
        return (True, steps[step]) if step < len(steps) else (False, None)
    return False, None


def _release(conn: Connection, schema: Schema, ids: list[int], now: dt.datetime, *,
             cancel: bool) -> None:
    """Undo the claim of ``ids``: back to pending, or cancelled when stale."""
    if ids:
        timers = schema.system("timers")
        conn.execute(update(timers).where(among(conn, timers.c.id, ids)).values(
            fired_at=None, cancelled_at=now if cancel else None))
