"""`/assessment` and `/api/v1/assessment`: the `assess` permission opens them, scope
limits the subjects, and a number's link lists exactly the records it counted."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from assessment_support import ZONE, Duty, Made, Scored, Step, write, write_duties
from sqlalchemy import select
from starlette.testclient import TestClient
from support import runtime_of

from gridwork.assessment import counted_rows, parse_period
from gridwork.auth import create_token
from gridwork.config.models.outputs import Subject
from gridwork.web import create_app

NOW = dt.datetime(2027, 1, 20, 4, 0, tzinfo=dt.UTC)


def _client(world: Scored, tmp_path: Path, username: str) -> TestClient:
    app = create_app(runtime_of(world.deployment), engine=world.engine, clock=lambda: NOW,
                     secret="test-secret-" + "x" * 20, data_dir=tmp_path / "data")
    client = TestClient(app)
    page = client.get("/signin").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf
    client.post("/signin", data={"csrf": csrf.group(1), "username": username,
                                 "password": "demo", "next": "/"})
    return client


def _api(world: Scored, tmp_path: Path, username: str) -> TestClient:
    app = create_app(runtime_of(world.deployment), engine=world.engine, clock=lambda: NOW,
                     secret="test-secret-" + "x" * 20, data_dir=tmp_path / "data")
    with world.engine.begin() as conn:
        secret = create_token(conn, world.schema, username, NOW - dt.timedelta(days=1))[1]
    return TestClient(app, headers={"Authorization": f"Bearer {secret}"})


def _records(world: Scored) -> None:
    fine = [Step(60, 0, "w_S1C1G1"), Step(600, 1, "w_S1C1G1")]
    late = [Step(60, 0), Step(60, 2), Step(60, 1)]
    write(world, [Made("S1C1G1", 60 * 24 * 20 + i, "city", "noise", 70, None, None, None,
                       late if i % 3 == 0 else fine) for i in range(7)]
          + [Made("S2C1G1", 60 * 24 * 21, "city", "noise", 70, None, None, None, fine),
             Made("S1C1G1", 60 * 24 * 200, "city", "noise", 70, None, None, None, fine)])


def test_a_street_officer_sees_the_grids_below_and_a_rate_links_to_its_records(
        scored: Scored, tmp_path: Path) -> None:
    _records(scored)
    client = _client(scored, tmp_path, "officer_S1")
    home = client.get("/").text
    assert 'id="nav-assessment"' in home
    page = client.get("/assessment", params={"period": "2026-Q4", "level": "level:grid"})
    assert page.status_code == 200
    shown = set(re.findall(r'<tr data-subject="([^"]+)"', page.text))
    assert shown == {"S1C1G1", "S1C1G2", "S1C2G1"}, "the other street's grids stay hidden"
    row = page.text.split('data-subject="S1C1G1"')[1].split("</tr>")[0]
    cell = re.search(r'data-metric="on_time"><a href="([^"]+)">([^<]+)</a>', row)
    assert cell and cell.group(2) == "57.1%"
    listed = client.get(cell.group(1).replace("&amp;", "&"))
    assert listed.status_code == 200
    ids = {int(i) for i in re.findall(r'href="/registers/event/(\d+)"', listed.text)}
    period = parse_period("2026-Q4", ZONE)
    rows = counted_rows(scored.deployment, scored.schema, scored.deployment.assessment.metrics[
        "on_time"], Subject(level="grid"), period).subquery()
    with scored.engine.connect() as conn:
        expected = set(conn.execute(select(rows.c.record).where(
            rows.c.subject == scored.ids["nodes"]["S1C1G1"])).scalars())
    assert len(expected) == 7 and ids == expected
    assert 'id="counted-filter"' in listed.text
    assert 'data-target="missed"' in row, "57.1% on time misses the target of 90%"


def test_the_sheet_shows_the_consequences_that_follow(scored: Scored, tmp_path: Path) -> None:
    late = [Step(60, 0), Step(60, 2), Step(60, 1)]
    write(scored, [Made("S1C1G2", 60 * 24 * 50, "water", None, None, None, None, None, late)])
    client = _client(scored, tmp_path, "officer_S1")
    page = client.get("/assessment", params={"period": "2026-11", "level": "level:grid"}).text
    row = page.split('data-subject="S1C1G2"')[1].split("</tr>")[0]
    assert re.findall(r"data-consequence>([^<]+)<", row) == ["通报批评"]
    other = page.split('data-subject="S1C1G1"')[1].split("</tr>")[0]
    assert "data-consequence" not in other
    api = _api(scored, tmp_path, "officer_S1").get(
        "/api/v1/assessment", params={"period": "2026-11", "level": "grid"}).json()
    lines = {line["subject"]["key"]: line for line in api["subjects"]}
    assert lines["S1C1G2"]["consequences"] == ["通报批评"]
    assert lines["S1C1G2"]["targets"]["on_time"] is False


def test_the_api_gives_the_sheet_in_scope_and_refuses_without_assess(
        scored: Scored, tmp_path: Path) -> None:
    _records(scored)
    officer = _api(scored, tmp_path, "officer_S2")
    sheet = officer.get("/api/v1/assessment", params={"period": "2026-Q4", "level": "grid"})
    assert sheet.status_code == 200, sheet.text
    body = sheet.json()
    assert body["period"] == "2026-Q4" and body["provisional"] is False
    assert [line["subject"]["key"] for line in body["subjects"]] == ["S2C1G1", "S2C1G2"]
    assert body["subjects"][0]["metrics"]["reports"] == 1
    bad = officer.get("/api/v1/assessment", params={"period": "2026-13"})
    assert bad.status_code == 400 and "months run" in bad.text
    assert _api(scored, tmp_path, "w_S1C1G1").get("/api/v1/assessment").status_code == 403
    worker = _client(scored, tmp_path, "w_S1C1G1")
    assert worker.get("/assessment").status_code == 403
    assert 'id="nav-assessment"' not in worker.get("/").text


def test_a_subjects_page_shows_its_periods_with_the_arithmetic(
        scored: Scored, tmp_path: Path) -> None:
    _records(scored)
    client = _client(scored, tmp_path, "officer_S1")
    page = client.get("/assessment/level:grid/S1C1G1", params={"period": "2026-12"})
    assert page.status_code == 200
    assert 'data-period="2026-12"' in page.text and 'data-period="2026-09"' in page.text
    assert "60 * (on_time if on_time != null else 1)" in page.text
    assert client.get("/assessment/level:grid/S2C1G1").status_code == 404


def test_the_excel_files_carry_the_sheets_numbers_and_arithmetic_as_text(
        scored: Scored, tmp_path: Path) -> None:
    from io import BytesIO

    from openpyxl import load_workbook
    from sqlalchemy import update

    from gridwork.web.i18n import translate

    _records(scored)
    nodes = scored.schema.system("nodes")
    trap = '=HYPERLINK("http://example.invalid","x")'
    with scored.engine.begin() as conn:
        conn.execute(update(nodes).where(nodes.c.code == "S1C1G1").values(name=trap))
    try:
        client = _client(scored, tmp_path, "officer_S1")
        query = {"period": "2026-Q4", "level": "level:grid"}
        got = client.get("/assessment/export.xlsx", params=query)
        assert got.status_code == 200
        sheet = load_workbook(BytesIO(got.content)).worksheets[0]
        header = [cell.value for cell in sheet[1]]
        rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
        api = _api(scored, tmp_path, "officer_S1").get(
            "/api/v1/assessment", params={"period": "2026-Q4", "level": "grid"}).json()
        lines = {line["subject"]["key"]: line for line in api["subjects"]}
        assert set(rows) == set(lines) == {"S1C1G1", "S1C1G2", "S1C2G1"}
        row = rows["S1C1G1"]
        assert row[1].value == trap and row[1].data_type == "s", "a name is never a formula"
        value = {header[i]: cell.value for i, cell in enumerate(row)}
        assert value["按时处理率"] == "57.1%" and value["上报数"] == 7
        target = next(h for h in header if h.startswith("按时处理率 · "))
        assert ">= 0.9" in target and value[target] == translate("Target not met", "zh")
        assert row[-6].value == lines["S1C1G1"]["score"]  # … score, grade, rank, veto, …
        assert row[-1].value == lines["S1C1G1"]["arithmetic"]

        one = client.get("/assessment/level:grid/S1C1G1/export.xlsx",
                         params={"period": "2026-Q4"})
        assert one.status_code == 200
        own = [[c.value for c in r] for r in load_workbook(BytesIO(one.content)).worksheets[0]
               .iter_rows(min_row=2)]
        assert ["2026-Q4", "得分", lines["S1C1G1"]["score"], None] in own
        assert ["2026-Q4", translate("Arithmetic", "zh"), lines["S1C1G1"]["arithmetic"],
                None] in own
        assert client.get("/assessment/level:grid/S2C1G1/export.xlsx").status_code == 404
    finally:
        with scored.engine.begin() as conn:
            conn.execute(update(nodes).where(nodes.c.code == "S1C1G1").values(name="东一1"))


def test_coverage_and_misses_link_to_exactly_the_duties_they_counted(
        scored: Scored, tmp_path: Path) -> None:
    day = 60 * 24
    write_duties(scored, [Duty("S1C1G1", day * 20, "done", "w_S1C1G1", None),
                          Duty("S1C1G1", day * 21, "overdue", None, 60),
                          Duty("S1C1G1", day * 22, "dropped", None, None),
                          Duty("S1C1G1", day * 5, "done", None, None),      # September
                          Duty("S1C1G2", day * 20, "open", None, None)])
    client = _client(scored, tmp_path, "officer_S1")
    page = client.get("/assessment", params={"period": "2026-Q4", "level": "level:grid"}).text
    row = page.split('data-subject="S1C1G1"')[1].split("</tr>")[0]
    period = parse_period("2026-Q4", ZONE)
    api = _api(scored, tmp_path, "officer_S1")
    for metric, text, count in (("patrols", "50.0%", 2), ("missed", "1", 1)):
        cell = re.search(rf'data-metric="{metric}"><a href="([^"]+)">([^<]+)</a>', row)
        assert cell and cell.group(2) == text
        href = cell.group(1).replace("&amp;", "&")
        assert href.startswith("/duties?counted=")
        listed = client.get(href).text
        shown = {int(i) for i in re.findall(r'id="duty-(\d+)"', listed)}
        rows = counted_rows(scored.deployment, scored.schema,
                            scored.deployment.assessment.metrics[metric], Subject(level="grid"),
                            period).subquery()
        with scored.engine.connect() as conn:
            expected = set(conn.execute(select(rows.c.record).where(
                rows.c.subject == scored.ids["nodes"]["S1C1G1"])).scalars())
        assert len(expected) == count and shown == expected, metric
        assert 'id="counted-filter"' in listed
        given = api.get("/api/v1/duties", params={"counted": href.split("counted=")[1]
                                                   .replace("%2F", "/").replace("%3A", ":")})
        assert given.status_code == 200, given.text
        assert {item["id"] for item in given.json()["items"]} == expected
    assert api.get("/api/v1/duties", params={"counted": "2026-Q4/level:grid/S1C1G1/reports"}
                   ).status_code == 422
    outsider = _client(scored, tmp_path, "officer_S2")
    assert 'id="duty-' not in outsider.get(href).text, "duties outside the scope stay hidden"
