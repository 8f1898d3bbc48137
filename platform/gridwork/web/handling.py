"""Median handling time in working hours, in SQL: from a record's creation to its closing
(its last change, as the on-time rate reads it), counting only the business calendar's
working hours.

The calendar's working spans over the asked dates go to the database as a VALUES list
with the working seconds before each; one window pass over the records' instants and the
span starts finds each instant's span (the running maximum of the starts before it), so an
instant's working clock is the seconds before its span plus its part of the span. The
median per group is the middle row (or the mean of the two) by window rank.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Float,
    and_,
    case,
    cast,
    column,
    func,
    literal,
    null,
    select,
    union_all,
    values,
)

from .site import Site


def epoch_seconds(value: Any, dialect: str) -> ColumnElement[float]:
    """SQL: seconds since 1970 of a stored instant (SQLite keeps UTC text)."""
    if dialect == "sqlite":
        return (func.julianday(value) - 2440587.5) * 86400.0
    return func.extract("epoch", value)


def owner_at_depth(nodes: Any, depth: int, deepest: int) -> tuple[Any, Any, Any]:
    """SQL: the id of a node's ancestor at ``depth`` (itself at that depth, NULL above it)
    through the parent column: (the id expression, the outer-joined node aliases, the alias
    to join to the record's node)."""
    chain = [nodes.alias("own0")]
    source = chain[0]
    for k in range(1, deepest - depth):
        up = nodes.alias(f"own{k}")
        source = source.outerjoin(up, up.c.id == chain[-1].c.parent)
        chain.append(up)
    whens = [(chain[0].c.depth == depth, chain[0].c.id)]
    whens += [(chain[0].c.depth == depth + k, chain[k - 1].c.parent)
              for k in range(1, deepest - depth + 1)]
    return case(*whens, else_=null()), source, chain[0]


def median_working_hours(conn: Connection, site: Site, done: Any, keys: list[str],
                         first: dt.date, last: dt.date) -> dict[tuple[Any, ...], float]:
    """``{key values: median hours}`` over ``done``, a subquery of closed records with
    columns ``id``, ``created``, ``closed`` (instants between the local dates ``first``
    and ``last``; a later one counts to that day's close) and the ``keys``; the keys ride
    along, so the records are read once."""
    dialect = conn.dialect.name
    rows, before = [], 0.0
    for start, end in site.runtime.calendar.working_spans(first - dt.timedelta(days=1),
                                                          last + dt.timedelta(days=1)):
        rows.append((start.timestamp(), end.timestamp(), before))
        before += (end - start).total_seconds()
    spans = values(column("s", Float), column("e", Float), column("w", Float),
                   name="spans").data(rows or [(0.0, 0.0, 0.0)]).cte("spans")
    carried = [done.c[k] for k in keys]
    instants = union_all(
        select(done.c.id, literal(0).label("kind"),
               epoch_seconds(done.c.created, dialect).label("t"),
               cast(null(), Float).label("s"), *carried),
        select(done.c.id, literal(1), epoch_seconds(done.c.closed, dialect),
               cast(null(), Float), *carried),
        select(null(), literal(-1), spans.c.s, spans.c.s, *(null() for _ in keys))
    ).subquery("instants")
    found = select(*instants.c, func.max(instants.c.s).over(
        order_by=(instants.c.t, instants.c.kind)).label("start")).subquery("found")
    clock = func.coalesce(spans.c.w + case((found.c.t < spans.c.e, found.c.t - spans.c.s),
                                           else_=spans.c.e - spans.c.s), 0.0)
    grouped = [found.c[k] for k in keys]
    worked = (select(*grouped, (func.sum(case((found.c.kind == 1, clock), else_=-clock))
                                / 3600.0).label("hours"))
              .select_from(found.outerjoin(spans, spans.c.s == found.c.start))
              .where(found.c.kind >= 0).group_by(found.c.id, *grouped).subquery("worked"))
    by = [worked.c[k] for k in keys]
    ranked = select(*by, worked.c.hours,
                    func.row_number().over(partition_by=by, order_by=worked.c.hours
                                           ).label("rank"),
                    func.count().over(partition_by=by).label("n")).subquery("ranked")
    middle = [ranked.c[k] for k in keys]
    median = select(*middle, func.avg(ranked.c.hours)).where(
        and_(ranked.c.rank >= (ranked.c.n + 1) // 2, ranked.c.rank <= (ranked.c.n + 2) // 2)
    ).group_by(*middle)
    return {tuple(row[:-1]): round(float(row[-1]), 2) for row in conn.execute(median)}
