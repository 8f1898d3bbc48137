"""A plugin's field type works everywhere a built-in one does: check, migrate, form, API,
display, import, export and demo data. The type is `plate` (tests/fixtures/plugins/
plate_field.py): its own column, validation, display (浙A·12345) and demo value."""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import String, create_engine, inspect, select
from starlette.testclient import TestClient
from support import FIXTURES, run_check, run_cli

from gridwork.runtime import Runtime
from gridwork.config import load_deployment
from gridwork.storage import build_schema
from gridwork.web import create_app

PLATE = re.compile(r"^浙A\d{5}$")
BAD = "not a licence plate such as 浙A12345"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def token(client: TestClient) -> str:
    """The CSRF token of the client's session."""
    found = CSRF.search(client.get("/registers/event/new").text)
    assert found, "no CSRF token on the form"
    return found.group(1)


@pytest.fixture
def plated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The minimal deployment with the plate plugin and a `plate` field on both registers."""
    monkeypatch.syspath_prepend(str(FIXTURES / "plugins"))
    text = (FIXTURES / "minimal" / "deployment.yaml").read_text(encoding="utf-8")
    text = text.replace("assessment:\n", "plugins: [plate_field]\nassessment:\n")
    for last in ("      - {name: kind, type: choice, choices: [food, retail]}\n",
                 "      - {name: result, type: textarea}\n"):
        text = text.replace(last, last + "      - {name: plate, type: plate}\n")
    root = tmp_path / "deployment"
    root.mkdir()
    (root / "deployment.yaml").write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def db(plated: Path, tmp_path: Path) -> str:
    """A migrated SQLite database of the plated deployment, with demo users."""
    url = f"sqlite:///{tmp_path / 'grid.sqlite3'}"
    assert run_cli("migrate", str(plated), "--db", url)[0] == 0
    assert run_cli("seed", str(plated), "--demo", "--records", "20", "--db", url)[0] == 0
    return url


@pytest.fixture
def client(plated: Path, db: str, tmp_path: Path) -> Iterator[TestClient]:
    """The site of the plated deployment, signed in as the grid worker."""
    engine = create_engine(db)
    app = create_app(Runtime.build(load_deployment(plated)), engine=engine,
                     clock=lambda: dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC),
                     secret="test-secret-" + "x" * 20, data_dir=tmp_path / "data")
    with TestClient(app) as test_client:
        signin = CSRF.search(test_client.get("/signin").text)
        assert signin is not None
        test_client.post("/signin", data={"csrf": signin.group(1), "username": "grid_worker",
                                          "password": "demo", "next": "/"})
        yield test_client
    engine.dispose()


def _plates(plated: Path, url: str, register: str) -> list[str | None]:
    """The stored plates of a register's records, oldest first."""
    engine = create_engine(url)
    table = build_schema(load_deployment(plated)).table(register)
    with engine.connect() as conn:
        found = list(conn.execute(select(table.c.plate).order_by(table.c.id)).scalars())
    engine.dispose()
    return found


def test_check_knows_the_type_and_checks_a_default_with_it(plated: Path) -> None:
    assert run_check(plated) == (0, [])
    path = plated / "deployment.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "{name: plate, type: plate}", "{name: plate, type: plate, default: '12345'}", 1),
        encoding="utf-8")
    code, report = run_check(plated)
    assert code == 1
    assert [line.split(": error: ")[1] for line in report] == [
        f"default '12345' is not a valid plate: {BAD}"]


def test_migrate_makes_the_column_the_type_asks_for(plated: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    code, out, _ = run_cli("migrate", str(plated), "--db", url)
    assert code == 0, out
    engine = create_engine(url)
    columns = {c["name"]: c["type"] for c in inspect(engine).get_columns("r_shop")}
    engine.dispose()
    assert isinstance(columns["plate"], String) and columns["plate"].length == 8


def test_a_form_refuses_a_bad_plate_with_its_message_and_stores_a_good_one(
        client: TestClient, plated: Path, db: str) -> None:
    form = {"node": "S1C1G1", "category": "litter", "title": "占道停车"}
    refused = client.post("/registers/event/new",
                          data={"csrf": token(client), **form, "plate": "12345"})
    assert refused.status_code == 422
    assert re.search(rf'id="error-plate">{BAD}<', refused.text)
    assert 'value="12345"' in refused.text
    before = _plates(plated, db, "event")
    stored = client.post("/registers/event/new",
                         data={"csrf": token(client), **form, "plate": "浙a12345"},
                         follow_redirects=False)
    assert stored.status_code == 303, stored.text
    assert _plates(plated, db, "event") == [*before, "浙A12345"]


def test_the_api_creates_and_reads_a_plugin_value(client: TestClient, plated: Path,
                                                  db: str) -> None:
    code, out, _ = run_cli("token", "create", "grid_worker", str(plated), "--db", db)
    assert code == 0, out
    headers = {"Authorization": f"Bearer {out.splitlines()[-1].strip()}"}
    body = {"node": "S1C1G1", "values": {"title": "占道", "category": "litter", "plate": "x"}}
    refused = client.post("/api/v1/registers/event/records", json=body, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["errors"]["plate"] == [BAD]
    body["values"]["plate"] = "粤b12345"
    created = client.post("/api/v1/registers/event/records", json=body, headers=headers)
    assert created.status_code == 201, created.text
    read = client.get(f"/api/v1/registers/event/records/{created.json()['id']}",
                      headers=headers)
    assert read.json()["values"]["plate"] == "粤B12345"


def test_the_record_page_shows_the_type_display(client: TestClient) -> None:
    created = client.post("/registers/event/new", data={
        "csrf": token(client), "node": "S1C1G1", "category": "litter", "title": "占道停车",
        "plate": "浙A12345"}, follow_redirects=False)
    assert created.status_code == 303, created.text
    page = client.get(created.headers["location"]).text
    assert "浙A·12345" in page


def test_import_reads_a_plugin_column(plated: Path, db: str, tmp_path: Path) -> None:
    sheet = tmp_path / "shops.csv"
    rows = [["node", "name", "plate"], ["S1C1G1", "一号店", "浙a12345"],
            ["S1C1G1", "二号店", "12345"]]
    with sheet.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(rows)
    before = _plates(plated, db, "shop")
    code, out, err = run_cli("import", str(plated), "shop", str(sheet), "--db", db)
    assert code == 1
    assert f"shops.csv:row 3: plate: {BAD}" in out + err
    assert _plates(plated, db, "shop") == before
    rows.pop()
    with sheet.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(rows)
    code, out, err = run_cli("import", str(plated), "shop", str(sheet), "--db", db)
    assert code == 0, out + err
    assert _plates(plated, db, "shop") == [*before, "浙A12345"]


def test_export_writes_a_plugin_column_raw_and_as_shown(plated: Path, db: str,
                                                        tmp_path: Path) -> None:
    engine = create_engine(db)
    table = build_schema(load_deployment(plated)).table("shop")
    with engine.begin() as conn:
        conn.execute(table.update().where(table.c.id == select(table.c.id).order_by(
            table.c.id).limit(1).scalar_subquery()).values(plate="浙A54321"))
    engine.dispose()
    for raw, expected in ((True, "浙A54321"), (False, "浙A·54321")):
        path = tmp_path / f"shops-{raw}.csv"
        code, out, _ = run_cli("export", str(plated), "shop", str(path), "--db", db,
                               *(["--raw"] if raw else []))
        assert code == 0, out
        with path.open(encoding="utf-8-sig") as sheet:
            rows = list(csv.reader(sheet))
        assert rows[1][rows[0].index("plate")] == expected


def test_seed_demo_fills_the_field_with_the_type_demo_values(plated: Path, db: str) -> None:
    plates = _plates(plated, db, "shop")
    assert plates and all(plate is not None and PLATE.match(plate) for plate in plates)
