"""The assessment computed again in plain Python over the same rows, written apart from
the SQL: what `gridwork assess` must agree with."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from gridwork.assessment.periods import Period
from gridwork.config.models.outputs import Metric, Subject
from assessment_support import Scored


def _rows(world: Scored) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[int, Any]]:
    with world.engine.connect() as conn:
        records = [dict(r._mapping) for r in conn.execute(select(world.schema.table("event")))]
        history = [dict(r._mapping) for r in conn.execute(
            select(world.schema.system("history")).order_by(world.schema.system("history").c.id))]
        nodes = {r.id: r for r in conn.execute(select(world.schema.system("nodes")))}
    return records, history, nodes


def _owners(world: Scored, subject: Subject, nodes: dict[int, Any]) -> dict[int, int]:
    """node id → the id of the subject node above (or at) it."""
    owners = {}
    for node_id in nodes:
        current = nodes[node_id]
        while current is not None and current.level != subject.level:
            current = nodes.get(current.parent)
        if current is not None:
            owners[node_id] = current.id
    return owners


def oracle(world: Scored, metrics: dict[str, Metric], key: str, subject: Subject,
           period: Period) -> dict[int, float | None]:
    """subject id → the metric's value, for every subject that counted something (a
    change: in the period or the one before)."""
    metric = metrics[key]
    if metric.kind != "change":
        return _plain(world, metric, subject, period.start, period.end)
    base = metrics[metric.metric]
    before = period.previous()
    now = _plain(world, base, subject, period.start, period.end)
    then = _plain(world, base, subject, before.start, before.end)
    nothing = 0.0 if base.kind in ("count", "sum", "overdue", "misses") else None
    result: dict[int, float | None] = {}
    for who in set(now) | set(then):
        a, b = now.get(who, nothing), then.get(who, nothing)
        result[who] = None if a is None or b is None else a - b
    return result


def _plain(world: Scored, metric: Metric, subject: Subject, start: dt.datetime,
           end: dt.datetime) -> dict[int, float | None]:
    records, history, nodes = _rows(world)
    with world.engine.connect() as conn:
        duties = [dict(r._mapping) for r in conn.execute(select(world.schema.system("duties")))]
    by_id = {r["id"]: r for r in records}
    owners = _owners(world, subject, nodes) if subject.level else {}

    def owner(record: dict[str, Any], person: Any) -> Any:
        if subject.level:
            return owners.get(record["node"])
        if subject.departments:
            return record["department"]
        return person

    def where(record: dict[str, Any], expression: Any) -> bool:
        if expression is None:
            return True
        try:
            return bool(expression.evaluate(record))
        except TypeError:
            return False

    def inside(moment: dt.datetime) -> bool:
        return start <= moment < end

    found: dict[Any, list[float]] = {}
    if metric.kind in ("count", "sum", "average", "rate"):
        for record in records:
            if not inside(record["created_at"]) or not where(record, metric.where):
                continue
            if metric.kind in ("sum", "average"):
                x = record[metric.field]
                if x is None:
                    continue
            elif metric.kind == "rate":
                x = 1.0 if where(record, metric.of) else 0.0
            else:
                x = 1.0
            who = owner(record, record["reporter"])
            if who is not None:
                found.setdefault(who, []).append(float(x))
    elif metric.kind == "overdue":
        for row in history:
            record = by_id[row["record"]]
            if row["kind"] == "overdue" and inside(row["at"]) and where(record, metric.where):
                who = owner(record, record["assignee"])
                if who is not None:
                    found.setdefault(who, []).append(1.0)
    elif metric.kind == "on_time":
        paused = {"waiting"}
        late: dict[int, bool] = {}
        for row in history:
            record = by_id[row["record"]]
            if row["kind"] == "overdue" and (row["after"] or {}).get("state") == metric.state:
                late[row["record"]] = True
            elif (row["from_state"] == metric.state and row["to_state"] not in
                  (None, metric.state, *paused)):
                was_late = late.pop(row["record"], False)
                if inside(row["at"]) and where(record, metric.where):
                    who = owner(record, row["actor"])
                    if who is not None:
                        found.setdefault(who, []).append(0.0 if was_late else 1.0)
    elif metric.kind in ("coverage", "misses"):
        for duty in duties:
            if duty["schedule"] != metric.schedule or subject.departments:
                continue
            who = owners.get(duty["node"]) if subject.level else duty["assignee"]
            if who is None:
                continue
            if metric.kind == "coverage" and inside(duty["due_at"]) and duty["state"] != "dropped":
                found.setdefault(who, []).append(1.0 if duty["state"] == "done" else 0.0)
            if metric.kind == "misses" and duty["missed_at"] and inside(duty["missed_at"]):
                found.setdefault(who, []).append(1.0)
    result: dict[int, float | None] = {}
    for who, xs in found.items():
        if metric.kind in ("count", "overdue", "sum", "misses"):
            result[who] = sum(xs)
        else:
            result[who] = sum(xs) / len(xs)
    return result
