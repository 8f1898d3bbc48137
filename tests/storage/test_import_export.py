"""Import and export: validated like the web form, all or nothing, and round-tripping."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, delete, func, insert, select
from openpyxl import load_workbook  # type: ignore[import-untyped]
from stdnum.cn import uscc
from storage_support import Config, add_record, quiet

from gridwork.cli import main
from gridwork.config import Deployment
from gridwork.storage import build_schema, migrate
from gridwork.web.exporter import export_file
from gridwork.exchange.importer import ImportFailed, import_file
from gridwork.storage.tabular import read_table


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
        assert export_file(engine, migrated, "place", exported, raw=True) == 2
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


def test_export_speaks_the_deployments_language(migrated: Deployment, config: Config,
                                                db_url: str, engine: Engine,
                                                tmp_path: Path) -> None:
    photo = "a" * 64 + ".jpg"
    import_file(engine, migrated, "place", _csv(
        tmp_path, "node,name,grade,open,tags,photos\n"
                  f"S1C1G1,甲店,A,true,\"a,b\",{photo}\n"))
    schema = build_schema(migrated)
    with engine.begin() as conn:
        add_record(conn, schema.table("case"), "S1C1G1", title="占道", state="open",
                   category="city", severity="major", round=1, version=1)
    runner = CliRunner()
    out = tmp_path / "places.csv"
    result = runner.invoke(main, ["export", str(config.root), "place", str(out), "--db", db_url,
                                  "--url", "https://grid.example/"])
    assert result.exit_code == 0, result.output
    header, rows = read_table(out)
    row = dict(zip(header, rows[0][1], strict=True))
    assert header[:3] == ["编号", "区域", "name"]
    assert (row["grade"], row["open"], row["tags"]) == ("甲", "是", "a、b")
    assert row["photos"] == f"https://grid.example/registers/place/1/photos/{photo}"
    cases = tmp_path / "cases.xlsx"
    assert runner.invoke(main, ["export", str(config.root), "case", str(cases),
                                "--db", db_url]).exit_code == 0
    header, rows = read_table(cases)
    row = dict(zip(header, rows[0][1], strict=True))
    assert (row["状态"], row["类别"], row["等级"]) == ("待办", "市容", "重大")
    raw = tmp_path / "raw.csv"
    assert runner.invoke(main, ["export", str(config.root), "case", str(raw), "--db", db_url,
                                "--raw"]).exit_code == 0
    header, rows = read_table(raw)
    row = dict(zip(header, rows[0][1], strict=True))
    assert (row["node"], row["state"], row["category"], row["severity"]) == (
        "S1C1G1", "open", "city", "major")


FORMULAS = ["=cmd|' /C calc'!A0", "+SUM(A1)", "-2+3", "@SUM(A1)", "\tTAB", "'=quoted"]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_writes_formula_text_as_text(migrated: Deployment, engine: Engine,
                                            tmp_path: Path, suffix: str) -> None:
    table = build_schema(migrated).table("place")
    with engine.begin() as conn:
        for text in FORMULAS:
            add_record(conn, table, "S1C1G1", name=text, open=True)
    for raw in (True, False):
        out = tmp_path / f"out-{raw}{suffix}"
        export_file(engine, migrated, "place", out, raw=raw)
        if suffix == ".csv":
            lines = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
            names = [line[2] for line in lines[1:]]
            assert names == ["'" + text for text in FORMULAS]
        else:
            sheet = load_workbook(out).active
            cells = [sheet.cell(row=n, column=3) for n in range(2, len(FORMULAS) + 2)]
            assert [(c.value, c.data_type) for c in cells] == [(t, "s") for t in FORMULAS]
    with engine.begin() as conn:
        conn.execute(delete(table))
    assert import_file(engine, migrated, "place", tmp_path / f"out-True{suffix}") == len(FORMULAS)
    with engine.connect() as conn:  # as typed again, but for the blanks import trims
        assert list(conn.execute(select(table.c.name).order_by(table.c.id)).scalars()) == [
            text.strip() for text in FORMULAS]


def test_import_of_duties_for_their_assignee_names_who_does_each(
        config: Config, db_url: str, engine: Engine, tmp_path: Path) -> None:
    """When only the assignee may take a record's first step, each imported row names them
    in an `assignee` column; without one (or with a user who may not take the step) the
    file is refused and nothing is saved."""
    def assigned(data: Any) -> None:
        data["workflows"]["case_flow"]["transitions"][0].update(by="worker", scope="assigned")
    deployment = config.edit(assigned)
    migrate(db_url, deployment, echo=quiet)
    schema = build_schema(deployment)
    users, grants = schema.system("users"), schema.system("grants")
    with engine.begin() as conn:
        for username, role in (("wang", "worker"), ("li", "leader")):
            user = conn.execute(insert(users).values(
                username=username, display_name=username, active=True,
                created_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC)).returning(users.c.id)
                ).scalar_one()
            conn.execute(insert(grants).values(user=user, role=role, scope="subtree"))
    runner = CliRunner()
    bad = _csv(tmp_path, "node,title,assignee\nS1C1G1,清理楼道,\nS1C1G1,巡查河道,li\n"
                         "S1C1G2,检查消防通道,zhao\n", "cases.csv")
    result = runner.invoke(main, ["import", str(config.root), "case", str(bad), "--db", db_url])
    assert result.exit_code == 1
    assert result.output.splitlines()[:3] == [
        "cases.csv:row 2: assignee: required: only the assignee may take 'finish', the first "
        "step; add an 'assignee' column with the username of a user with a role of worker",
        "cases.csv:row 3: assignee: 'li' holds none of the roles that may take 'finish' "
        "(worker)",
        "cases.csv:row 4: assignee: no user 'zhao'"]
    assert _count(engine, deployment, "case") == 0
    good = _csv(tmp_path, "node,title,assignee\nS1C1G1,清理楼道,wang\n", "good.csv")
    result = runner.invoke(main, ["import", str(config.root), "case", str(good), "--db", db_url])
    assert result.exit_code == 0, result.output
    table = schema.table("case")
    with engine.connect() as conn:
        row = conn.execute(select(table.c.state, table.c.assignee, users.c.username)
                           .join(users, users.c.id == table.c.assignee)).one()
    assert (row.state, row.username) == ("open", "wang")
