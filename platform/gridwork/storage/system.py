"""The engine's own tables: the grid tree, people, history, timers, messages, config version."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from ..config.models.timing import DUTY_LINK as DUTY_LINK
from .types import UTCDateTime

CODE = 100
"""Length of codes (nodes, departments, roles, states, categories)."""
PATH = 1000
"""Length of a node's materialized path."""
CONFIG_DIGITS = 12
"""Hex digits of the config hash a history row keeps (as `gridwork preview` shows it)."""
NODE_SUBJECT = "_node"
"""The `history.register` value for changes to the grid tree itself (no register may
start with `_`)."""
DUTY_SUBJECT = "_duty"
"""The `history.register` value of a duty's own history rows (its miss);
`history.record` is then the duty's id."""


class DutyState:
    """The states of a duty row: `open` until its due time, then `overdue` until a record
    fulfils it; `done` once its record reaches a final state (``done_at`` is then set and
    ``done_at > due_at`` tells a late one); `dropped` when its schedule left the config
    before it was done."""

    OPEN = "open"
    OVERDUE = "overdue"
    DONE = "done"
    DROPPED = "dropped"
SWITCH_SUBJECT = "_switch"
"""The `history.register` value for a workflow switch turned on or off for a subtree
(its `record` is the node's id)."""


def _path_type() -> String:
    # Byte order on PostgreSQL too, so `path >= p AND path < p'` finds exactly a subtree
    # with a plain b-tree index, whatever the database's default collation.
    byte_ordered = String(PATH, collation="C")
    return String(PATH).with_variant(byte_ordered, "postgresql")  # type: ignore[return-value]


def _id() -> Column[int]:
    return Column("id", Integer, primary_key=True, autoincrement=True)


def add_system_tables(metadata: MetaData) -> None:
    """Add every system table to ``metadata``."""
    Table(
        "nodes", metadata, _id(),
        Column("code", String(CODE), nullable=False, unique=True),
        Column("name", String(200), nullable=False),
        Column("level", String(CODE), nullable=False),
        Column("depth", Integer, nullable=False),
        Column("parent", Integer, ForeignKey("nodes.id"), index=True),
        Column("path", _path_type(), nullable=False, index=True),
        Column("boundary", JSON),
    )
    Table(
        "departments", metadata, _id(),
        Column("code", String(CODE), nullable=False, unique=True),
        Column("name", String(200), nullable=False),
        Column("level", String(CODE), nullable=False),
        Column("node", Integer, ForeignKey("nodes.id"), index=True),
    )
    Table(
        "users", metadata, _id(),
        Column("username", String(CODE), nullable=False, unique=True),
        Column("display_name", String(200), nullable=False),
        Column("password_hash", String(200)),
        Column("phone", String(32)),
        Column("email", String(254)),
        Column("department", Integer, ForeignKey("departments.id"), index=True),
        Column("active", Boolean, nullable=False, default=True),
        Column("created_at", UTCDateTime, nullable=False),
    )
    Table(
        "grants", metadata, _id(),
        Column("user", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
               index=True),
        Column("role", String(CODE), nullable=False, index=True),
        Column("node", Integer, ForeignKey("nodes.id"), index=True),
        Column("department", Integer, ForeignKey("departments.id"), index=True),
        Column("scope", String(20), nullable=False, server_default="subtree"),
    )
    # Rows the system writes (overdue, reminders, escalation: most rows after a backlog)
    # have no actor; leaving them out of the actor index made writing them a sixth cheaper
    # on PostgreSQL, and `actor = ?` still finds a person's rows through it.
    people = text("actor IS NOT NULL")
    Table(
        "history", metadata, _id(),
        Column("register", String(CODE), nullable=False),
        Column("record", Integer, nullable=False),
        Column("actor", Integer, ForeignKey("users.id")),
        Column("at", UTCDateTime, nullable=False, index=True),
        Column("action", String(CODE), nullable=False),
        # Nullable only so that migrations add it to a filled history; `history_kinds`
        # fills it, and the workflow's `history.write` always sets it.
        Column("kind", String(CODE)),
        Column("from_state", String(CODE)),
        Column("to_state", String(CODE)),
        Column("round", Integer),
        Column("comment", Text),
        Column("before", JSON),
        Column("after", JSON),
        # The first digits of the config hash (`config_versions`) the row was written under:
        # the version whose limits planned the deadline a step set.
        Column("config", String(CONFIG_DIGITS)),
        Index(None, "register", "record"),
        Index("ix_history_people", "actor", postgresql_where=people, sqlite_where=people),
    )
    # The sweep reads only pending timers, earliest first: a partial index in that order
    # keeps its cost independent of how many have fired or been cancelled.
    pending = text("fired_at IS NULL AND cancelled_at IS NULL")
    Table(
        "timers", metadata, _id(),
        Column("register", String(CODE), nullable=False),
        Column("record", Integer, nullable=False),
        Column("kind", String(CODE), nullable=False),
        Column("state", String(CODE)),
        Column("round", Integer),
        Column("step", Integer),
        Column("due_at", UTCDateTime, nullable=False),
        Column("fired_at", UTCDateTime),
        Column("cancelled_at", UTCDateTime),
        Index(None, "register", "record"),
        Index("ix_timers_pending", "due_at", "id", postgresql_where=pending,
              sqlite_where=pending),
    )
    Table(
        "supervisions", metadata, _id(),
        Column("register", String(CODE), nullable=False),
        Column("record", Integer, nullable=False),
        Column("by", Integer, ForeignKey("users.id"), index=True),
        Column("node", Integer, ForeignKey("nodes.id"), index=True),
        Column("at", UTCDateTime, nullable=False, index=True),
        Column("reason", Text),
        Column("level", String(CODE)),
        Column("resolved_at", UTCDateTime),
        Index(None, "register", "record"),
    )
    Table(
        "outbox", metadata, _id(),
        Column("channel", String(CODE), nullable=False),
        Column("recipient", Integer, ForeignKey("users.id"), index=True),
        Column("address", String(254)),
        Column("subject", Text),
        Column("body", Text),
        Column("payload", JSON),
        Column("register", String(CODE)),
        Column("record", Integer),
        Column("created_at", UTCDateTime, nullable=False),
        Column("due_at", UTCDateTime, nullable=False, index=True),
        Column("sent_at", UTCDateTime, index=True),
        Column("attempts", Integer, nullable=False, server_default="0"),
        Column("last_error", Text),
        # Nullable only so that migrations add it to a filled outbox; the default fills it.
        Column("status", String(20), server_default="pending"),
        Column("key", String(64)),
        Column("cause", String(CODE)),
        Column("step", Integer),
        Column("receipt", String(254)),
        Column("read_at", UTCDateTime),
        Column("digest_of", Integer),
        # Indexes of columns added later are declared apart: a column's own `index=True`
        # would be created twice when a migration adds it (and a unique constraint would
        # be checked before its column exists).
        Index(None, "status"),
        Index(None, "digest_of"),
        Index(None, "key", unique=True),
        Index(None, "register", "record"),
    )
    Table(
        "api_tokens", metadata, _id(),
        Column("user", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
               index=True),
        Column("name", String(200), nullable=False),
        Column("token_hash", String(128), nullable=False, unique=True),
        Column("created_at", UTCDateTime, nullable=False),
        Column("expires_at", UTCDateTime),
        Column("last_used_at", UTCDateTime),
        Column("revoked_at", UTCDateTime),
        # What the token opens, space-separated: `api` (/api/v1), `open311` (posting
        # public requests); NULL opens the JSON API only.
        Column("scopes", String(200)),
    )
    # A request posted over Open311 keeps the key that posted it (for the rate limit) and
    # the token a client may look its record up by.
    Table(
        "open311_requests", metadata, _id(),
        Column("token", String(64), nullable=False, unique=True),
        Column("record", Integer, nullable=False, unique=True),
        Column("api_token", Integer, ForeignKey("api_tokens.id", ondelete="SET NULL"),
               index=True),
        Column("at", UTCDateTime, nullable=False, index=True),
    )
    # A signed-in browser holds only a random id; its SHA-256 finds the row, which ends
    # (sign-out, expiry, disabled user, new password, administrator) by getting `ended_at`.
    Table(
        "sessions", metadata, _id(),
        Column("user", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
               index=True),
        Column("token_hash", String(64), nullable=False, unique=True),
        Column("created_at", UTCDateTime, nullable=False),
        Column("seen_at", UTCDateTime, nullable=False),
        Column("ended_at", UTCDateTime),
        Column("ended_why", String(CODE)),
        Column("uploads", JSON),
    )
    # Every sign-in attempt, by the name typed (which may belong to nobody): five failures
    # in a row lock that name for a while, across processes and restarts.
    Table(
        "signins", metadata, _id(),
        Column("username", String(CODE), nullable=False),
        Column("user", Integer, ForeignKey("users.id", ondelete="CASCADE")),
        Column("at", UTCDateTime, nullable=False),
        Column("ok", Boolean, nullable=False),
        Index(None, "username", "at"),
    )
    # A closed period's score sheet, kept as computed: a recomputation adds a revision and
    # never rewrites one, and the unique index lets only one process store each revision.
    Table(
        "assessment_sheets", metadata, _id(),
        Column("period", String(20), nullable=False),
        Column("subjects", String(CODE + 10), nullable=False),
        Column("revision", Integer, nullable=False),
        Column("config_version", String(64), nullable=False),
        Column("computed_at", UTCDateTime, nullable=False),
        Column("sheet", JSON, nullable=False),
        Index(None, "period", "subjects", "revision", unique=True),
    )
    # One row per duty: what a schedule asks of one entry (a register record or a node) in
    # one period, its `occurrence`-th time. The unique key is what makes generation safe to
    # repeat: every sweeper inserts with ON CONFLICT DO NOTHING, so no rerun, restart or
    # second worker makes a duty twice. `state`, `due_at`, `done_at` and `missed_at` are
    # what coverage and misses are counted from (see `DutyState`).
    Table(
        "duties", metadata, _id(),
        Column("schedule", String(CODE), nullable=False),
        # The period's key in the deployment's time zone: `2026-12-03` (day), `2026-W49`
        # (ISO week), `2026-12` (month), `2026-Q4`, `2026-H2`, `2026` (year).
        Column("period", String(20), nullable=False),
        Column("entry", Integer, nullable=False),
        Column("occurrence", Integer, nullable=False),
        # Where the duty belongs (the entry's node, or the node itself for `each:`), for
        # scopes and per-node coverage.
        Column("node", Integer, ForeignKey("nodes.id"), nullable=False, index=True),
        Column("assignee", Integer, ForeignKey("users.id")),
        Column("period_start", UTCDateTime, nullable=False),
        Column("period_end", UTCDateTime, nullable=False),
        Column("starts_at", UTCDateTime, nullable=False),
        Column("due_at", UTCDateTime, nullable=False),
        Column("state", String(20), nullable=False, server_default=DutyState.OPEN),
        # The register the fulfilling record belongs to (the schedule's `creates`) and,
        # once one is linked, that record.
        Column("register", String(CODE), nullable=False),
        Column("record", Integer),
        Column("created_at", UTCDateTime, nullable=False),
        Column("done_at", UTCDateTime),
        Column("missed_at", UTCDateTime),
        # The escalation rung last fired for an overdue duty (0-based), NULL before any.
        Column("step", Integer),
        UniqueConstraint("schedule", "period", "entry", "occurrence"),
        Index(None, "state", "due_at"),
        Index(None, "assignee", "state"),
        Index(None, "register", "record"),
        Index(None, "schedule", "period", "state"),
    )
    # A schedule's period once generated: the idle pass of the sweep reads these few rows
    # instead of the registers.
    Table(
        "duty_periods", metadata, _id(),
        Column("schedule", String(CODE), nullable=False),
        Column("period", String(20), nullable=False),
        Column("generated_at", UTCDateTime, nullable=False),
        Column("entries", Integer, nullable=False),
        Column("duties", Integer, nullable=False),
        UniqueConstraint("schedule", "period"),
    )
    # A workflow switch as set for a subtree at runtime: the deepest row on a record's
    # path wins, and a subtree without one follows the config. Setting a switch at a node
    # removes the rows below it, so the change holds for the whole subtree.
    Table(
        "switches", metadata, _id(),
        Column("workflow", String(CODE), nullable=False),
        Column("name", String(CODE), nullable=False),
        Column("node", Integer, ForeignKey("nodes.id"), nullable=False, index=True),
        Column("on", Boolean, nullable=False),
        Column("at", UTCDateTime, nullable=False),
        Column("by", Integer, ForeignKey("users.id")),
        Column("reason", Text, nullable=False),
        Index(None, "workflow", "name", "node", unique=True),
    )
    Table(
        "config_versions", metadata, _id(),
        Column("hash", String(64), nullable=False),
        Column("applied_at", UTCDateTime, nullable=False, index=True),
        Column("deployment", String(CODE), nullable=False),
        Column("engine_version", String(40), nullable=False),
        # Who applied it (a user's name, or the account that ran `gridwork migrate`) and
        # the folder's files as a zip, so `gridwork preview` can compare an edit with it.
        Column("applied_by", String(CODE)),
        Column("source", LargeBinary),
    )


SYSTEM_TABLES = ("nodes", "departments", "users", "grants", "history", "timers",
                 "supervisions", "outbox", "api_tokens", "open311_requests", "sessions", "signins",
                 "duties", "duty_periods", "assessment_sheets", "switches",
                 "config_versions")
