"""Generation: one INSERT … SELECT per schedule and period writes every duty the period asks
for — entries chosen by `where` (or the nodes of a level), sampled, assigned and multiplied by
the period's slots — with ON CONFLICT DO NOTHING on the duty's unique key, so that a rerun, a
restart or a second sweeper adds nothing twice. A `mode: create` schedule's records are
created in the same transaction (see `records`).

A generated period is marked in `duty_periods`; the sweep's idle pass reads those marks, the
latest change of the switches guarding schedules, and the newest record of each register a
schedule goes over (an indexed MAX): a period is generated again, adding what is missing,
when either is newer than its mark.

Sampling is reproducible: the entries are ordered by an affine hash of their id whose
multiplier and offset come from the schedule's name and the period's key, and the first
``ceil(share × entries)`` of each class are taken (rounded up, so at least one entry whenever
a class has entries and a rate above zero).

Assignment: the users holding the schedule's `assign` role at the entry's node or, failing
that, at its nearest ancestor that has any; several share the node's entries in turn (by entry
id order), so the spread is even and the same on every run. None: the duty is unassigned.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Engine,
    Integer,
    Select,
    String,
    and_,
    case,
    func,
    literal,
    not_,
    select,
    true,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from ..config.models import Schedule
from ..config.sql import NotInSQL, condition
from ..runtime import Runtime
from ..storage import Schema
from ..storage.system import DutyState
from ..storage.types import UTCDateTime
from ..storage.writes import writing
from .guards import allowed, changed_since
from .periods import Period, Slot, period_at, slots
from .records import precreate

log = logging.getLogger(__name__)

MODULUS = 2_147_483_647
"""The prime the sampling hash works modulo (2³¹ − 1: an id times a multiplier below it
stays within 64 bits)."""

DUTY_COLUMNS = ("schedule", "period", "entry", "occurrence", "node", "assignee",
                "period_start", "period_end", "starts_at", "due_at", "state", "register",
                "created_at")


@dataclass(frozen=True)
class Generated:
    """What one schedule asks for in one period: entries matching, entries sampled, duties
    (sampled entries × slots), duties without an assignee; ``created`` duties written now."""

    schedule: str
    period: str
    entries: int
    sampled: int
    duties: int
    unassigned: int
    created: int = 0

    def as_json(self) -> dict[str, object]:
        """The shape `gridwork duties --json` prints per schedule."""
        return {"name": self.schedule, "period": self.period, "entries": self.entries,
                "sampled": self.sampled, "duties": self.duties, "unassigned": self.unassigned}


def generate(engine: Engine, runtime: Runtime, *, now: dt.datetime,
             names: Iterable[str] | None = None) -> list[Generated]:
    """Write the duties of every schedule's current period not generated yet; return what
    was written (nothing when every period is marked: the idle pass is one small read)."""
    chosen = _chosen(runtime, names)
    if not chosen:
        return []
    current = {s.name: period_at(s.period, now, runtime.calendar) for s in chosen}
    marks = runtime.schema.system("duty_periods")
    with engine.connect() as conn:
        found = {row.schedule: row.generated_at for row in conn.execute(
            select(marks.c.schedule, marks.c.generated_at).where(
                tuple_(marks.c.schedule, marks.c.period).in_(
                    [(name, period.key) for name, period in current.items()])))}
        switched = changed_since(conn, runtime.schema, chosen, found)
        grown = _grown(conn, runtime.schema, chosen, found)
    done = {(name, current[name].key) for name in found if name not in switched | grown}
    results = []
    for schedule in chosen:
        period = current[schedule.name]
        if (schedule.name, period.key) in done:
            continue
        try:
            with writing(engine) as conn:
                results.append(generate_period(conn, runtime, schedule, period, now))
        except NotInSQL:
            # One schedule whose `where` SQL cannot say must not stop the others (nor the
            # timers of the same tick); it is logged on every pass until the config changes.
            log.exception("schedule %s generates no duties", schedule.name)
    return results


def _grown(conn: Connection, schema: Schema, schedules: Sequence[Schedule],
           marks: dict[str, dt.datetime]) -> set[str]:
    """The schedules over a register that got records since their period was generated (one
    indexed MAX per register), so that a new entry matching `where` gets its duties in the
    current period. A sampled schedule keeps the sample it drew."""
    over: dict[str, list[Schedule]] = {}
    for schedule in schedules:
        if schedule.register_name and schedule.sample is None and schedule.name in marks:
            over.setdefault(schedule.register_name, []).append(schedule)
    grown = set()
    for register, found in over.items():
        table = schema.table(register)
        newest = conn.execute(select(func.max(table.c.created_at))).scalar()
        grown |= {s.name for s in found if newest is not None and newest > marks[s.name]}
    return grown


def generate_period(conn: Connection, runtime: Runtime, schedule: Schedule, period: Period,
                    now: dt.datetime) -> Generated:
    """Write one schedule's duties for ``period`` and mark the period generated, in the
    caller's transaction. Slots already due at ``now`` (a schedule added, or a deployment
    started, late in a period) are left out: nobody could have done them. Run again for a
    period (its guarding switch changed), it adds only what is missing and drops the open
    duties, not yet due, of entries the switch no longer lets have them."""
    schema = runtime.schema
    if schedule.guard is not None:
        _drop_switched_off(conn, schema, schedule, period, now)
    ahead = [s for s in slots(schedule, period, runtime.calendar) if s.due_at > now]
    if not ahead:
        _mark(conn, schema, schedule, period, now, 0, 0)
        return Generated(schedule.name, period.key, 0, 0, 0, 0)
    parts = _parts(conn, schema, schedule, period, ahead, now)
    duties = schema.system("duties")
    created = conn.execute(_insert(conn, duties).from_select(
        list(DUTY_COLUMNS), parts.rows).on_conflict_do_nothing(),
        execution_options={"preserve_rowcount": True}).rowcount
    if schedule.mode == "create":
        precreate(conn, runtime, schedule, period.key, now)
    unassigned = conn.execute(select(func.count()).select_from(duties).where(
        duties.c.schedule == schedule.name, duties.c.period == period.key,
        duties.c.assignee.is_(None))).scalar() or 0
    _mark(conn, schema, schedule, period, now, parts.entries, parts.sampled * len(ahead))
    return Generated(schedule.name, period.key, parts.entries, parts.sampled,
                     parts.sampled * len(ahead), int(unassigned), max(created, 0))


def _mark(conn: Connection, schema: Schema, schedule: Schedule, period: Period,
          now: dt.datetime, entries: int, duties: int) -> None:
    marks = schema.system("duty_periods")
    values = {"generated_at": now, "entries": entries, "duties": duties}
    conn.execute(_insert(conn, marks).values(schedule=schedule.name, period=period.key,
                                             **values)
                 .on_conflict_do_update(index_elements=["schedule", "period"], set_=values))


def _drop_switched_off(conn: Connection, schema: Schema, schedule: Schedule, period: Period,
                       now: dt.datetime) -> None:
    duties = schema.system("duties")
    conn.execute(update(duties).where(
        duties.c.schedule == schedule.name, duties.c.period == period.key,
        duties.c.state == DutyState.OPEN, duties.c.due_at > now,
        not_(allowed(schema, schedule, duties.c.node))).values(state=DutyState.DROPPED))


def preview(conn: Connection, runtime: Runtime, schedule: Schedule, period: Period,
            now: dt.datetime) -> Generated:
    """What ``schedule`` would generate for ``period``, counted without writing."""
    found = slots(schedule, period, runtime.calendar)
    parts = _parts(conn, runtime.schema, schedule, period, found, now)
    rows = parts.rows.subquery()
    unassigned = conn.execute(select(func.count()).select_from(rows)
                              .where(rows.c.assignee.is_(None))).scalar() or 0
    return Generated(schedule.name, period.key, parts.entries, parts.sampled,
                     parts.sampled * len(found), int(unassigned))


@dataclass(frozen=True)
class _Parts:
    rows: Select[tuple[object, ...]]
    entries: int
    sampled: int


def _chosen(runtime: Runtime, names: Iterable[str] | None) -> list[Schedule]:
    wanted = None if names is None else set(names)
    return [s for s in runtime.deployment.schedules if wanted is None or s.name in wanted]


def _insert(conn: Connection, table: object) -> postgresql.Insert | sqlite.Insert:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)  # type: ignore[arg-type]


def _parts(conn: Connection, schema: Schema, schedule: Schedule, period: Period,
           found: Sequence[Slot], now: dt.datetime) -> _Parts:
    entries = _entries(schema, schedule).subquery("entries")
    sizes = {code: int(size) for code, size in conn.execute(
        select(entries.c["class"], func.count()).group_by(entries.c["class"]))}
    takes = _takes(schedule, sizes)
    sampled = _sampled(entries, schedule, period, takes)
    picked = sampled.subquery("sampled")
    spread = select(picked.c.entry, picked.c.node, (func.row_number().over(
        partition_by=picked.c.node, order_by=picked.c.entry) - 1).label("turn")).subquery("spread")
    holders = _holders(schema, schedule.assign).subquery("holders")
    slot = union_all(*(select(literal(s.occurrence, Integer).label("occurrence"),
                              literal(s.starts_at, UTCDateTime).label("starts_at"),
                              literal(s.due_at, UTCDateTime).label("due_at"))
                       for s in found)).subquery("slots")
    rows = (select(
        literal(schedule.name, String).label("schedule"),
        literal(period.key, String).label("period"),
        spread.c.entry, slot.c.occurrence, spread.c.node,
        holders.c.user.label("assignee"),
        literal(period.start, UTCDateTime).label("period_start"),
        literal(period.end, UTCDateTime).label("period_end"),
        slot.c.starts_at, slot.c.due_at,
        literal(DutyState.OPEN, String).label("state"),
        literal(schedule.creates, String).label("register"),
        literal(now, UTCDateTime).label("created_at"))
        .select_from(spread.join(slot, true()).outerjoin(holders, and_(
            holders.c.node == spread.c.node,
            holders.c.turn == spread.c.turn % holders.c.count)))
        # SQLite reads ON CONFLICT after a join's ON as part of it without a WHERE.
        .where(true()))
    return _Parts(rows, sum(sizes.values()), sum(takes.values()))


def _entries(schema: Schema, schedule: Schedule) -> Select[tuple[int, int, object]]:
    """(entry, node, class) of every entry the schedule covers."""
    if schedule.each is not None:
        nodes = schema.system("nodes")
        found = select(nodes.c.id.label("entry"), nodes.c.id.label("node"),
                       literal(None, String).label("class")).where(nodes.c.level == schedule.each)
        return found.where(allowed(schema, schedule, nodes.c.id)) if schedule.guard else found
    table = schema.table(schedule.register_name or "")
    by = schedule.sample.by if schedule.sample is not None else None
    query = select(table.c.id.label("entry"), table.c.node.label("node"),
                   (table.c[by] if by else literal(None, String)).label("class"))
    if schedule.guard is not None:
        query = query.where(allowed(schema, schedule, table.c.node))
    return query.where(condition(schedule.where, table)) if schedule.where else query


def _takes(schedule: Schedule, sizes: dict[object, int]) -> dict[object, int]:
    """How many entries of each class the sample takes: the share rounded up."""
    sample = schedule.sample
    if sample is None:
        return dict(sizes)
    if sample.rate is not None:
        return {None: math.ceil(sum(sizes.values()) * basis_points(sample.rate) / 10000)}
    rates = {code: basis_points(rate) for code, rate in sample.rates.items()}
    return {code: math.ceil(size * rates[code] / 10000)
            for code, size in sizes.items() if code in rates}


def _sampled(every: Any, schedule: Schedule, period: Period,
             takes: dict[object, int]) -> Select[tuple[int, int]]:
    """The entries the sample draws: in each class, the first ``takes[class]`` in an order
    hashed from the schedule and the period."""
    sample = schedule.sample
    if sample is None:
        return select(every.c.entry, every.c.node)
    multiplier, offset = _seed(schedule.name, period.key)
    key = (every.c.entry * literal(multiplier, BigInteger) + literal(offset, BigInteger)) \
        % literal(MODULUS, BigInteger)
    by_class = sample.rate is None
    ranked = select(
        every.c.entry, every.c.node, every.c["class"],
        func.row_number().over(partition_by=every.c["class"] if by_class else None,
                               order_by=(key, every.c.entry)).label("rank")).subquery("ranked")
    if not by_class:
        return select(ranked.c.entry, ranked.c.node).where(ranked.c.rank <= takes[None])
    limit = case(*((ranked.c["class"] == code, take) for code, take in takes.items()
                   if code is not None), else_=0) if takes else literal(0)
    return select(ranked.c.entry, ranked.c.node).where(ranked.c.rank <= limit)


def basis_points(rate: str) -> int:
    """A share such as `12.5%` in hundredths of a percent (1250)."""
    return round(float(rate.strip().rstrip("%")) * 100)


def _seed(schedule: str, period: str) -> tuple[int, int]:
    digest = hashlib.sha256(f"{schedule}/{period}".encode()).digest()
    multiplier = int.from_bytes(digest[:8], "big") % (MODULUS - 1) + 1
    offset = int.from_bytes(digest[8:16], "big") % MODULUS
    return multiplier, offset


def _holders(schema: Schema, role: str) -> Select[tuple[int, int, int, int]]:
    """For each node: the users holding ``role`` at it or at its nearest ancestor where
    anyone does, each with its turn (0…count−1) and the count."""
    nodes, grants, users = (schema.system(n) for n in ("nodes", "grants", "users"))
    held = (select(grants.c.node.label("at"), grants.c.user.label("user"))
            .join(users, users.c.id == grants.c.user)
            .where(grants.c.role == role, grants.c.node.is_not(None), users.c.active)
            .distinct().subquery("held"))
    below, above = nodes.alias("below"), nodes.alias("above")
    reach = (select(below.c.id.label("node"), above.c.id.label("at"),
                    above.c.depth.label("depth"))
             .join(above, func.substr(below.c.path, 1, func.length(above.c.path)) == above.c.path)
             .where(above.c.id.in_(select(held.c.at))).subquery("reach"))
    nearest = (select(reach.c.node, func.max(reach.c.depth).label("depth"))
               .group_by(reach.c.node).subquery("nearest"))
    return (select(reach.c.node, held.c.user,
                   (func.row_number().over(partition_by=reach.c.node,
                                           order_by=held.c.user) - 1).label("turn"),
                   func.count().over(partition_by=reach.c.node).label("count"))
            .join(nearest, and_(nearest.c.node == reach.c.node,
                                nearest.c.depth == reach.c.depth))
            .join(held, held.c.at == reach.c.at))
