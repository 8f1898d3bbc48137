"""Tables built from config: typed columns and constraints, alike on both databases."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import JSON, Boolean, Date, Engine, Float, Integer, String, Text, select
from sqlalchemy.exc import IntegrityError, StatementError
from storage_support import Config, add_record

from gridwork.config import Deployment
from gridwork.storage import build_schema, database_url, default_sqlite_path
from gridwork.storage.types import ExactDecimal, UTCDateTime


def test_each_field_type_gets_a_typed_column(config: Config) -> None:
    table = build_schema(config.load()).table("place")
    expected = {
        "name": String, "credit_code": String, "kind": String, "staff": Integer,
        "area": ExactDecimal, "open": Boolean, "opened": Date, "checked_at": UTCDateTime,
        "tags": JSON, "phone": String, "location_lat": Float, "location_lon": Float,
        "photos": JSON, "licence": JSON, "grid": Integer, "keeper": Integer, "notes": Text,
    }
    for column, kind in expected.items():
        assert isinstance(table.c[column].type, kind), column
    assert table.c["name"].type.length == 50 and not table.c["name"].nullable
    assert {fk.column.table.name for fk in table.c["grid"].foreign_keys} == {"nodes"}
    assert {fk.column.table.name for fk in table.c["keeper"].foreign_keys} == {"users"}
    case = build_schema(config.load()).table("case")
    assert {fk.column.table.name for fk in case.c["place"].foreign_keys} == {"r_place"}
    for column in ("state", "category", "severity", "department", "assignee", "deadline"):
        assert column in case.c
    assert "state" not in table.c


def test_migrated_database_matches_the_metadata(migrated: Deployment, engine: Engine) -> None:
    schema = build_schema(migrated)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, schema.metadata) == []


def test_values_round_trip(migrated: Deployment, engine: Engine) -> None:
    table = build_schema(migrated).table("place")
    at = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    with engine.begin() as conn:
        record = add_record(conn, table, "S1C1G1", name="甲店", area=Decimal("12.34"),
                            checked_at=at, tags=["a"], open=True, opened=dt.date(2020, 1, 2),
                            location_lat=30.05, location_lon=120.05)
        row = conn.execute(select(table).where(table.c.id == record)).one()
    assert row.area == Decimal("12.34")
    assert row.checked_at == at and row.checked_at.tzinfo is not None
    assert row.tags == ["a"] and row.open is True and row.opened == dt.date(2020, 1, 2)


def test_naive_times_are_refused(migrated: Deployment, engine: Engine) -> None:
    table = build_schema(migrated).table("place")
    with engine.begin() as conn, pytest.raises(StatementError, match="time zone"):
        add_record(conn, table, "S1C1G1", name="x", checked_at=dt.datetime(2026, 1, 1))


@pytest.mark.parametrize("values", [
    {"kind": "bakery"}, {"grade": "Z"}, {"staff": -1}, {"staff": 1001}, {"area": Decimal(-1)},
    {"opened": dt.date(1999, 12, 31)},
])
def test_check_constraints_hold(migrated: Deployment, engine: Engine, values: dict) -> None:
    table = build_schema(migrated).table("place")
    with engine.begin() as conn, pytest.raises(IntegrityError):
        add_record(conn, table, "S1C1G1", name="x", **values)


def test_unique_and_required_hold(migrated: Deployment, engine: Engine) -> None:
    table = build_schema(migrated).table("place")
    code = "91330106MA27XXXX1K"
    with engine.begin() as conn:
        add_record(conn, table, "S1C1G1", name="a", credit_code=code)
    with engine.begin() as conn, pytest.raises(IntegrityError):
        add_record(conn, table, "S1C1G1", name="b", credit_code=code)
    with engine.begin() as conn, pytest.raises(IntegrityError):
        add_record(conn, table, "S1C1G1", name=None)


def test_foreign_keys_hold(migrated: Deployment, engine: Engine) -> None:
    table = build_schema(migrated).table("place")
    with engine.begin() as conn, pytest.raises(IntegrityError):
        add_record(conn, table, "S1C1G1", name="x", keeper=999)


def test_database_url_prefers_flag_then_environment(config: Config,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    deployment = config.load()
    monkeypatch.delenv("GRIDWORK_DB", raising=False)
    assert database_url(deployment) == f"sqlite:///{default_sqlite_path(deployment)}"
    assert default_sqlite_path(deployment) == config.root / "data" / "storagetest.sqlite3"
    monkeypatch.setenv("GRIDWORK_DB", "sqlite:///env.sqlite3")
    assert database_url(deployment) == "sqlite:///env.sqlite3"
    assert database_url(deployment, "sqlite:///flag.sqlite3") == "sqlite:///flag.sqlite3"


def test_minimal_fixture_builds(tmp_path: Path) -> None:
    from gridwork.config import load_deployment

    schema = build_schema(load_deployment(Path(__file__).parent.parent / "fixtures/minimal"))
    assert set(schema.registers) == {"shop", "event"}
