"""Every schedule of every shipped deployment generates duties from its demo data, and the
sweep command prints them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from support import CONFIGS, run_cli, runtime_of

from gridwork.config import load_deployment
from gridwork.duties.generate import generate
from gridwork.duties.run import run_duties
from gridwork.storage import make_engine, migrate
from gridwork.demo.seed import seed_demo

MONDAY = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
"""The first day of a month, a Monday and a working day: every kind of period has slots
ahead of it (a quarter's first half-quarter slot excepted)."""


@pytest.mark.parametrize("name", ["community", "safety", "environment"])
def test_every_shipped_schedule_generates_duties(name: str, tmp_path: Path) -> None:
    deployment = load_deployment(CONFIGS / name)
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    migrate(url, deployment, echo=lambda _line: None)
    engine = make_engine(url)
    runtime = runtime_of(deployment)
    duties = runtime.schema.system("duties")
    try:
        seed_demo(engine, deployment, records=300, echo=lambda _line: None)
        made = {g.schedule: g for g in generate(engine, runtime, now=MONDAY)}
        # A month and a day on, nobody having done anything: every period of June has
        # passed, each of its duties is missed once, and the new periods are generated.
        later = run_duties(engine, runtime, now=MONDAY + dt.timedelta(days=31))
        with engine.connect() as conn:
            states = {(row.schedule, row.period, row.state): row.count for row in conn.execute(
                select(duties.c.schedule, duties.c.period, duties.c.state,
                       func.count().label("count"))
                .group_by(duties.c.schedule, duties.c.period, duties.c.state))}
            linked = {s.name: conn.execute(select(func.count()).select_from(
                runtime.schema.table(s.creates)).where(runtime.schema.table(s.creates).c.duty
                                                       .in_(select(duties.c.id).where(
                                                           duties.c.schedule == s.name))))
                      .scalar() for s in deployment.schedules}
    finally:
        engine.dispose()
    assert set(made) == {s.name for s in deployment.schedules}
    assert {name: g.created for name, g in made.items() if g.created == 0} == {}
    assert all(g.created == g.duties for g in made.values())
    for schedule in deployment.schedules:
        first = made[schedule.name]
        assert (schedule.name, first.period, "overdue") in states \
            or schedule.period in ("quarter", "half_year", "year")
        assert (schedule.name, first.period, "open") not in states \
            or schedule.period in ("quarter", "half_year", "year")
        assert len({p for n, p, _ in states if n == schedule.name}) > 1 \
            or schedule.period not in ("day", "week", "month")
        # `mode: create` made one record per duty; `mode: expect` none.
        assert (linked[schedule.name] > 0) == (schedule.mode == "create"), schedule.name
    assert later.missed > 0 and later.created > 0 and later.climbed > 0


def test_sweep_prints_the_duties_it_created_and_duties_previews(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    path = str(CONFIGS / "community")
    assert run_cli("migrate", path, "--db", url)[0] == 0
    code, out, err = run_cli("duties", path, "--db", url, "--period", "2026-06", "--json")
    assert code == 0, err
    preview = json.loads(out)
    patrol = next(s for s in preview["schedules"] if s["name"] == "grid_patrol")
    grids = patrol["entries"]
    assert patrol == {"name": "grid_patrol", "period": "2026-06-01", "entries": grids,
                      "sampled": grids, "duties": grids, "unassigned": grids}
    assert grids > 100
    code, out, err = run_cli("sweep", path, "--db", url, "--now", "2026-06-01T09:00")
    assert code == 0, err
    assert f"duties  grid_patrol 2026-06-01: {grids} created ({grids} unassigned)" in out
    code, out, err = run_cli("sweep", path, "--db", url, "--now", "2026-06-01T09:05")
    assert "created 0 duties" in out and "duties  grid_patrol" not in out
