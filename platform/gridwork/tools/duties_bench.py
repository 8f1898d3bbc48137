"""The duty figures: `duties_generate_100k` (one period's duties for 100,000 entries sampled
50/30/20% by class, as a ratio to a hand-written INSERT … SELECT of as many rows on the same
database) and `duties_idle_1m` (seconds for a generation pass over 1,000,000 entries when
every period is already generated)."""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Integer, case, delete, func, insert, literal, select

from ..config import Deployment, load_deployment
from ..duties.generate import generate, generate_period
from ..duties.periods import period_at
from ..runtime import Runtime
from ..storage import Schema, make_engine, migrate
from ..storage.types import UTCDateTime
from ..storage.writes import writing

RATIO_FLOOR = 0.3
IDLE_CEILING = 0.01
ENTRIES = 100_000
IDLE_ENTRIES = 1_000_000
NOW = dt.datetime(2026, 4, 1, 1, 0, tzinfo=dt.UTC)
"""09:00 on the first day of a quarter in Shanghai: every slot of the period is ahead."""

_DEPLOYMENT = """\
deployment: {name: dutybench, title: 任务基准, timezone: Asia/Shanghai}
hierarchy:
  levels: [{key: community, label: 社区}, {key: grid, label: 网格}]
  nodes:
    - {code: C1, name: 社区, level: community}
GRIDS
roles:
  worker: {label: 网格员, at: grid, can: [view, create]}
choices:
  visit_class: {"1": 一类, "2": 二类, "3": 三类}
registers:
  household:
    label: 住户
    fields: [{name: visit_class, type: choice, choices: visit_class}]
  visit:
    label: 走访
    fields: [{name: notes, type: text}]
schedules:
  - {name: spot, label: 抽查, register: household, every: quarter, creates: visit,
     assign: worker, sample: {by: visit_class, rates: {"1": 50%, "2": 30%, "3": 20%}},
     mode: expect}
"""
"""The schedule expects its records (`mode: expect`): the figure compares writing the duties
with a hand-written INSERT of the same duty rows, not the creation of records."""


def _deployment(root: Path, grids: int = 50) -> Deployment:
    lines = "\n".join(f"    - {{code: C1G{n}, name: 网格{n}, level: grid, parent: C1}}"
                      for n in range(1, grids + 1))
    root.mkdir(parents=True, exist_ok=True)
    (root / "deployment.yaml").write_text(_DEPLOYMENT.replace("GRIDS", lines), encoding="utf-8")
    return load_deployment(root)


def _fill(conn: Connection, schema: Schema, entries: int, people: bool = True) -> None:
    """``entries`` households over the grids, classes 1, 2, 3 in turn; one worker per grid
    but the last (its duties go unassigned)."""
    nodes, table = schema.system("nodes"), schema.table("household")
    grids = select(nodes.c.id, (func.row_number().over(order_by=nodes.c.id) - 1).label("k")
                   ).where(nodes.c.level == "grid").subquery()
    count = conn.execute(select(func.count()).select_from(grids)).scalar_one()
    numbers = select(literal(1, Integer).label("i")).cte("numbers", recursive=True)
    numbers = numbers.union_all(select(numbers.c.i + 1).where(numbers.c.i < entries))
    at = literal(NOW - dt.timedelta(days=1), UTCDateTime)
    klass = case((numbers.c.i % 3 == 0, "1"), (numbers.c.i % 3 == 1, "2"), else_="3")
    conn.execute(insert(table).from_select(
        ["id", "node", "created_at", "updated_at", "version", "visit_class"],
        select(numbers.c.i, grids.c.id, at, at, literal(1), klass)
        .join(grids, grids.c.k == numbers.c.i % count)))
    users, grants = schema.system("users"), schema.system("grants")
    ids = conn.execute(select(grids.c.id).where(grids.c.k < count - 1)).scalars().all()
    for number, node in enumerate(ids if people else ()):
        user = conn.execute(insert(users).values(
            username=f"w{number}", display_name=f"W{number}", active=True,
            created_at=NOW).returning(users.c.id)).scalar_one()
        conn.execute(insert(grants).values(user=user, role="worker", node=node))
    conn.exec_driver_sql("ANALYZE")


def _reset(engine: Engine, schema: Schema) -> None:
    with engine.begin() as conn:
        conn.execute(delete(schema.system("duties")))
        conn.execute(delete(schema.system("duty_periods")))
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    else:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM duties, duty_periods")


def _hand(engine: Engine, runtime: Runtime, rows: int) -> float:
    """Seconds for a plain INSERT … SELECT of ``rows`` duties straight from the register
    (no sampling by class, no assignment: the floor), then undone."""
    schema = runtime.schema
    table, duties = schema.table("household"), schema.system("duties")
    period = period_at("quarter", NOW, runtime.calendar)
    start = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(insert(duties).from_select(
            ["schedule", "period", "entry", "occurrence", "node", "period_start", "period_end",
             "starts_at", "due_at", "state", "register", "created_at"],
            select(literal("spot"), literal(period.key), table.c.id, literal(1), table.c.node,
                   literal(period.start, UTCDateTime), literal(period.end, UTCDateTime),
                   literal(period.start, UTCDateTime), literal(period.end, UTCDateTime),
                   literal("open"), literal("visit"), literal(NOW, UTCDateTime))
            .where(table.c.id <= rows)))
    seconds = time.perf_counter() - start
    _reset(engine, schema)
    return seconds


def _ours(engine: Engine, runtime: Runtime) -> tuple[float, int]:
    schedule = runtime.deployment.schedules[0]
    period = period_at(schedule.period, NOW, runtime.calendar)
    start = time.perf_counter()
    with writing(engine) as conn:
        made = generate_period(conn, runtime, schedule, period, NOW)
    seconds = time.perf_counter() - start
    _reset(engine, runtime.schema)
    return seconds, made.created


def duty_figures(url: str | None = None, runs: int = 3,
                 entries: int = ENTRIES, idle_entries: int = IDLE_ENTRIES,
                 ) -> dict[str, dict[str, Any]]:
    """Both figures: generation on ``entries`` households, then the idle pass after the
    register has grown to ``idle_entries`` (SQLite in a temporary folder unless ``url``)."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "dutybench"
        deployment = _deployment(root)
        url = url or f"sqlite:///{root / 'bench.sqlite3'}"
        migrate(url, deployment, echo=lambda _line: None)
        runtime = Runtime.build(deployment)
        engine = make_engine(url)
        try:
            with engine.begin() as conn:
                _fill(conn, runtime.schema, entries)
            hand, ours = [], []
            created = 0
            for _ in range(runs):
                seconds, created = _ours(engine, runtime)
                ours.append(seconds)
                hand.append(_hand(engine, runtime, created))
            with engine.begin() as conn:
                table = runtime.schema.table("household")
                conn.execute(delete(table))
                _fill(conn, runtime.schema, idle_entries, people=False)
            generate(engine, runtime, now=NOW)
            idle = []
            for _ in range(5):
                start = time.perf_counter()
                nothing = generate(engine, runtime, now=NOW + dt.timedelta(hours=1))
                idle.append(time.perf_counter() - start)
                assert nothing == []
            dialect = engine.dialect.name
        finally:
            engine.dispose()
    ratio = statistics.median(h / o for h, o in zip(hand, ours, strict=True))
    return {
        "duties_generate_100k": {
            "name": "duties_generate_100k", "ratio": round(ratio, 4), "ceiling": RATIO_FLOOR,
            "goal": f">= {RATIO_FLOOR}", "ok": ratio >= RATIO_FLOOR, "entries": entries,
            "duties": created, "generate_seconds": round(min(ours), 4),
            "insert_select_seconds": round(min(hand), 4), "database": dialect},
        "duties_idle_1m": {
            "name": "duties_idle_1m", "seconds": round(min(idle), 6), "ceiling": IDLE_CEILING,
            "ok": min(idle) <= IDLE_CEILING, "entries": idle_entries, "database": dialect},
    }
