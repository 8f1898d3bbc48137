"""The `dashboard_1m` figure: the scoped dashboard's queries for a district user over a
million events, against the same aggregates hand-written in SQL (the ceiling)."""

from __future__ import annotations

import datetime as dt
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select, text

CEILING = 1.5
"""Our p95 over the hand-written SQL's p95."""
GOAL_SECONDS = 0.3

_WORKFLOW = """\
deployment: {name: bench, title: 基准测试, timezone: Asia/Shanghai}
hierarchy:
  levels:
    - {key: district, label: 区, code: "^\\\\d{6}$"}
    - {key: street, label: 街道, code: "^\\\\d{9}$"}
    - {key: community, label: 社区, code: "^\\\\d{12}$"}
    - {key: grid, label: 网格, code: "^\\\\d{15}$"}
  nodes: nodes.csv
roles:
  district_leader: {label: 区领导, at: district, can: [view, supervise]}
registers:
  event:
    label: 事件
    workflow: flow
    categorized: true
    fields:
      - {name: title, type: text, required: true}
categories:
  - {code: noise, label: 噪音}
  - {code: litter, label: 垃圾}
  - {code: road, label: 道路}
  - {code: water, label: 供水}
  - {code: dispute, label: 纠纷}
  - {code: other, label: 其他}
workflows:
  flow:
    label: 流程
    states:
      reported: {label: 已上报, initial: true}
      handling: {label: 处理中}
      closed: {label: 已办结, final: true}
    transitions:
      - {name: accept, from: reported, to: handling, by: district_leader}
      - {name: close, from: handling, to: closed, by: district_leader}
"""

_TITLE = "      - {name: title, type: text, required: true}\n"

_HAND = [
    """SELECT count(*), sum(CASE WHEN state IN ('reported','handling') THEN 1 ELSE 0 END),
       sum(CASE WHEN state IN ('reported','handling') AND deadline < :now THEN 1 ELSE 0 END),
       sum(CASE WHEN state IN ('reported','handling') AND deadline >= :now
                AND deadline < :midnight THEN 1 ELSE 0 END),
       sum(CASE WHEN state = 'closed' AND updated_at >= :month THEN 1 ELSE 0 END)
       FROM r_event WHERE node IN (SELECT id FROM nodes WHERE path >= :low AND path < :high)""",
    """SELECT state, count(*) FROM r_event WHERE node IN
       (SELECT id FROM nodes WHERE path >= :low AND path < :high) GROUP BY state""",
    """SELECT category, count(*) FROM r_event WHERE node IN
       (SELECT id FROM nodes WHERE path >= :low AND path < :high)
       AND category IS NOT NULL GROUP BY category ORDER BY count(*) DESC, category LIMIT 5""",
    """SELECT """ + ", ".join(
        f"sum(CASE WHEN created_at >= :w{i} AND created_at < :w{i + 1} THEN 1 ELSE 0 END)"
        for i in range(8)) + """ FROM r_event WHERE node IN
       (SELECT id FROM nodes WHERE path >= :low AND path < :high)""",
    """SELECT node, count(*), sum(CASE WHEN state IN ('reported','handling') THEN 1 ELSE 0 END),
       sum(CASE WHEN state IN ('reported','handling') AND deadline < :now THEN 1 ELSE 0 END),
       sum(CASE WHEN state = 'closed' THEN 1 ELSE 0 END),
       sum(CASE WHEN state = 'closed' AND (deadline IS NULL OR updated_at <= deadline)
                THEN 1 ELSE 0 END)
       FROM r_event WHERE node IN (SELECT id FROM nodes WHERE path >= :low AND path < :high)
       GROUP BY node""",
]


def dashboard(records: int = 1_000_000, url: str | None = None, runs: int = 50,
              streets: int = 20, communities: int = 20, grids: int = 50) -> dict[str, Any]:
    """The figure: p95 of the dashboard's counts for one workflow register, as a district
    user sees them (the whole tree), over ``runs`` requests; SQLite unless ``url``."""
    from ..auth import User
    from ..config import load_deployment
    from ..hierarchy import Grant
    from ..runtime import Runtime
    from ..storage import build_schema, make_engine, migrate
    from ..web import overview
    from ..web.site import Site
    from .bench import generate_tree

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "bench"
        nodes = generate_tree(root, streets, communities, grids)
        (root / "deployment.yaml").write_text(_WORKFLOW, encoding="utf-8")
        deployment = load_deployment(root)
        url = url or f"sqlite:///{root / 'bench.sqlite3'}"
        migrate(url, deployment, echo=lambda _line: None)
        schema = build_schema(deployment)
        engine = make_engine(url)
        now = dt.datetime(2026, 11, 26, 2, tzinfo=dt.UTC)
        try:
            _fill(engine, schema, records, now)
            site = Site(Runtime.build(deployment), engine, lambda: now, Path(tmp))
            top = next(n for n in site.nodes().values() if n.level == "district")
            user = User(0, "leader", "leader", (Grant("district_leader", "subtree", top.id,
                                                      top.path),))
            children = overview.children_of(site, top)
            ours = _timed(runs, lambda: _ours(site, user, top, children))
            params = _params(site, top, now)
            hand = _timed(runs, lambda: _hand(engine, params))
            with engine.connect() as conn:
                counted = overview.register_counts(conn, site, user, "event", top, children)
                written = tuple(conn.execute(text(_HAND[0]), params).one())
            agrees = written == (counted.total, *(counted.statuses[s]
                                                   for s in overview.STATUSES))
        finally:
            engine.dispose()
    p95, ceiling = _p95(ours), _p95(hand)
    ratio = p95 / ceiling
    return {"name": "dashboard_1m", "ratio": round(ratio, 3), "ceiling": CEILING,
            "ok": agrees and ratio <= CEILING and p95 <= GOAL_SECONDS, "agrees": agrees,
            "p95_ms": round(p95 * 1000, 1), "hand_sql_p95_ms": round(ceiling * 1000, 1),
            "goal_ms": GOAL_SECONDS * 1000, "records": records, "nodes": nodes,
            "requests": runs, "database": url.split(":")[0]}


MAP_ZOOM = 12
BOX = (120.0, 30.1, 120.3, 30.4)
"""The district's extent (west, south, east, north): the map asked for at `MAP_ZOOM`."""
_HAND_MAP = """SELECT count(*), avg(place_lat), avg(place_lon), min(id) FROM r_event
    WHERE node IN (SELECT id FROM nodes WHERE path >= :low AND path < :high)
    AND place_lat IS NOT NULL AND place_lon IS NOT NULL
    AND place_lat >= :south AND place_lat <= :north AND place_lon >= :west AND place_lon <= :east
    GROUP BY CAST((place_lon + 180) / :size AS INTEGER), CAST((place_lat + 90) / :size AS INTEGER)
    LIMIT 2001"""


def map_layer(records: int = 1_000_000, url: str | None = None, runs: int = 50,
              streets: int = 20, communities: int = 20, grids: int = 50) -> dict[str, Any]:
    """The `map_layer_1m` figure: p95 of the clustered events layer for a district user
    over the whole district at zoom 12, against the same grouping hand-written in SQL."""
    from starlette.datastructures import QueryParams

    from ..auth import User
    from ..config import load_deployment
    from ..hierarchy import Grant
    from ..runtime import Runtime
    from ..storage import build_schema, make_engine, migrate
    from ..web import map_layers
    from ..web.site import Site
    from .bench import generate_tree

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "bench"
        nodes = generate_tree(root, streets, communities, grids)
        (root / "deployment.yaml").write_text(_WORKFLOW.replace(
            _TITLE, _TITLE + "      - {name: place, type: geo_point}\n"), encoding="utf-8")
        deployment = load_deployment(root)
        url = url or f"sqlite:///{root / 'bench.sqlite3'}"
        migrate(url, deployment, echo=lambda _line: None)
        engine = make_engine(url)
        now = dt.datetime(2026, 11, 26, 2, tzinfo=dt.UTC)
        try:
            _fill(engine, build_schema(deployment), records, now, points=True)
            site = Site(Runtime.build(deployment), engine, lambda: now, Path(tmp))
            top = next(n for n in site.nodes().values() if n.level == "district")
            user = User(0, "leader", "leader", (Grant("district_leader", "subtree", top.id,
                                                      top.path),))
            box = map_layers.Box(*BOX)

            def ours() -> dict[str, Any]:
                return map_layers.clustered(site, user, "event", QueryParams(""), box,
                                            MAP_ZOOM)
            answer = ours()
            params = {"low": top.path, "high": top.path[:-1] + "0", "west": BOX[0],
                      "south": BOX[1], "east": BOX[2], "north": BOX[3],
                      "size": answer["properties"]["cell_degrees"]}

            def hand() -> list[Any]:
                with engine.connect() as conn:
                    return list(conn.execute(text(_HAND_MAP), params).all())
            ours_times, hand_times = _timed(runs, ours), _timed(runs, hand)
            written = hand()
        finally:
            engine.dispose()
    features = answer["features"]
    agrees = (len(written) == len(features) and sum(r[0] for r in written)
              == sum(f["properties"]["count"] for f in features) == records)
    p95, ceiling = _p95(ours_times), _p95(hand_times)
    ratio = p95 / ceiling
    return {"name": "map_layer_1m", "ratio": round(ratio, 3), "ceiling": CEILING,
            "ok": agrees and ratio <= CEILING and p95 <= GOAL_SECONDS
            and len(features) <= map_layers.MAX_FEATURES,
            "agrees": agrees, "features": len(features), "p95_ms": round(p95 * 1000, 1),
            "hand_sql_p95_ms": round(ceiling * 1000, 1), "goal_ms": GOAL_SECONDS * 1000,
            "records": records, "nodes": nodes, "requests": runs,
            "database": url.split(":")[0]}


def _ours(site: Any, user: Any, top: Any, children: list[Any]) -> None:
    from ..web import overview

    with site.engine.connect() as conn:
        overview.register_counts(conn, site, user, "event", top, children)


def _hand(engine: Engine, params: dict[str, Any]) -> None:
    with engine.connect() as conn:
        for sql in _HAND:
            conn.execute(text(sql), params).all()


def _params(site: Any, top: Any, now: dt.datetime) -> dict[str, Any]:
    from ..web import overview

    sqlite = site.engine.dialect.name == "sqlite"

    def instant(at: dt.datetime) -> Any:
        utc = at.astimezone(dt.UTC)
        return utc.replace(tzinfo=None).isoformat(" ") if sqlite else utc
    today = overview.today(site)
    monday = today - dt.timedelta(days=today.weekday())
    weeks = {f"w{i}": instant(overview.day_start(site, monday - dt.timedelta(weeks=7 - i)))
             for i in range(9)}
    return {"now": instant(now), "low": top.path, "high": top.path[:-1] + "0",
            "midnight": instant(overview.day_start(site, today + dt.timedelta(days=1))),
            "month": instant(overview.day_start(site, overview.month_start(site))), **weeks}


def _fill(engine: Engine, schema: Any, records: int, now: dt.datetime,
          points: bool = False) -> None:
    """``records`` events spread over the grids: a third closed, deadlines around now,
    created over the last 90 days; with ``points``, each at a place in `BOX`."""
    nodes, table = schema.system("nodes"), schema.table("event")
    pick = random.Random(0)
    categories = ["noise", "litter", "road", "water", "dispute", "other"]
    states = ["reported", "handling", "closed"]
    with engine.begin() as conn:
        grids = conn.execute(select(nodes.c.id).where(nodes.c.level == "grid")
                             .order_by(nodes.c.id)).scalars().all()
        for start in range(0, records, 50_000):
            rows = []
            for i in range(start, min(start + 50_000, records)):
                created = now - dt.timedelta(minutes=pick.randrange(90 * 24 * 60))
                rows.append({"node": grids[i % len(grids)], "created_at": created,
                             "updated_at": created + dt.timedelta(hours=pick.randrange(200)),
                             "version": 1, "title": f"e{i}", "state": states[i % 3],
                             "category": categories[pick.randrange(6)],
                             "deadline": created + dt.timedelta(hours=pick.randrange(240)),
                             **({"place_lat": BOX[1] + pick.random() * (BOX[3] - BOX[1]),
                                 "place_lon": BOX[0] + pick.random() * (BOX[2] - BOX[0])}
                                if points else {})})
            conn.execute(insert(table), rows)
    _settle(engine)


def _settle(engine: Engine) -> None:
    """Statistics (and on PostgreSQL the visibility map) as a running database has them
    after a bulk load: without them PostgreSQL plans a nested loop over every grid and
    sorts on disk, ten times slower than what a district user meets."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE" if engine.dialect.name == "postgresql"
                             else "ANALYZE")


def _timed(runs: int, call: Any) -> list[float]:
    call()  # warm caches once, as a running server has
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return times


def _p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[-1]
