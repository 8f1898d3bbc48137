"""Every schedule of every shipped deployment generates duties from its demo data, and the
sweep command prints them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from support import CONFIGS, run_cli, runtime_of

from gridwork.config import load_deployment
from gridwork.duties.generate import generate
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
    try:
        seed_demo(engine, deployment, records=300, echo=lambda _line: None)
        made = {g.schedule: g for g in generate(engine, runtime_of(deployment), now=MONDAY)}
    finally:
        engine.dispose()
    assert set(made) == {s.name for s in deployment.schedules}
    assert {name: g.created for name, g in made.items() if g.created == 0} == {}
    assert all(g.created == g.duties for g in made.values())


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
