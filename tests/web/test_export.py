"""The list's export, as people read it: the deployment's labels for columns, states,
categories and choices, photos as links — or, with `raw=1`, the keys import reads back; and
text that a spreadsheet would run as a formula is written as text either way."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from typing import Any

from openpyxl import load_workbook  # type: ignore[import-untyped]
from PIL import Image
from starlette.testclient import TestClient
from web_support import token

FORMULA = "=HYPERLINK(\"http://evil.example\",\"点我\")"


def _report(client: TestClient, title: str) -> str:
    out = io.BytesIO()
    Image.new("RGB", (8, 6), (10, 120, 200)).save(out, "JPEG")
    grid = re.search(r'<option value="(\w+)" selected>', client.get("/registers/event/new").text)
    assert grid
    form: dict[str, Any] = {"csrf": token(client), "node": grid.group(1),
                            "category": "dispute_neighbour", "title": title,
                            "description": "楼上漏水到楼下", "source": "patrol",
                            "address": "一单元 302"}
    saved = client.post("/registers/event/new", data=form, follow_redirects=False,
                        files=[("photos", ("scene.jpg", out.getvalue(), "image/jpeg"))])
    assert saved.status_code == 303, saved.text
    return str(saved.headers["location"])


def _rows(client: TestClient, query: str) -> list[dict[str, str]]:
    text = client.get(f"/registers/event/export.csv?{query}").content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_the_export_speaks_the_deployments_language(
        make_client: Callable[..., TestClient]) -> None:
    record = _report(make_client("community", "grid_worker"), "楼上漏水")
    record_id = record.rsplit("/", 1)[1]
    admin = make_client("community", "admin")
    rows = {row["编号"]: row for row in _rows(admin, "q=楼上漏水")}
    row = rows[record_id]
    assert (row["事件标题"], row["事件来源"], row["类别"]) == ("楼上漏水", "网格员巡查发现",
                                                          "矛盾纠纷 / 邻里纠纷")
    photo = re.fullmatch(r"http://testserver/registers/event/(\d+)/photos/([0-9a-f]{64}\.jpg)",
                         row["现场照片"])
    assert photo and photo.group(1) == record_id
    assert admin.get(row["现场照片"]).headers["content-type"] == "image/jpeg"
    raw = {row["id"]: row for row in _rows(admin, "q=楼上漏水&raw=1")}[record_id]
    assert (raw["source"], raw["category"]) == ("patrol", "dispute_neighbour")
    assert raw["photos"] == photo.group(2)
    assert row["状态"] == {"dispatching": "待分发", "accepting": "待接受"}[raw["state"]]


def test_formula_text_is_exported_as_text(make_client: Callable[..., TestClient]) -> None:
    record_id = _report(make_client("community", "grid_worker"), FORMULA).rsplit("/", 1)[1]
    admin = make_client("community", "admin")
    for query, column in (("q=HYPERLINK", "事件标题"), ("q=HYPERLINK&raw=1", "title")):
        row = next(r for r in _rows(admin, query) if r.get("编号", r.get("id")) == record_id)
        assert row[column] == "'" + FORMULA
    book = load_workbook(io.BytesIO(admin.get("/registers/event/export.xlsx?q=HYPERLINK")
                                    .content))
    sheet = book.active
    header = [cell.value for cell in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("事件标题") + 1)
    assert (cell.value, cell.data_type) == (FORMULA, "s")
