"""The due-timer sweep: fire every due pending timer exactly once, in batches.

A batch is one transaction. It first claims up to ``batch`` due timers by setting their
``fired_at``: on PostgreSQL the rows are picked with `FOR UPDATE SKIP LOCKED`, so
concurrent sweeps take different timers; on SQLite the claim is one UPDATE that takes the
database's write lock, so a second sweep waits and then finds them fired. Reminders and
escalation steps lock their records (a record another transaction holds is left for the
next sweep) and fire one by one; deadlines are written set-based (on PostgreSQL most of
them by the claim itself, see `claim`). Then it commits: a process killed mid-batch
commits nothing, and the next sweep fires the whole batch.

Within a batch, reminders fire first, then deadlines, then escalation steps, each kind in
due order. That is due order for each record: a stay's reminders come before its deadline
and its ladder after it (at one instant too, as `Deadlines.plan` orders them), and a
record has the timers of one stay pending at a time. (A deadline the claim fires has no
reminder or step of its record in the batch, so it is in due order for its record too.)

A timer whose record has left the state or round it was planned for, or whose reminder or
ladder step the config no longer has, is stale: it is cancelled and does nothing. A timer
whose effects raise is rolled back alone, logged, and left pending for the next sweep.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, and_, or_, select, update

from ..config import Deployment
from ..config.models import EscalationStep
from ..runtime import Runtime
from ..storage import Schema
from ..storage.sets import among
from ..workflow.records import load_record
from .claim import GONE, NOT_DEADLINE, WRITTEN, Claimed, claim, workflow_registers
from ..time.deadlines import Deadlines
from .effects import (
    Done,
    Fired,
    Firing,
    fire_deadlines,
    fire_escalation,
    fire_reminder,
)

log = logging.getLogger(__name__)

BATCH = {"sqlite": 20_000, "postgresql": 5000}
"""Timers claimed per transaction, by database. Deadlines are written set-based. On SQLite
a full batch of them holds the write lock for about a quarter of a second on a slow
machine (what a web request waits at most while a backlog is fired), and four times fewer
commits than at 5,000 make the sweep some 15% faster. On PostgreSQL 20,000 ids a batch
made the planner scan the timers instead of looking them up, and the sweep 2.5 times
slower (`gridwork bench`'s ``ratio_batch_5000`` shows both)."""

EFFECTS_PER_BATCH = 100
"""Reminders and escalation steps fired per transaction at most (each runs queries of its
own; deadlines are written set-based and do not count), so that a batch holds SQLite's
write lock, or PostgreSQL's row locks, only briefly."""


@dataclass
class SweepReport:
    """What one sweep did."""

    now: dt.datetime
    fired: list[Fired] = field(default_factory=list)
    """Fired timers with what they did, in due order within each batch: all of them when
    the sweep was asked for ``details``, else only the reminders and escalation steps."""
    unlisted: int = 0
    """Deadlines fired but not in `fired` (a sweep without ``details`` only counts them)."""
    skipped: list[Fired] = field(default_factory=list)
    """Stale timers, cancelled without effects."""
    deferred: list[int] = field(default_factory=list)
    """Timer ids left pending: another transaction held their record."""
    failed: list[tuple[Fired, str]] = field(default_factory=list)
    """Timers left pending because an effect raised, with the error."""
    batches: int = 0

    @property
    def fired_count(self) -> int:
        """How many timers fired."""
        return len(self.fired) + self.unlisted

    def __str__(self) -> str:
        text = f"fired {self.fired_count} timers, skipped {len(self.skipped)} stale"
        if self.deferred:
            text += f", deferred {len(self.deferred)}"
        if self.failed:
            text += f", failed {len(self.failed)}"
        return text


def sweep(engine: Engine, runtime: Runtime, *, now: dt.datetime, batch: int | None = None,
          details: bool = True) -> SweepReport:
    """Fire every timer due at ``now`` that is still pending, each exactly once.

    ``batch`` defaults to the database's `BATCH`. Without ``details`` the fired deadlines
    are counted, not read back for the report: the sweep loops, which only count, skip
    reading 100,000 rows after a backlog.
    """
    schema = runtime.schema
    batch = batch or BATCH.get(engine.dialect.name, 5000)
    report = SweepReport(now)
    passed: set[int] = set()
    while True:
        with engine.begin() as conn:
            claimed = claim(conn, schema, now, batch, passed, EFFECTS_PER_BATCH)
            handed_back = _fire(conn, runtime, claimed, now, report, passed, details)
        if not claimed:
            break
        report.batches += 1
        if len(claimed) < batch and not handed_back:
            break
    return report


def _read(conn: Connection, schema: Schema, ids: Sequence[int]) -> list[Fired]:
    """Claimed timers as the report shows them, in due order (ties in plan order)."""
    if not ids:
        return []
    timers = schema.system("timers")
    return [Fired(*row) for row in conn.execute(
        select(timers.c.id, timers.c.register, timers.c.record, timers.c.kind,
               timers.c.state, timers.c.round, timers.c.step, timers.c.due_at)
        .where(among(conn, timers.c.id, ids)).order_by(timers.c.due_at, timers.c.id))]


def _fire(conn: Connection, runtime: Runtime, claimed: list[Claimed], now: dt.datetime,
          report: SweepReport, passed: set[int], details: bool) -> int:
    """Fire the claimed timers still where they were planned: reminders, then deadlines
    (one set-based insert per register; on PostgreSQL only those the claim left, see
    `claim`), then escalation steps. Past ``EFFECTS_PER_BATCH`` reminders and steps, hand
    back (as pending, for the next batch) every timer from the first one left over in due
    order on; return how many were handed back."""
    schema = runtime.schema
    written = [timer for timer, code in claimed if code == WRITTEN]
    dues = {timer: code for timer, code in claimed if code not in (NOT_DEADLINE, WRITTEN)}
    singles = _read(conn, schema, [timer for timer, code in claimed if code == NOT_DEADLINE])
    back = 0
    if len(singles) > EFFECTS_PER_BATCH:
        cut, later = singles[EFFECTS_PER_BATCH], singles[EFFECTS_PER_BATCH:]
        singles = singles[:EFFECTS_PER_BATCH]
        _release(conn, schema, [due.timer for due in later], now, cancel=False)
        handed = _hand_back_from(conn, schema, list(dues), cut)
        for timer in handed:
            del dues[timer]
        back = len(later) + len(handed)
    steps, stale, deferred = _check(conn, schema, runtime.deadlines, singles)
    firing = [due for due in singles if due.timer in steps]
    done: list[Fired] = []
    for due in firing:
        if due.kind == "reminder":
            done += _fire_one(conn, runtime, due, None, now, report, passed)
    missed = _fire_deadlines(conn, schema, dues, now)
    if missed:
        stale += _read(conn, schema, sorted(missed))
    if details:
        done += [due._replace(done=_overdue(due.state)) for due in _read(
            conn, schema, written + [timer for timer in dues if timer not in missed])]
    else:
        report.unlisted += len(written) + len(dues) - len(missed)
    for due in firing:
        if due.kind != "reminder":
            done += _fire_one(conn, runtime, due, steps[due.timer], now, report, passed)
    report.fired += sorted(done, key=lambda due: (due.due_at, due.timer))
    _release(conn, schema, [due.timer for due in deferred], now, cancel=False)
    _release(conn, schema, [due.timer for due in stale], now, cancel=True)
    report.deferred += [due.timer for due in deferred]
    report.skipped += [due._replace(done=()) for due in stale]
    passed.update(due.timer for due in deferred)
    return back


def _fire_deadlines(conn: Connection, schema: Schema, dues: dict[int, int],
                    now: dt.datetime) -> set[int]:
    """Fire deadlines (timer → `code`) set-based; return the stale ones, those of a
    register the config no longer has among them."""
    if not dues:
        return set()
    codes = set(dues.values())
    grouped: dict[int, list[int]] = defaultdict(list)
    if len(codes) == 1:
        grouped[codes.pop()] = list(dues)
    else:
        for timer, code in dues.items():
            grouped[code].append(timer)
    gone = set(grouped.pop(GONE, ()))
    names = workflow_registers(schema)
    by_register = {names[code]: timers for code, timers in grouped.items()}
    return gone | fire_deadlines(conn, schema, by_register, now) if by_register else gone


def _hand_back_from(conn: Connection, schema: Schema, dues: list[int], cut: Fired,
                    ) -> set[int]:
    """Hand back the deadlines among ``dues`` due after ``cut`` (the first reminder or step
    left for the next batch), so that none fires before it; return their ids."""
    if not dues:
        return set()
    timers = schema.system("timers")
    later = or_(timers.c.due_at > cut.due_at,
                and_(timers.c.due_at == cut.due_at, timers.c.id > cut.timer))
    result = conn.execute(update(timers).where(among(conn, timers.c.id, dues), later)
                          .values(fired_at=None).returning(timers.c.id))
    return set(result.scalars())


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


def _fire_one(conn: Connection, runtime: Runtime, due: Fired, step: EscalationStep | None,
              now: dt.datetime, report: SweepReport, passed: set[int]) -> list[Fired]:
    """Fire one reminder or escalation step in a savepoint; on error leave it pending."""
    schema = runtime.schema
    try:
        with conn.begin_nested():
            record = load_record(conn, schema, due.register, due.record)
            firing = Firing(conn, runtime, due, record, now, step)
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
