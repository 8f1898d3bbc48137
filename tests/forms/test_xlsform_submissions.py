"""Submissions collected with an exported form come back through `gridwork import`: the
CSV exports of ODK Central and KoboToolbox, their columns named as those tools name them
(from the form pyxform builds), import into the register on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pyxform.xls2json import parse_file_to_json
from sqlalchemy import select

from gridwork.cli import main
from gridwork.config import load_deployment
from gridwork.storage import make_engine, migrate
from gridwork.storage.schema import build_schema

FIXTURES = Path(__file__).parent.parent / "fixtures"
ANSWERS = {"node": "S1C1G1", "name": "东一小吃店", "kind": "food", "grade": "A", "staff": "12",
           "area": "3.5", "open": "yes", "opened": "2024-05-01",
           "checked_at": "2024-05-01T09:30:00.000+08:00", "tags": "a b", "grid": "S1C1G2",
           "notes": "门口堆放杂物"}
ODK_TOOL = ["SubmissionDate", "meta-instanceID", "KEY", "SubmitterID", "SubmitterName",
            "AttachmentsPresent", "AttachmentsExpected", "Status", "ReviewState", "DeviceID",
            "Edits", "FormVersion"]
KOBO_TOOL = ["_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status",
             "_submitted_by", "__version__", "_tags", "_index", "meta/instanceID",
             "formhub/uuid"]


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"
        return
    yield request.getfixturevalue("pg_schema")()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """The storage fixture (every field type), with a section heading on one field."""
    root = tmp_path / "deployment"
    shutil.copytree(FIXTURES / "storage", root)
    main_file = root / "deployment.yaml"
    text = main_file.read_text(encoding="utf-8")
    main_file.write_text(text.replace("{name: staff, type: integer,",
                                      "{name: staff, section: 规模, type: integer,"),
                         encoding="utf-8")
    return root


def _questions(children: list[dict[str, Any]], path: tuple[str, ...] = ()
               ) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    for child in children:
        if child["type"] == "group":
            if child["name"] != "meta":
                yield from _questions(child["children"], (*path, child["name"]))
        else:
            yield (*path, child["name"]), child


def _submissions(form: Path, tool: str, out: Path) -> Path:
    """Two submissions as ODK Central or KoboToolbox exports them, columns named by the
    form's instance paths."""
    header: list[str] = []
    row: list[str] = []
    for path, question in _questions(parse_file_to_json(str(form))["children"]):
        name = path[-1]
        joined = ("-" if tool == "odk" else "/").join(path)
        if question["type"] == "geopoint" and tool == "odk":
            header += [f"{joined}-{part}" for part in
                       ("Latitude", "Longitude", "Altitude", "Accuracy")]
            row += ["30.2591", "120.1421", "12.5", "4.0"]
        elif question["type"] == "geopoint":
            header += [joined, f"_{name}_latitude", f"_{name}_longitude"]
            row += ["30.2591 120.1421 12.5 4.0", "30.2591", "120.1421"]
        elif question["type"] == "select all that apply" and tool == "kobo":
            header += [joined, *(f"{joined}/{c['name']}" for c in question["choices"])]
            row += [ANSWERS[name], "1", "1"]
        else:
            header.append(joined)
            row.append(ANSWERS.get(name, ""))
    extra = ODK_TOOL if tool == "odk" else KOBO_TOOL
    with out.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header + extra)
        writer.writerow(row + ["x"] * len(extra))
        writer.writerow(row + ["y"] * len(extra))
    return out


@pytest.mark.parametrize("tool", ["odk", "kobo"])
def test_submissions_of_an_exported_form_import(root: Path, db_url: str, tmp_path: Path,
                                                tool: str) -> None:
    runner = CliRunner()
    form = tmp_path / "place.xlsx"
    result = runner.invoke(main, ["forms", "export", "place", str(root), str(form)])
    assert result.exit_code == 0, result.output
    deployment = load_deployment(root)
    migrate(db_url, deployment, echo=lambda *a: None)
    csv_file = _submissions(form, tool, tmp_path / "submissions.csv")
    assert "section_1" + ("-" if tool == "odk" else "/") + "staff" in \
        csv_file.read_text(encoding="utf-8")
    result = runner.invoke(main, ["import", str(root), "place", str(csv_file), "--db", db_url])
    assert result.exit_code == 0, result.output
    assert "imported 2 records into place" in result.output
    table = build_schema(deployment).table("place")
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(table)).mappings().all()
    finally:
        engine.dispose()
    assert len(rows) == 2
    first = rows[0]
    assert (first["name"], first["kind"], first["grade"], first["staff"]) == (
        "东一小吃店", "food", "A", 12)
    assert Decimal(first["area"]) == Decimal("3.5")
    assert first["open"] is True
    assert first["opened"] == dt.date(2024, 5, 1)
    assert sorted(first["tags"]) == ["a", "b"]
    assert (first["location_lat"], first["location_lon"]) == (30.2591, 120.1421)
    assert first["notes"] == "门口堆放杂物"


def test_an_unknown_column_is_still_refused(root: Path, tmp_path: Path) -> None:
    """Only the tools' own bookkeeping columns are skipped; a stray column is an error."""
    runner = CliRunner()
    form = tmp_path / "place.xlsx"
    runner.invoke(main, ["forms", "export", "place", str(root), str(form)])
    db_url = f"sqlite:///{tmp_path / 'test.sqlite3'}"
    migrate(db_url, load_deployment(root), echo=lambda *a: None)
    csv_file = _submissions(form, "odk", tmp_path / "submissions.csv")
    text = csv_file.read_text(encoding="utf-8").splitlines()
    csv_file.write_text("\n".join([text[0] + ",section_1-colour", *(t + ",red" for t in text[1:])]),
                        encoding="utf-8")
    result = runner.invoke(main, ["import", str(root), "place", str(csv_file), "--db", db_url])
    assert result.exit_code == 1
    assert "unknown column 'section_1-colour'" in result.output
