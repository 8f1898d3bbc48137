"""The `nearest` strategy on a park of 1 km grids (tests/park), on a real SQLite database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from gridwork_nearest_dispatch.nearest import centre, distance_km
from sqlalchemy import Engine, delete, insert, select
from support import CONFIGS, run_check, run_cli

from gridwork.config import Deployment, load_deployment
from gridwork.config.models.outputs import PluginSpec
from gridwork.runtime import Runtime
from gridwork.storage import build_schema, make_engine, migrate
from gridwork.workflow import Record, create_record, load_user

PARK = Path(__file__).parent / "park"
NOW = dt.datetime(2026, 6, 1, 2, 0, tzinfo=dt.UTC)
RANGERS = {"a": "P1Z1G1", "c": "P1Z1G3", "d": "P1Z1G4", "e": "P1Z2G1"}
"""Ranger d's account is disabled (off duty); e works in the other zone."""


@dataclass
class Park:
    engine: Engine
    deployment: Deployment
    ids: dict[str, int]

    def report(self, node: str, lat: float, lon: float,
               deployment: Deployment | None = None) -> Record:
        runtime = Runtime.build(deployment or self.deployment)
        with self.engine.connect() as conn:
            inspector = load_user(conn, runtime.schema, "inspector")
        return create_record(self.engine, runtime, inspector, "event", node,
                             {"title": "垃圾", "category": "litter", "location": (lat, lon)},
                             clock=lambda: NOW)

    def patrol(self, who: str, lat: float, lon: float, minutes_ago: int) -> None:
        schema = build_schema(self.deployment)
        table, nodes = schema.table("patrol"), schema.system("nodes")
        at = NOW - dt.timedelta(minutes=minutes_ago)
        with self.engine.begin() as conn:
            node = conn.execute(select(nodes.c.id).where(nodes.c.code == RANGERS[who])).scalar()
            conn.execute(insert(table).values(node=node, reporter=self.ids[who], created_at=at,
                                              updated_at=at, version=1, location_lat=lat,
                                              location_lon=lon))

    def assignee(self, record: Record) -> str | None:
        return next((name for name, i in self.ids.items() if i == record.assignee), None)


@pytest.fixture(scope="module")
def park(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Park]:
    deployment = load_deployment(PARK)
    url = f"sqlite:///{tmp_path_factory.mktemp('park') / 'park.sqlite3'}"
    migrate(url, deployment, echo=lambda _: None)
    engine = make_engine(url)
    schema = build_schema(deployment)
    users, grants, nodes = (schema.system(n) for n in ("users", "grants", "nodes"))
    ids = {}
    with engine.begin() as conn:
        for name, (role, node) in {**{k: ("ranger", v) for k, v in RANGERS.items()},
                                   "inspector": ("inspector", "P1")}.items():
            ids[name] = conn.execute(insert(users).values(
                username=name, display_name=name, active=name != "d", created_at=NOW,
            ).returning(users.c.id)).scalar_one()
            node_id = conn.execute(select(nodes.c.id).where(nodes.c.code == node)).scalar()
            conn.execute(insert(grants).values(user=ids[name], role=role, node=node_id))
    yield Park(engine, deployment, ids)
    engine.dispose()


@pytest.fixture(autouse=True)
def _no_patrols(park: Park) -> Iterator[None]:
    yield
    with park.engine.begin() as conn:
        conn.execute(delete(build_schema(park.deployment).table("patrol")))


def test_the_nearest_grid_centre_wins(park: Park) -> None:
    # Nobody works in grid 2; its west half is nearer grid 1's centre than grid 3's.
    record = park.report("P1Z1G2", 30.005, 120.012)
    assert (record.state, record.department, park.assignee(record)) == ("handling", "rangers", "a")


def test_only_on_duty_workers_of_the_handling_departments_area(park: Park) -> None:
    # d (grid 4's own ranger) is off duty; e is nearer but in the other zone's department area.
    record = park.report("P1Z1G4", 30.005, 120.0399)
    assert park.assignee(record) == "c"


def test_a_fresh_reported_position_beats_a_grid_centre(park: Park) -> None:
    park.patrol("a", 30.005, 120.038, minutes_ago=10)
    assert park.assignee(park.report("P1Z1G4", 30.005, 120.0399)) == "a"


def test_a_stale_position_is_ignored(park: Park) -> None:
    park.patrol("a", 30.005, 120.038, minutes_ago=180)
    assert park.assignee(park.report("P1Z1G4", 30.005, 120.0399)) == "c"


def test_beyond_the_maximum_distance_the_normal_rules_apply(park: Park) -> None:
    spec = park.deployment.plugins[0]
    closer = park.deployment.model_copy(update={"plugins": (PluginSpec(
        module=spec.module, settings={**spec.settings, "max_km": 0.5}),)})
    record = park.report("P1Z1G4", 30.005, 120.0399, deployment=closer)
    # The rule's own `assign: ranger` finds the holder of the grid that holds the point.
    assert (record.department, park.assignee(record)) == ("rangers", "d")


def test_distances_and_centres() -> None:
    assert distance_km((30.0, 120.0), (30.0, 120.01)) == pytest.approx(0.963, abs=0.001)
    square = {"type": "Polygon", "coordinates": [[[120.0, 30.0], [120.01, 30.0],
                                                  [120.01, 30.01], [120.0, 30.01],
                                                  [120.0, 30.0]]]}
    assert centre(square) == pytest.approx((30.005, 120.005))


def test_settings_naming_what_does_not_exist_are_config_errors(tmp_path: Path) -> None:
    target = tmp_path / "park"
    target.mkdir()
    (target / "boundaries.geojson").write_bytes((PARK / "boundaries.geojson").read_bytes())
    text = (PARK / "deployment.yaml").read_text(encoding="utf-8")
    (target / "deployment.yaml").write_text(
        text.replace("role: ranger", "role: rangr").replace("field: location", "field: title"),
        encoding="utf-8")
    assert run_check(target) == (1, [
        "deployment.yaml:54:5: error: plugin 'gridwork_nearest_dispatch': unknown role "
        "'rangr'; did you mean 'ranger'?",
        "deployment.yaml:54:5: error: plugin 'gridwork_nearest_dispatch': unknown point field "
        "'title' of register 'patrol'; expected one of: location"])


def test_the_installed_package_loads_from_its_entry_point() -> None:
    # The community deployment does not name the plugin: its entry point brings it in.
    code, out, _ = run_cli("plugins", str(CONFIGS / "community"))
    assert code == 0
    assert ("gridwork_nearest_dispatch  0.1.0  [entry point]  config_loaded, "
            "routing_strategies") in out.splitlines()
    code, out, _ = run_cli("plugins", str(PARK))
    assert "gridwork_nearest_dispatch  0.1.0  [config]  config_loaded, routing_strategies" \
        in out.splitlines()
