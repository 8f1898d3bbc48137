"""The system tables the notification code reads and writes, without building a whole schema."""

from __future__ import annotations

from sqlalchemy import MetaData, Table

from ..storage.system import add_system_tables

_METADATA = MetaData()
add_system_tables(_METADATA)

OUTBOX: Table = _METADATA.tables["outbox"]
USERS: Table = _METADATA.tables["users"]
GRANTS: Table = _METADATA.tables["grants"]

PENDING, SENT, FAILED = "pending", "sent", "failed"
"""Outbox statuses: waiting (or retrying), delivered, given up on (kept with its last error)."""
