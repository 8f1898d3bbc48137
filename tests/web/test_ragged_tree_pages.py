"""The price-supervision fixture's ragged tree through the pages: a 负责人 granted at the
province and one granted at a county each see their own subtree; the new-report form offers
the 子格 where a 格 has them and the 格 where it has none, and says what shape a licence
number takes."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from support import FIXTURES, runtime_of
from web_support import Clock, sign_in, token

from gridwork.config import Deployment, load_deployment
from gridwork.storage import make_engine, migrate
from gridwork.storage.tabular import write_table
from gridwork.exchange.users import import_users
from gridwork.web import create_app
from gridwork.workflow import create_record, load_user

NOW = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)
PASSWORD = "price-pass-1"
REPORTS = {"42010200101": "江岸子格的报告", "420103001": "江汉格的报告",
           "420100002": "市本级格的报告", "420000001": "省本级格的报告"}
"""A report's title by the node it sits on."""


@pytest.fixture
def client_of(tmp_path: Path) -> Iterator[object]:
    """Sign in as a user of the migrated price deployment holding one report per node of
    REPORTS; each call gives a fresh client."""
    deployment: Deployment = load_deployment(FIXTURES / "price")
    url = f"sqlite:///{tmp_path / 'price.sqlite3'}"
    migrate(url, deployment, echo=lambda _line: None)
    engine = make_engine(url)
    users = tmp_path / "users.csv"
    write_table(users, ["username", "name", "password", "role", "node"], [
        ["hp", "省负责人", PASSWORD, "head", "420000"],
        ["hk", "江岸区负责人", PASSWORD, "head", "420102"],
        *(["ins", "监管员", PASSWORD, "inspector", code]
          for code in ("420102001", "420103001", "420100001", "420100002", "420000001"))])
    import_users(engine, deployment, users)
    runtime = runtime_of(deployment)
    with engine.connect() as conn:
        ins = load_user(conn, runtime.schema, "ins")
    for node, title in REPORTS.items():
        create_record(engine, runtime, ins, "price_report", node,
                      {"title": title, "category": "gouging"}, clock=lambda: NOW)
    app = create_app(runtime, engine=engine, clock=Clock(NOW),
                     secret="test-secret-" + "x" * 20, data_dir=tmp_path / "data")

    def make(username: str) -> TestClient:
        client = TestClient(app)
        sign_in(client, username, PASSWORD)
        return client
    yield make
    engine.dispose()


def _titles(client: TestClient) -> set[str]:
    page = client.get("/registers/price_report")
    assert page.status_code == 200
    return {title for title in REPORTS.values() if title in page.text}


def test_a_head_at_the_province_and_one_at_a_county_each_see_their_subtree(
        client_of: object) -> None:
    assert _titles(client_of("hp")) == set(REPORTS.values())  # type: ignore[operator]
    assert _titles(client_of("hk")) == {"江岸子格的报告"}  # type: ignore[operator]


def test_the_form_offers_sub_cells_where_there_are_and_cells_where_there_are_none(
        client_of: object) -> None:
    client: TestClient = client_of("ins")  # type: ignore[operator]
    form = client.get("/registers/price_report/new").text
    offered = set(re.findall(r'<option value="(\d+)"', form))
    assert offered == {"42010200101", "42010200102", "420103001", "42010000101", "420100002",
                       "420000001"}
    refused = client.post("/registers/price_report/new", data={
        "csrf": token(client), "node": "420102001", "category": "gouging",
        "title": "有子格的格", "licence": "AB12"})
    assert refused.status_code == 422
    assert re.search(r'id="error-node">记录应落在其下级区域，请选择其中一个</p>', refused.text), refused.text
    assert "格式不对，应形如 JY123456" in refused.text
    stored = client.post("/registers/price_report/new", data={
        "csrf": token(client), "node": "420100002", "category": "gouging",
        "title": "市本级格的新报告", "licence": "JY000001"}, follow_redirects=False)
    assert stored.status_code == 303


def _tree(client: TestClient, **params: str) -> tuple[list[str], list[str]]:
    """The codes the form's tree picker lets the user pick, and those it lets them open."""
    answer = client.get("/nodes/tree", params={
        "level": "cell,subcell", "register": "price_report", "for": "in-node", **params})
    assert answer.status_code == 200
    return (re.findall(r'class="tree-pick" data-code="(\d+)"', answer.text),
            re.findall(r'aria-controls="in-node-sub-(\d+)"', answer.text))


def test_the_tree_picker_offers_only_nodes_that_hold_reports(client_of: object) -> None:
    """A 格 with 子格 opens to them but cannot be picked itself, nor found by a search; one
    without is picked; the market register (on 格 and 子格 alike) picks either."""
    client: TestClient = client_of("ins")  # type: ignore[operator]
    form = client.get("/registers/price_report/new").text
    assert "/nodes/tree?level=cell%2Csubcell&amp;register=price_report&amp;for=in-node" in form
    picked, opened = _tree(client)
    assert picked == ["420000001", "420100002", "420103001"]
    assert opened == ["420100001", "420102001"]
    assert _tree(client, parent="420102001") == (["42010200101", "42010200102"], [])
    assert _tree(client, q="监管格")[0] == ["420000001", "420100002", "420103001"]
    markets, _ = _tree(client, register="market")
    assert markets == ["420000001", "420100001", "420100002", "420102001", "420103001"]
    assert client.get("/nodes/tree", params={"register": "planet"}).status_code == 404
