"""The `subtree_count_1m` figure: a scoped count through `scope_filter` against hand-written SQL."""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, insert, select, text

from ..config import load_deployment
from ..hierarchy import Grant, scope_filter
from ..storage.engine import make_engine
from ..storage.migration import migrate
from ..storage.schema import build_schema

CEILING = 1.5
_HAND_SQL = text("SELECT count(*) FROM r_place r JOIN nodes n ON n.id = r.node "
                 "WHERE n.path >= :low AND n.path < :high")


class _Viewer:
    """A user holding one subtree grant at a street."""

    def __init__(self, node: int, path: str) -> None:
        self.grants = (Grant("viewer", "subtree", node, path),)


def subtree_count_1m() -> dict[str, Any]:
    """Count 1,000,000 records under one street of 20,000 grids, as a ratio to raw SQL."""
    return subtree_count(records=1_000_000)


def subtree_count(records: int, streets: int = 20, communities: int = 20, grids: int = 50,
                  url: str | None = None, runs: int = 7) -> dict[str, Any]:
    """The figure for a tree of the given shape; SQLite in a temporary folder unless ``url``."""
    from .bench import generate_tree

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "bench"
        nodes = generate_tree(root, streets, communities, grids)
        deployment = load_deployment(root)
        url = url or f"sqlite:///{root / 'bench.sqlite3'}"
        migrate(url, deployment, echo=lambda _line: None)
        schema = build_schema(deployment)
        engine = make_engine(url)
        try:
            with engine.begin() as conn:
                _fill(conn, schema.system("nodes"), schema.table("place"), records)
            with engine.connect() as conn:
                nodes_table = schema.system("nodes")
                street = conn.execute(select(nodes_table.c.id, nodes_table.c.path).where(
                    nodes_table.c.level == "street").order_by(nodes_table.c.path)).first()
                assert street is not None
                user = _Viewer(street.id, street.path)
                table = schema.table("place")

                def ours() -> int:
                    query = select(func.count()).select_from(table).where(
                        scope_filter(user, table))
                    return int(conn.execute(query).scalar_one())

                def hand() -> int:
                    bounds = {"low": street.path, "high": street.path[:-1] + "0"}
                    return int(conn.execute(_HAND_SQL, bounds).scalar_one())
                counted, expected = ours(), hand()
                if counted != expected:
                    raise RuntimeError(f"scope_filter counted {counted}, the SQL {expected}")
                ours_s, hand_s = _median_times(ours, hand, runs)
                dialect = conn.dialect.name
        finally:
            engine.dispose()
    ratio = ours_s / hand_s
    return {"name": "subtree_count_1m", "ratio": round(ratio, 4), "ceiling": CEILING,
            "ok": ratio <= CEILING, "records": records, "nodes": nodes, "count": counted,
            "ours_seconds": round(ours_s, 6), "hand_seconds": round(hand_s, 6),
            "database": dialect}


def _fill(conn: Connection, nodes: Any, table: Any, records: int) -> None:
    """Spread ``records`` evenly over the grid nodes."""
    grids = conn.execute(select(nodes.c.id).where(nodes.c.level == "grid")
                         .order_by(nodes.c.id)).scalars().all()
    at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    chunk = 50_000
    for start in range(0, records, chunk):
        conn.execute(insert(table), [
            {"node": grids[i % len(grids)], "created_at": at, "updated_at": at, "version": 1,
             "name": f"p{i}"} for i in range(start, min(start + chunk, records))])
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ANALYZE")


def _median_times(ours: Any, hand: Any, runs: int) -> tuple[float, float]:
    """Median seconds of each, run alternately after a warm-up so caches favour neither."""
    ours()
    hand()
    times: dict[str, list[float]] = {"ours": [], "hand": []}
    for _ in range(runs):
        for name, run in (("ours", ours), ("hand", hand)):
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return statistics.median(times["ours"]), statistics.median(times["hand"])
