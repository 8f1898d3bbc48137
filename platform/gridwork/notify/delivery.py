"""Delivering the outbox: claim what is due, send it, record the outcome, one message a commit.

Each message is claimed, sent and recorded in one transaction that holds its row locked
(PostgreSQL: `FOR UPDATE SKIP LOCKED`, so parallel workers take different rows; SQLite:
the database's write lock). A process killed mid-send leaves the row as it was, and the
next run sends it again; receivers can drop the repeat by its idempotency key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, RowMapping, select, update

from ..clock import Clock
from ..storage.writes import run_writing
from .channels import ChannelType
from .message import Message, PermanentFailure
from .outbox import DIGESTED_CAUSES
from .tables import FAILED, OUTBOX, PENDING, SENT

if TYPE_CHECKING:
    from ..runtime import Runtime


@dataclass(frozen=True)
class RetryPolicy:
    """How long to wait after a failed attempt, and when to give up."""

    first: dt.timedelta = dt.timedelta(minutes=1)
    """Wait after the first failure; each further failure doubles it."""
    longest: dt.timedelta = dt.timedelta(hours=6)
    attempts: int = 8
    """After this many failed attempts the message is marked failed (and kept)."""

    def delay(self, attempts: int) -> dt.timedelta:
        """The wait after ``attempts`` failed attempts."""
        return min(self.first * (1 << max(attempts - 1, 0)), self.longest)


@dataclass
class Counts:
    """What one delivery run did, counted in outbox rows."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    digests: int = 0
    """Messages that carried several rows (each of those rows counts as sent)."""

    def add(self, other: Counts) -> None:
        """Add what ``other`` counted."""
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed
        self.digests += other.digests

    @property
    def handled(self) -> int:
        """Rows this run finished or rescheduled."""
        return self.sent + self.retrying + self.failed

    def __str__(self) -> str:
        return (f"sent {self.sent} ({self.digests} digests), retrying {self.retrying}, "
                f"failed {self.failed}")


def deliver_pending(engine: Engine, runtime: Runtime, *,
                    clock: Clock, batch: int = 100,
                    policy: RetryPolicy = RetryPolicy()) -> Counts:
    """Send up to ``batch`` due messages (a digest counts once); return what happened."""
    kinds = runtime.channels
    counts = Counts()

    def one(conn: Connection) -> Counts | None:
        now, done = clock(), Counts()
        leader = _claim_next(conn, now)
        if leader is None:
            return None
        _deliver(conn, runtime, kinds, policy, leader, now, done)
        return done

    for _ in range(batch):
        # A transaction PostgreSQL aborts (a deadlock) rolled back and runs again; what it
        # counted is added once it committed.
        done = run_writing(engine, one)
        if done is None:
            break
        counts.add(done)
    return counts


def _deliver(conn: Connection, runtime: Runtime, kinds: Mapping[str, ChannelType],
             policy: RetryPolicy, leader: RowMapping, now: dt.datetime, counts: Counts) -> None:
    deployment = runtime.deployment
    config = deployment.notifications.channels.get(leader["channel"])
    kind = kinds.get(config.type) if config is not None else None
    group = [leader]
    if (kind is not None and kind.digest and deployment.notifications.digest is not None
            and leader["cause"] in DIGESTED_CAUSES):
        group += _claim_digest(conn, leader, now)
    try:
        if config is None:
            raise PermanentFailure(f"channel '{leader['channel']}' is no longer in the config")
        if kind is None:
            raise PermanentFailure(f"no channel type '{config.type}' is loaded "
                                   "(is its plugin installed?)")
        receipt = kind.send(_message(runtime, config, group)) if kind.send else None
    except Exception as err:  # noqa: BLE001 - any channel error is recorded, never lost
        _failed(conn, group, err, now, policy, counts)
        return
    ids = [row["id"] for row in group]
    conn.execute(update(OUTBOX).where(OUTBOX.c.id.in_(ids)).values(
        status=SENT, sent_at=now, receipt=receipt, last_error=None,
        digest_of=leader["id"] if len(group) > 1 else None))
    counts.sent += len(group)
    counts.digests += 1 if len(group) > 1 else 0


def _failed(conn: Connection, group: Sequence[RowMapping], err: Exception, now: dt.datetime,
            policy: RetryPolicy, counts: Counts) -> None:
    error = str(err) or type(err).__name__
    for row in group:
        attempts = row["attempts"]
        if isinstance(err, PermanentFailure) or attempts >= policy.attempts:
            values: dict[str, Any] = {"status": FAILED}
            counts.failed += 1
        else:
            values = {"due_at": now + policy.delay(attempts)}
            counts.retrying += 1
        conn.execute(update(OUTBOX).where(OUTBOX.c.id == row["id"])
                     .values(last_error=error[:2000], **values))


def _message(runtime: Runtime, config: Any, group: Sequence[RowMapping]) -> Message:
    leader = group[0]
    subject, body = leader["subject"] or "", leader["body"] or ""
    if len(group) > 1:
        digest = runtime.renderer.digest(
            [(row["subject"] or "", (row["payload"] or {}).get("link")) for row in group])
        subject, body = digest.subject, digest.body
    return Message(
        key=leader["key"] or f"outbox-{leader['id']}", channel=leader["channel"], config=config,
        address=leader["address"], subject=subject, body=body, recipient=leader["recipient"],
        register=leader["register"], record=leader["record"], cause=leader["cause"],
        step=leader["step"], payload=leader["payload"] or {}, created_at=leader["created_at"])


def _claim_next(conn: Connection, now: dt.datetime) -> RowMapping | None:
    """Lock the next due row for this transaction and count the attempt."""
    candidate = OUTBOX.alias("candidate")
    pick = (select(candidate.c.id)
            .where(candidate.c.status == PENDING, candidate.c.due_at <= now)
            .order_by(candidate.c.due_at, candidate.c.id).limit(1)
            .with_for_update(skip_locked=True).scalar_subquery())
    return conn.execute(update(OUTBOX).where(OUTBOX.c.id == pick)
                        .values(attempts=OUTBOX.c.attempts + 1)
                        .returning(*OUTBOX.c)).mappings().first()


def _claim_digest(conn: Connection, leader: RowMapping, now: dt.datetime) -> list[RowMapping]:
    """Lock the other due reminders to the leader's channel and address."""
    candidate = OUTBOX.alias("candidate")
    others = (select(candidate.c.id)
              .where(candidate.c.status == PENDING, candidate.c.due_at <= now,
                     candidate.c.cause.in_(DIGESTED_CAUSES),
                     candidate.c.channel == leader["channel"],
                     candidate.c.address == leader["address"],
                     candidate.c.id != leader["id"])
              .with_for_update(skip_locked=True))
    rows = conn.execute(update(OUTBOX).where(OUTBOX.c.id.in_(others))
                        .values(attempts=OUTBOX.c.attempts + 1)
                        .returning(*OUTBOX.c)).mappings().all()
    return sorted(rows, key=lambda row: row["id"])
