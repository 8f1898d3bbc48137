"""The `assess_month_1m` figure: a month's sheets for 20,000 grids over 1,000,000 events
with their history, through `gridwork.assessment`, against one hand-written SQL aggregate
computing the same metrics on the same database."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, insert, select, text

from ..config import load_deployment
from ..storage.engine import make_engine
from ..storage.migration import migrate
from ..storage.schema import build_schema

CEILING = 2.0
ZONE = ZoneInfo("Asia/Shanghai")
_ASSESSED = """\
  event:
    label: 事件
    workflow: flow
    fields:
      - {name: title, type: text}
workflows:
  flow:
    label: 流程
    states:
      reported: {label: 已上报, initial: true}
      handling: {label: 处理中}
      closed: {label: 已办结, final: true}
    transitions:
      - {name: accept, from: reported, to: handling, by: grid_worker}
      - {name: close, from: handling, to: closed, by: grid_worker}
assessment:
  periods: [month]
  subjects: [{level: grid}]
  metrics:
    reports: {label: 上报数, kind: count, register: event}
    closed_rate: {label: 办结率, kind: rate, register: event, of: "state == 'closed'"}
    on_time: {label: 按时处理率, kind: on_time, register: event, state: handling}
    overdue: {label: 超时数, kind: overdue, register: event}
  score: "100 * (on_time if on_time != null else 1) - overdue"
  grades: [{label: 合格, min: 60}, {label: 不合格}]
"""
_HAND = """
WITH lv AS (SELECT record FROM history WHERE register = 'event' AND kind = 'moved'
              AND from_state = 'handling' AND at >= :s AND at < :e),
     od AS (SELECT record,
                   max(CASE WHEN {state} = 'handling' THEN 1 ELSE 0 END) AS late,
                   sum(CASE WHEN at >= :s AND at < :e THEN 1 ELSE 0 END) AS in_month
              FROM history WHERE register = 'event' AND kind = 'overdue' GROUP BY record)
SELECT r.node,
       sum(CASE WHEN r.created_at >= :s AND r.created_at < :e THEN 1 ELSE 0 END),
       sum(CASE WHEN r.created_at >= :s AND r.created_at < :e AND r.state = 'closed'
           THEN 1 ELSE 0 END),
       count(lv.record),
       sum(CASE WHEN lv.record IS NOT NULL AND coalesce(od.late, 0) = 0 THEN 1 ELSE 0 END),
       sum(coalesce(od.in_month, 0))
  FROM r_event r LEFT JOIN lv ON lv.record = r.id LEFT JOIN od ON od.record = r.id
 GROUP BY r.node
"""


def assess_month(records: int = 1_000_000, streets: int = 20, communities: int = 20,
                 grids: int = 50, url: str | None = None, runs: int = 3) -> dict[str, Any]:
    """The figure for a tree of the given shape; SQLite in a temporary folder unless ``url``."""
    from ..assessment import compute, parse_period
    from .bench import generate_tree
    from .scope_bench import _median_times

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "bench"
        nodes = generate_tree(root, streets, communities, grids)
        yaml = (root / "deployment.yaml").read_text(encoding="utf-8")
        (root / "deployment.yaml").write_text(
            yaml.replace("registers:\n", "registers:\n" + _ASSESSED.split("workflows:")[0], 1)
            + "workflows:" + _ASSESSED.split("workflows:")[1], encoding="utf-8")
        deployment = load_deployment(root)
        url = url or f"sqlite:///{root / 'bench.sqlite3'}"
        migrate(url, deployment, echo=lambda _line: None)
        schema = build_schema(deployment)
        engine = make_engine(url)
        period = parse_period("2026-11", ZONE)
        assessment = deployment.assessment
        assert assessment is not None
        try:
            with engine.begin() as conn:
                _fill(conn, schema, records)
            with engine.connect() as conn:
                dialect = conn.dialect.name
                state = ("json_extract(after, '$.state')" if dialect == "sqlite"
                         else "(after ->> 'state')")
                hand_sql = text(_HAND.format(state=state))
                bounds = _bounds(dialect, period.start, period.end)
                now = dt.datetime(2026, 12, 10, tzinfo=dt.UTC)

                def ours() -> Any:
                    return compute(conn, deployment, schema, assessment.subjects[0], period, now)

                def hand() -> list[Any]:
                    return list(conn.execute(hand_sql, bounds))

                sheet, rows = ours(), hand()
                _agree(sheet, rows)
                ours_s, hand_s = _median_times(ours, hand, runs)
        finally:
            engine.dispose()
    ratio = ours_s / hand_s
    return {"name": "assess_month_1m", "ratio": round(ratio, 4), "ceiling": CEILING,
            "ok": ratio <= CEILING, "records": records, "nodes": nodes,
            "ours_seconds": round(ours_s, 4), "hand_seconds": round(hand_s, 4),
            "database": dialect}


def _bounds(dialect: str, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    if dialect == "sqlite":  # as UTCDateTime stores them: UTC text
        return {key: value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
                for key, value in (("s", start), ("e", end))}
    return {"s": start, "e": end}


def _agree(sheet: Any, rows: list[Any]) -> None:
    """The sheet counts what the hand-written SQL counts, or the figure is void."""
    by_node = {row[0]: row for row in rows}
    for line in sheet.lines:
        row = by_node.get(line.who.id)
        reports = row[1] if row else 0
        stays, in_time, overdue = (row[3], row[4], row[5]) if row else (0, 0, 0)
        if line.metrics["reports"] != reports or line.metrics["overdue"] != overdue or (
                line.counted["on_time"] != stays) or (
                stays and abs((line.metrics["on_time"] or 0) - in_time / stays) > 1e-6):
            raise RuntimeError(f"the sheet and the SQL disagree on {line.who.key}")


def _fill(conn: Connection, schema: Any, records: int) -> None:
    """Events spread over the grids from mid-October to early December (most in November):
    each accepted an hour after it was reported, seven in ten closed two days later, one in
    five overdue in handling after a day."""
    nodes, table = schema.system("nodes"), schema.table("event")
    history = schema.system("history")
    grids = conn.execute(select(nodes.c.id).where(nodes.c.level == "grid")
                         .order_by(nodes.c.id)).scalars().all()
    first = dt.datetime(2026, 10, 15, tzinfo=dt.UTC)
    span = 50 * 24 * 3600
    chunk = 50_000
    for start in range(0, records, chunk):
        ids = range(start, min(start + chunk, records))
        made = [first + dt.timedelta(seconds=(i * 7919) % span) for i in ids]
        closed = [i % 10 < 7 for i in ids]
        conn.execute(insert(table), [
            {"id": i + 1, "node": grids[i % len(grids)], "created_at": at, "updated_at": at,
             "version": 1, "state": "closed" if done else "handling", "round": 1, "title": "e"}
            for i, at, done in zip(ids, made, closed, strict=True)])
        rows: list[dict[str, Any]] = []
        for i, at, done in zip(ids, made, closed, strict=True):
            base = {"register": "event", "record": i + 1, "round": 1, "actor": None,
                    "comment": None, "before": None}
            rows.append({**base, "at": at, "kind": "created", "action": "create",
                         "from_state": None, "to_state": "reported", "after": None})
            rows.append({**base, "at": at + dt.timedelta(hours=1), "kind": "moved",
                         "action": "accept", "from_state": "reported", "to_state": "handling",
                         "after": None})
            if i % 5 == 0:
                rows.append({**base, "at": at + dt.timedelta(days=1), "kind": "overdue",
                             "action": "overdue", "from_state": None, "to_state": None,
                             "after": {"state": "handling"}})
            if done:
                rows.append({**base, "at": at + dt.timedelta(days=2), "kind": "moved",
                             "action": "close", "from_state": "handling",
                             "to_state": "closed", "after": None})
        conn.execute(insert(history), rows)
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ANALYZE")
