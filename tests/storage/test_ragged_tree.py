"""A ragged tree (the price-supervision fixture): 监管格 under a county, a city or the province,
子格 under some 格 only. Its nodes.csv migrates with each node under its own parent; reports
sit on the 子格 where a 格 has them, else on the 格; a role is held at any of its levels.
Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from storage_support import quiet
from support import FIXTURES, runtime_of

from gridwork.config import Deployment, load_deployment
from gridwork.storage import build_schema, migrate
from gridwork.exchange.importer import ImportFailed, import_file
from gridwork.storage.tabular import write_table
from gridwork.exchange.users import import_users
from gridwork.workflow import Invalid, create_entry, create_record, load_user

PRICE = FIXTURES / "price"
PASSWORD = "price-pass-1"
NOW = dt.datetime(2026, 6, 1, 1, 0, tzinfo=dt.UTC)


@pytest.fixture
def price(db_url: str) -> Deployment:
    """The price deployment, migrated onto the test database."""
    deployment = load_deployment(PRICE)
    migrate(db_url, deployment, echo=quiet)
    return deployment


def _users(engine: Engine, deployment: Deployment, tmp_path: Path,
           rows: list[list[str]]) -> None:
    path = tmp_path / "users.csv"
    write_table(path, ["username", "name", "password", "role", "node"],
                [[row[0], row[0], *row[1:]] for row in rows])
    import_users(engine, deployment, path)


def test_nodes_csv_migrates_with_every_node_under_its_own_parent(
        price: Deployment, engine: Engine) -> None:
    nodes = build_schema(price).system("nodes")
    parent = nodes.alias("parent_node")
    with engine.connect() as conn:
        stored = {row.code: (row.level, row.parent_code, row.path) for row in conn.execute(
            select(nodes.c.code, nodes.c.level, nodes.c.path,
                   parent.c.code.label("parent_code"))
            .outerjoin(parent, parent.c.id == nodes.c.parent))}
    with (PRICE / "nodes.csv").open(encoding="utf-8") as file:
        wanted = {row["code"]: (row["level"], row["parent"] or None)
                  for row in csv.DictReader(file)}
    assert {code: found[:2] for code, found in stored.items()} == wanted
    assert stored["420100002"] == ("cell", "420100", "/420000/420100/420100002/")
    assert stored["420000001"] == ("cell", "420000", "/420000/420000001/")
    assert stored["42010200101"] == ("subcell", "420102001",
                                     "/420000/420100/420102/420102001/42010200101/")


def test_reports_sit_on_the_sub_cell_where_a_cell_has_them_else_on_the_cell(
        price: Deployment, engine: Engine, tmp_path: Path) -> None:
    _users(engine, price, tmp_path, [["ins", PASSWORD, "inspector", code] for code in (
        "420102001", "420100001", "420100002", "420000001")])
    runtime = runtime_of(price)
    with engine.connect() as conn:
        ins = load_user(conn, runtime.schema, "ins")

    def report(node: str) -> str:
        return create_record(engine, runtime, ins, "price_report", node,
                             {"title": "猪肉涨价", "category": "gouging"},
                             clock=lambda: NOW).node

    assert report("42010200101") == "42010200101"  # a 子格
    assert report("42010000101") == "42010000101"  # the 子格 of a city's own 格
    assert report("420100002") == "420100002"  # a 格 under a city, without 子格
    assert report("420000001") == "420000001"  # a 格 under the province
    for has_sub_cells in ("420102001", "420100001"):
        with pytest.raises(Invalid) as refused:
            report(has_sub_cells)
        assert refused.value.errors == {
            "node": ["records sit on the areas below this one; choose one of them"]}
    # The market register names both levels: a 格 with 子格 holds its records too.
    market = create_entry(engine, runtime, ins, "market", "420102001", {"name": "汉正街"},
                          clock=lambda: NOW).id
    table, nodes = runtime.schema.table("market"), runtime.schema.system("nodes")
    with engine.connect() as conn:
        assert conn.execute(select(nodes.c.code).join(table, table.c.node == nodes.c.id)
                            .where(table.c.id == market)).scalar_one() == "420102001"


def test_an_import_puts_reports_on_sub_cells_and_cells_and_says_where_they_go(
        price: Deployment, engine: Engine, tmp_path: Path) -> None:
    good = tmp_path / "reports.csv"
    write_table(good, ["node", "title", "category"], [
        ["42010200102", "子格上的报告", "gouging"], ["420103001", "格上的报告", "unmarked"]])
    assert import_file(engine, price, "price_report", good) == 2
    bad = tmp_path / "bad.csv"
    write_table(bad, ["node", "title", "category"], [
        ["420102001", "有子格的格", "gouging"], ["420102", "县区", "gouging"]])
    with pytest.raises(ImportFailed) as failed:
        import_file(engine, price, "price_report", bad)
    assert failed.value.problems == [
        "bad.csv:row 2: node: node '420102001' has nodes below it; price_report records sit "
        "at a node without children at or below cell",
        "bad.csv:row 3: node: node '420102' is a county, not a cell or subcell"]


def test_a_role_is_granted_at_any_of_its_levels_and_nowhere_else(
        price: Deployment, engine: Engine, tmp_path: Path) -> None:
    _users(engine, price, tmp_path, [["hp", PASSWORD, "head", "420000"],
                                     ["hc", PASSWORD, "head", "420100"],
                                     ["hk", PASSWORD, "head", "420102"]])
    schema = build_schema(price)
    with engine.connect() as conn:
        held = {(user.username, code) for user in (load_user(conn, schema, name)
                                                  for name in ("hp", "hc", "hk"))
                for code in [g.node_path.strip("/").split("/")[-1] for g in user.grants
                             if g.node_path]}
    assert held == {("hp", "420000"), ("hc", "420100"), ("hk", "420102")}
    with pytest.raises(ImportFailed) as failed:
        _users(engine, price, tmp_path, [["hx", PASSWORD, "head", "420102001"]])
    assert failed.value.problems == [
        "users.csv:row 2: node: node '420102001' is a cell, not a province or city or county"]
