"""The statistics' median handling time in working hours, counted in SQL, is what the
business calendar counts record by record (weekends, the National Day holiday, the lunch
break and evenings left out)."""

from __future__ import annotations

import datetime as dt
import statistics
from pathlib import Path

from sqlalchemy import insert, select

from gridwork.auth import User
from gridwork.config import load_deployment
from gridwork.hierarchy import Grant
from gridwork.runtime import Runtime
from gridwork.storage import build_schema, make_engine, migrate
from gridwork.tools.bench import generate_tree
from gridwork.tools.overview_bench import _WORKFLOW
from gridwork.web import overview
from gridwork.web.site import Site

_ZONE = dt.timezone(dt.timedelta(hours=8))


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=_ZONE)


# (created, closed or None for still open, category): across a weekend, the National Day
# week, a lunch break, an evening, within one morning; one open record that must not count.
_RECORDS = [
    ("2026-09-30 16:00", "2026-10-09 09:30", "noise"),
    ("2026-10-16 17:00", "2026-10-19 09:00", "noise"),
    ("2026-10-20 11:00", "2026-10-20 14:30", "noise"),
    ("2026-10-20 20:00", "2026-10-21 08:45", "road"),
    ("2026-10-22 09:00", "2026-10-22 09:20", "road"),
    ("2026-10-22 10:00", "2026-10-23 10:00", "road"),
    ("2026-10-22 10:00", None, "road"),
]


def test_median_working_hours_is_the_calendars(tmp_path: Path, db_url: str) -> None:
    root = tmp_path / "bench"
    generate_tree(root, 2, 2, 2)
    (root / "deployment.yaml").write_text(_WORKFLOW, encoding="utf-8")
    deployment = load_deployment(root)
    migrate(db_url, deployment, echo=lambda _line: None)
    schema = build_schema(deployment)
    engine = make_engine(db_url)
    now = _at("2026-11-26 10:00")
    try:
        nodes = schema.system("nodes")
        with engine.begin() as conn:
            grids = conn.execute(select(nodes.c.id, nodes.c.path).where(nodes.c.level == "grid")
                                 .order_by(nodes.c.path)).all()
            conn.execute(insert(schema.table("event")), [
                {"node": grids[i % len(grids)].id, "created_at": _at(created),
                 "updated_at": _at(closed or created), "version": 1, "title": f"e{i}",
                 "state": "closed" if closed else "handling", "category": category}
                for i, (created, closed, category) in enumerate(_RECORDS)])
        site = Site(Runtime.build(deployment), engine, lambda: now, tmp_path)
        top = next(n for n in site.nodes().values() if n.level == "district")
        user = User(0, "leader", "leader", (Grant("district_leader", "subtree", top.id,
                                                  top.path),))
        calendar = site.runtime.calendar

        def oracle(kept: list[tuple[str, str | None, str]]) -> float:
            return round(statistics.median(
                calendar.working_time_between(_at(a), _at(b)) / 3600
                for a, b, _c in kept if b is not None), 2)

        ask = overview.StatsQuery("event", ("category",), "street", "month",
                                  dt.date(2026, 9, 1), dt.date(2026, 11, 26))
        with engine.connect() as conn:
            by_category = {r["category"]: r for r in overview.stats_rows(conn, site, user, ask)}
            by_street = overview.stats_rows(conn, site, user, overview.StatsQuery(
                "event", ("node", "period"), "street", "month", dt.date(2026, 9, 1),
                dt.date(2026, 11, 26)))
        for category in ("noise", "road"):
            kept = [r for r in _RECORDS if r[2] == category]
            assert by_category[category]["median_working_hours"] == oracle(kept), category
        # 1.5 h + 1 h around the holiday, 0.5 h + 0.5 h around the weekend, and 11:00 to 14:30
        # less the lunch break: the median is the last, 2 working hours.
        assert by_category["noise"]["median_working_hours"] == 2.0
        streets = {n.code: n for n in site.nodes().values() if n.level == "street"}
        for row in by_street:
            kept = [r for i, r in enumerate(_RECORDS)
                    if grids[i % len(grids)].path.startswith(streets[row["node"]].path)
                    and r[0][:7] == row["period"][:7]]
            expected = oracle(kept) if any(r[1] for r in kept) else None
            assert row["median_working_hours"] == expected, row
    finally:
        engine.dispose()
