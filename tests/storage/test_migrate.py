"""`gridwork migrate`: additions apply, renames keep data, losses are refused or saved first."""

from __future__ import annotations

import csv
from typing import Any

import pytest
from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.exc import IntegrityError
from storage_support import Config, add_record, quiet

from gridwork.config import Deployment
from gridwork.storage import (
    DatabaseBehind,
    MigrationRefused,
    build_schema,
    ensure_current,
    make_engine,
    migrate,
)


def _fields(data: Any, register: str = "place") -> Any:
    return data["registers"][register]["fields"]


def _field(data: Any, name: str, register: str = "place") -> Any:
    return next(f for f in _fields(data, register) if f["name"] == name)


def _values(engine: Engine, deployment: Deployment, register: str, column: str) -> list[Any]:
    table = build_schema(deployment).table(register)
    with engine.connect() as conn:
        return list(conn.execute(select(table.c[column]).order_by(table.c.id)).scalars())


def _plan(db_url: str, deployment: Deployment, **options: Any) -> list[str]:
    lines: list[str] = []
    try:
        migrate(db_url, deployment, echo=lines.append, **options)
    except MigrationRefused:
        pass
    return lines


def _seed_places(engine: Engine, deployment: Deployment, *names: str) -> None:
    table = build_schema(deployment).table("place")
    with engine.begin() as conn:
        for name in names:
            add_record(conn, table, "S1C1G1", name=name, notes=f"about {name}", kind="food")


def test_second_run_changes_nothing(migrated: Deployment, db_url: str) -> None:
    lines = _plan(db_url, migrated)
    assert lines[1:] == ["  nothing to change"]


def test_new_field_and_register_apply_and_keep_data(migrated: Deployment, config: Config,
                                                   db_url: str, engine: Engine) -> None:
    _seed_places(engine, migrated, "a", "b")

    def change(data: Any) -> None:
        _fields(data).append({"name": "floors", "type": "integer", "min": 1})
        _fields(data).append({"name": "size", "type": "choice", "choices": ["s", "l"],
                              "required": True, "default": "s"})
        data["registers"]["outfall"] = {"label": "排口", "fields": [
            {"name": "code", "type": "text", "required": True}]}
    changed = config.edit(change)
    lines = _plan(db_url, changed)
    assert "  add column r_place.floors (integer)" in lines
    assert "  add column r_place.size (choice), filling its 2 records with the default 's'" in lines
    assert "  add table r_outfall for register outfall" in lines
    assert _values(engine, changed, "place", "name") == ["a", "b"]
    assert _values(engine, changed, "place", "size") == ["s", "s"]
    ensure_current(engine, changed)


def test_new_required_field_without_default_cannot_apply(migrated: Deployment, config: Config,
                                                         db_url: str, engine: Engine) -> None:
    _seed_places(engine, migrated, "a")
    changed = config.edit(lambda d: _fields(d).append(
        {"name": "floors", "type": "integer", "required": True}))
    lines = _plan(db_url, changed)
    assert any(line.startswith("  CANNOT: add column r_place.floors") for line in lines)
    with pytest.raises(DatabaseBehind):
        ensure_current(engine, changed)


def test_renamed_field_keeps_its_data(migrated: Deployment, config: Config, db_url: str,
                                      engine: Engine) -> None:
    _seed_places(engine, migrated, "a", "b")

    def change(data: Any) -> None:
        _field(data, "notes").update(name="remarks", renamed_from="notes")
        _field(data, "location").update(name="spot", renamed_from="location")
    changed = config.edit(change)
    lines = _plan(db_url, changed)
    assert "  rename column r_place.notes → r_place.remarks keeping data" in lines
    assert "  rename column r_place.location_lat → r_place.spot_lat keeping data" in lines
    assert _values(engine, changed, "place", "remarks") == ["about a", "about b"]
    ensure_current(engine, changed)


def test_renamed_register_keeps_records_and_history(migrated: Deployment, config: Config,
                                                    db_url: str, engine: Engine) -> None:
    _seed_places(engine, migrated, "a")
    schema = build_schema(migrated)
    history = schema.system("history")
    with engine.begin() as conn:
        conn.execute(history.insert().values(register="place", record=1, at=func.now(),
                                             action="create"))

    def change(data: Any) -> None:
        data["registers"]["site"] = data["registers"].pop("place")
        data["registers"]["site"]["renamed_from"] = "place"
        _field(data, "place", "case").update(register="site")
    changed = config.edit(change)
    lines = _plan(db_url, changed)
    assert "  rename table r_place → r_site keeping its 1 records" in lines
    assert _values(engine, changed, "site", "name") == ["a"]
    with engine.connect() as conn:
        assert conn.execute(select(history.c.register)).scalars().all() == ["site"]
        assert "r_place" not in inspect(conn).get_table_names()


def test_dropped_field_is_refused_and_kept(migrated: Deployment, config: Config, db_url: str,
                                           engine: Engine) -> None:
    _seed_places(engine, migrated, "a", "b", "c")
    changed = config.edit(lambda d: _fields(d).remove(_field(d, "notes")))
    lines = _plan(db_url, changed)
    assert ("  REFUSED: drop column r_place.notes — 3 non-empty values would be lost"
            in lines)
    assert "nothing changed" in lines[-1] and "--allow-destructive" in lines[-1]
    assert _values(engine, migrated, "place", "notes") == ["about a", "about b", "about c"]
    with pytest.raises(DatabaseBehind, match="gridwork migrate"):
        ensure_current(engine, changed)


def test_allowed_drop_saves_the_data_first(migrated: Deployment, config: Config, db_url: str,
                                           engine: Engine) -> None:
    _seed_places(engine, migrated, "a", "b")
    changed = config.edit(lambda d: _fields(d).remove(_field(d, "notes")))
    lines: list[str] = []
    result = migrate(db_url, changed, allow_destructive=True, echo=lines.append)
    assert result.applied and len(result.exports) == 1
    export = result.exports[0]
    assert export.parent == config.root / "data" / "exports"
    assert any(str(export) in line for line in lines)
    with export.open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert [r["notes"] for r in rows] == ["about a", "about b"]
    with engine.connect() as conn:
        assert "notes" not in {c["name"] for c in inspect(conn).get_columns("r_place")}


def test_dropped_register_is_refused(migrated: Deployment, config: Config, db_url: str,
                                     engine: Engine) -> None:
    table = build_schema(migrated).table("case")
    with engine.begin() as conn:
        add_record(conn, table, "S1C1G1", title="t")
    changed = config.edit(lambda d: d["registers"].pop("case") and d.pop("categories"))
    lines = _plan(db_url, changed)
    assert "  REFUSED: drop table r_case — 1 records would be lost" in lines


def test_type_change_is_refused_but_widening_applies(migrated: Deployment, config: Config,
                                                     db_url: str, engine: Engine) -> None:
    _seed_places(engine, migrated, "a")
    changed = config.edit(lambda d: _field(d, "notes").update(type="integer"))
    assert any(line.startswith("  REFUSED: change type of r_place.notes")
               for line in _plan(db_url, changed))
    widened = config.edit(lambda d: (_field(d, "notes").update(type="textarea"),
                                     _field(d, "name").pop("max_length")))
    assert "  widen column r_place.name from VARCHAR(50) to TEXT" in _plan(db_url, widened)
    assert _values(engine, widened, "place", "name") == ["a"]


def test_required_with_empty_values_is_refused(migrated: Deployment, config: Config,
                                               db_url: str, engine: Engine) -> None:
    _seed_places(engine, migrated, "a", "b")
    changed = config.edit(lambda d: _field(d, "phone").update(required=True))
    assert ("  REFUSED: make r_place.phone required — 2 records with no value would be lost"
            in _plan(db_url, changed))
    assert _values(engine, migrated, "place", "name") == ["a", "b"]


def test_new_choice_applies_and_a_used_one_cannot_go(migrated: Deployment, config: Config,
                                                      db_url: str, engine: Engine) -> None:
    _seed_places(engine, migrated, "a")
    more = config.edit(lambda d: _field(d, "kind").update(choices=["food", "retail", "bar"]))
    lines = _plan(db_url, more)
    assert any(line.startswith("  add rule on r_place.kind:") for line in lines)
    table = build_schema(more).table("place")
    with engine.begin() as conn:
        add_record(conn, table, "S1C1G1", name="b", kind="bar")
    with engine.begin() as conn, pytest.raises(IntegrityError):
        add_record(conn, table, "S1C1G1", name="c", kind="pub")
    fewer = config.edit(lambda d: _field(d, "kind").update(choices=["retail", "bar"]))
    assert any(line.startswith("  REFUSED: add rule on r_place.kind")
               and "1 values that break it would be lost" in line
               for line in _plan(db_url, fewer))


def test_plan_changes_nothing(config: Config, db_url: str, engine: Engine) -> None:
    deployment = config.load()
    lines = _plan(db_url, deployment, plan_only=True)
    assert "  add table r_place for register place" in lines
    with engine.connect() as conn:
        assert inspect(conn).get_table_names() == []
    with pytest.raises(DatabaseBehind, match="never been migrated"):
        ensure_current(engine, deployment)


def test_sqlite_default_database_lives_in_the_data_folder(config: Config,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    from gridwork.storage import database_url

    monkeypatch.delenv("GRIDWORK_DB", raising=False)
    deployment = config.load()
    migrate(database_url(deployment), deployment, echo=quiet)
    assert (config.root / "data" / "storagetest.sqlite3").is_file()
    engine = make_engine(database_url(deployment))
    try:
        ensure_current(engine, deployment)
    finally:
        engine.dispose()


def test_allowed_type_change_and_narrower_rules_save_what_they_clear(
        migrated: Deployment, config: Config, db_url: str, engine: Engine) -> None:
    _seed_places(engine, migrated, "a", "bb", "ccc")

    def change(data: Any) -> None:
        _field(data, "notes").update(type="integer", min=0)
        _field(data, "kind").update(choices=["retail"])
        _field(data, "name").update(max_length=2, required=False)
    changed = config.edit(change)
    result = migrate(db_url, changed, allow_destructive=True, echo=quiet)
    assert len(result.exports) == 3
    assert _values(engine, changed, "place", "notes") == [None, None, None]
    assert _values(engine, changed, "place", "kind") == [None, None, None]
    assert _values(engine, changed, "place", "name") == ["a", "bb", None]
    table = build_schema(changed).table("place")
    with engine.begin() as conn:
        add_record(conn, table, "S1C1G1", name="d", notes=5)
    with engine.begin() as conn, pytest.raises(IntegrityError):
        add_record(conn, table, "S1C1G1", name="e", notes=-1)
    assert _plan(db_url, changed)[1:] == ["  nothing to change"]


def test_new_unique_and_indexed_fields_on_a_filled_table(migrated: Deployment, config: Config,
                                                         db_url: str, engine: Engine) -> None:
    _seed_places(engine, migrated, "a", "b")

    def change(data: Any) -> None:
        _fields(data).append({"name": "permit_no", "type": "text", "unique": True})
        _fields(data).append({"name": "visited_on", "type": "date"})
    changed = config.edit(change)
    lines = _plan(db_url, changed)
    assert "  add column r_place.permit_no (text)" in lines
    assert "  add column r_place.visited_on (date)" in lines
    ensure_current(engine, changed)
    assert _values(engine, changed, "place", "permit_no") == [None, None]
    assert _plan(db_url, changed)[1:] == ["  nothing to change"]


def test_a_new_unique_field_filled_with_one_default_is_refused(
        migrated: Deployment, config: Config, db_url: str, engine: Engine) -> None:
    _seed_places(engine, migrated, "a", "b")
    changed = config.edit(lambda data: _fields(data).append(
        {"name": "permit_no", "type": "text", "unique": True, "required": True, "default": "x"}))
    lines = _plan(db_url, changed)
    assert any(line.startswith("  CANNOT: make r_place(permit_no) unique") for line in lines), lines
    assert _values(engine, migrated, "place", "name") == ["a", "b"]
