"""Supervision (督办): opened on a record by someone above it, its handlers told, closed
when the record is done."""

from __future__ import annotations

import datetime as dt
import functools
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, Table, Update, bindparam, insert, select, update

from ..clock import Clock
from ..config.models import Target
from ..storage import Schema
from .actors import Actor
from .errors import Forbidden
from .history import Change, Kind, write
from .notify import About, recipients, send
from .records import Record, load_record
from .status import may_supervise
from .transaction import transaction

if TYPE_CHECKING:
    from ..runtime import Runtime

HANDLERS = (Target(role="assignee"), Target(role="department"))
"""Who is told of a supervision: the record's assignee and its department's staff."""


def about(record: Record) -> About:
    """The record as the recipients' lookup needs it."""
    return About(record.register, record.id, record.node_path, record.department_id,
                 record.assignee, record.reporter)


def open_row(conn: Connection, runtime: Runtime, record: Record, *, by: int | None,
             reason: str | None, now: dt.datetime, level: str | None = None) -> int:
    """Open a supervision of ``record`` and tell its handlers; return its id."""
    schema = runtime.schema
    table = schema.system("supervisions")
    supervision_id = conn.execute(insert(table).values(
        register=record.register, record=record.id, by=by, node=record.node_id, at=now,
        reason=reason, level=level).returning(table.c.id)).scalar_one()
    send(conn, runtime, about(record), recipients(conn, schema, about(record), HANDLERS),
         cause="supervision", occasion=str(supervision_id),
         context={"record": record.values, "step": reason, "comment": reason}, now=now)
    return int(supervision_id)


def is_open(conn: Connection, schema: Schema, record: Record) -> bool:
    """Whether the record has a supervision still open."""
    table = schema.system("supervisions")
    return conn.execute(select(table.c.id).where(
        table.c.register == record.register, table.c.record == record.id,
        table.c.resolved_at.is_(None)).limit(1)).first() is not None


def close(conn: Connection, schema: Schema, record: Record, now: dt.datetime) -> None:
    """Close every open supervision of the record."""
    conn.execute(_closing(schema.system("supervisions")),
                 {"_register": record.register, "_record": record.id, "resolved_at": now})


@functools.lru_cache(maxsize=64)
def _closing(table: Table) -> Update:
    """The UPDATE closing a record's open supervisions, built once."""
    return update(table).where(table.c.register == bindparam("_register"),
                               table.c.record == bindparam("_record"),
                               table.c.resolved_at.is_(None))


def open_supervision(conn_or_engine: Connection | Engine, runtime: Runtime, user: Actor,
                     register: str, record_id: int, *,
                     reason: str, clock: Clock) -> int:
    """Open a supervision as ``user``, who must hold ``supervise`` over the record's place;
    raises Forbidden otherwise, NotFound when there is no such record."""
    now, deployment, schema = clock(), runtime.deployment, runtime.schema
    with transaction(conn_or_engine) as conn:
        record = load_record(conn, schema, register, record_id)
        if not may_supervise(deployment, schema, user, record):
            raise Forbidden(f"may not supervise {register} #{record_id}")
        supervision_id = open_row(conn, runtime, record, by=user.id, reason=reason, now=now)
        write(conn, schema, Change(Kind.SUPERVISED, register, record_id, now, actor=user.id,
                                   round=record.round, comment=reason))
        return supervision_id


def supervisions(conn: Connection, schema: Schema, register: str,
                 record_id: int) -> list[dict[str, object]]:
    """A record's supervisions, oldest first (open ones have no ``resolved_at``)."""
    table = schema.system("supervisions")
    query = select(table).where(table.c.register == register,
                                table.c.record == record_id).order_by(table.c.id)
    return [dict(row) for row in conn.execute(query).mappings()]
