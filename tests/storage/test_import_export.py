"""Import and export: validated like the web form, all or nothing, and round-tripping."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, delete, func, select
from stdnum.cn import uscc
from storage_support import Config

from gridwork.cli import main
from gridwork.config import Deployment
from gridwork.storage import build_schema
from gridwork.storage.exporter import export_file
from gridwork.storage.importer import ImportFailed, import_file


def _code(body: str) -> str:
    return body + uscc.calc_check_digit(body)


GOOD = _code("91330106MA27XXXX1")
OTHER = _code("91330106MA27YYYY2")


def _csv(tmp_path: Path, text: str, name: str = "places.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _count(engine: Engine, deployment: Deployment, register: str = "place") -> int:
    table = build_schema(deployment).table(register)
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar() or 0)


def test_import_validates_and_saves_every_row(migrated: Deployment, engine: Engine,
                                              tmp_path: Path) -> None:
    path = _csv(tmp_path, "节点,name,credit_code,grade,area,checked_at,tags,location,opened\n"
                          f"S1C1G1,甲店,{GOOD},甲,12.5,2026-03-01 08:00,\"a,b\",\"30.1, 120.2\","
                          "2020-01-02\n"
                          f"S1C1G2,乙店,{OTHER},B,,,,,\n")
    assert import_file(engine, migrated, "place", path) == 2
    schema = build_schema(migrated)
    table, history = schema.table("place"), schema.system("history")
    with engine.connect() as conn:
        first = conn.execute(select(table).order_by(table.c.id)).first()
        actions = conn.execute(select(history.c.action, history.c.record)).all()
    assert first is not None
    assert (first.name, first.grade, first.area, first.tags) == ("甲店", "A", Decimal("12.50"),
                                                                 ["a", "b"])
    assert first.checked_at == dt.datetime(2026, 3, 1, 0, 0, tzinfo=dt.UTC)
    assert (first.location_lat, first.location_lon) == (30.1, 120.2)
    assert sorted(actions) == [("import", 1), ("import", 2)]


def test_import_reports_every_problem_and_saves_nothing(migrated: Deployment, engine: Engine,
                                                        tmp_path: Path) -> None:
    bad = GOOD[:-1] + ("0" if GOOD[-1] != "0" else "1")
    path = _csv(tmp_path, "node,name,credit_code,kind,staff\n"
                          f"S1C1G1,ok,{GOOD},food,3\n"
                          f"S1C1G1,bad,{bad},food,3\n"
                          "S9,,,pub,-2\n"
                          f"S1,dup,{GOOD},,\n")
    with pytest.raises(ImportFailed) as failed:
        import_file(engine, migrated, "place", path)
    assert failed.value.problems == [
        "places.csv:row 3: credit_code: not a valid unified social credit code: checksum fails",
        "places.csv:row 4: node: no node has code 'S9'",
        "places.csv:row 4: name: a value is required",
        "places.csv:row 4: kind: 'pub' is not one of the options",
        "places.csv:row 4: staff: must be at least 0",
        "places.csv:row 5: node: node 'S1' is a street, not a grid",
        "places.csv:row 5: credit_code: same value as row 2",
    ]
    assert _count(engine, migrated) == 0


def test_import_checks_the_header_and_the_database(migrated: Deployment, engine: Engine,
                                                   tmp_path: Path) -> None:
    with pytest.raises(ImportFailed) as failed:
        import_file(engine, migrated, "place", _csv(tmp_path, "colour,kind\nred,food\n"))
    assert failed.value.problems == [
        ("places.csv:row 1: unknown column 'colour'; expected the node column or one of "
         "name, credit_code, kind, grade, staff, area, open, opened, checked_at, tags, phone, "
         "email, owner_id, location, photos, licence, grid, keeper, notes"),
        "places.csv:row 1: no node column; add one named 'node' holding node codes",
        "places.csv:row 1: missing column 'name', which is required",
    ]
    header = "node,name,credit_code\n"
    import_file(engine, migrated, "place", _csv(tmp_path, f"{header}S1C1G1,a,{GOOD}\n"))
    with pytest.raises(ImportFailed, match=r"row 2: credit_code: '.*' is already recorded"):
        import_file(engine, migrated, "place", _csv(tmp_path, f"{header}S1C1G1,b,{GOOD}\n"))
    with pytest.raises(ImportFailed, match="row 2: place: no place record has id 7"):
        import_file(engine, migrated, "case", _csv(tmp_path, "node,title,place\nS1C1G1,t,7\n"))


def test_export_then_import_round_trips(migrated: Deployment, engine: Engine,
                                        tmp_path: Path) -> None:
    source = _csv(tmp_path, "node,name,credit_code,grade,area,checked_at,tags,location,open,grid\n"
                            f"S1C1G1,甲店,{GOOD},A,12.5,2026-03-01T08:00:00+08:00,\"a,b\","
                            "\"30.1, 120.2\",true,S1C1G2\n"
                            "S2C1G1,乙店,,,,,,,false,\n")
    import_file(engine, migrated, "place", source)
    table = build_schema(migrated).table("place")
    with engine.connect() as conn:
        before = [tuple(r)[3:] for r in conn.execute(select(table).order_by(table.c.id))]
    for suffix in (".xlsx", ".csv"):
        exported = tmp_path / f"out{suffix}"
        assert export_file(engine, migrated, "place", exported) == 2
        with engine.begin() as conn:
            conn.execute(delete(table))
        assert import_file(engine, migrated, "place", exported) == 2
        with engine.connect() as conn:
            after = [tuple(r)[3:] for r in conn.execute(select(table).order_by(table.c.id))]
        assert [r[2:] for r in after] == [r[2:] for r in before]


def test_import_and_export_commands(migrated: Deployment, config: Config, db_url: str,
                                    tmp_path: Path) -> None:
    runner = CliRunner()
    bad = _csv(tmp_path, "node,name\nS9,x\n")
    result = runner.invoke(main, ["import", str(config.root), "place", str(bad), "--db", db_url])
    assert result.exit_code == 1
    assert "places.csv:row 2: node: no node has code 'S9'" in result.output
    good = _csv(tmp_path, "node,name\nS1C1G1,x\n", "good.csv")
    result = runner.invoke(main, ["import", str(config.root), "place", str(good), "--db", db_url])
    assert result.exit_code == 0 and "imported 1 records into place" in result.output
    out = tmp_path / "all.xlsx"
    result = runner.invoke(main, ["export", str(config.root), "place", str(out), "--db", db_url])
    assert result.exit_code == 0 and out.is_file()
    config.edit(lambda d: d["registers"]["place"]["fields"].append({"name": "x", "type": "text"}))
    result = runner.invoke(main, ["export", str(config.root), "place", str(out), "--db", db_url])
    assert result.exit_code == 1 and "gridwork migrate" in result.output
