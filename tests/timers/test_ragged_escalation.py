"""Escalation in a ragged tree (the price-supervision fixture), on SQLite and PostgreSQL:
`move_up: 1` goes to the parent node whatever its level (a city's own 格 moves to the city,
not to a county it has none of); `move_up: county` goes where a branch skips the county to
the nearest level above; a role held at several levels is told at the nearest node that
has holders.

A report made at START has a 4h limit: the ladder fires at +4h, +5h and +6h.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select
from support import FIXTURES, runtime_of
from sweep_world import HOUR, START

from gridwork.config import Deployment, load_deployment
from gridwork.storage import make_engine, migrate
from gridwork.sweep.sweep import sweep
from gridwork.workflow import Record, create_record, load_user

GRANTS = (("ins", "inspector", "420100002"), ("ins", "inspector", "42010200101"),
          ("hp", "head", "420000"), ("hk", "head", "420102"))
"""A 监管员 at a city's own 格 and at a county's 子格; 负责人 at the province and a county
(none at the city)."""


class Price:
    """The migrated price deployment with its users, and what the sweep left behind."""

    def __init__(self, url: str) -> None:
        self.deployment: Deployment = load_deployment(FIXTURES / "price")
        migrate(url, self.deployment, echo=lambda _line: None)
        self.engine: Engine = make_engine(url)
        self.runtime = runtime_of(self.deployment)
        schema = self.runtime.schema
        users, grants, nodes = (schema.system(n) for n in ("users", "grants", "nodes"))
        self.users: dict[str, int] = {}
        with self.engine.begin() as conn:
            for name, role, code in GRANTS:
                if name not in self.users:
                    self.users[name] = conn.execute(insert(users).values(
                        username=name, display_name=name, active=True, created_at=START)
                        .returning(users.c.id)).scalar_one()
                node = conn.execute(select(nodes.c.id).where(nodes.c.code == code)).scalar_one()
                conn.execute(insert(grants).values(user=self.users[name], role=role,
                                                   node=node, scope="subtree"))

    def report(self, node: str, category: str) -> Record:
        with self.engine.connect() as conn:
            ins = load_user(conn, self.runtime.schema, "ins")
        return create_record(self.engine, self.runtime, ins, "price_report", node,
                             {"title": "菜价异常", "category": category}, clock=lambda: START)

    def sweep(self, hours: float) -> None:
        report = sweep(self.engine, self.runtime, now=START + hours * HOUR)
        assert not report.failed

    def moves(self, record: Record) -> list[tuple[Any, Any]]:
        history = self.runtime.schema.system("history")
        with self.engine.connect() as conn:
            return [(row.before["node"], row.after["node"]) for row in conn.execute(
                select(history.c.before, history.c.after).where(
                    history.c.record == record.id, history.c.action == "move_up")
                .order_by(history.c.id))]

    def told(self, record: Record) -> list[str]:
        """Who each escalation notice went to, in order."""
        outbox = self.runtime.schema.system("outbox")
        names = {user_id: name for name, user_id in self.users.items()}
        with self.engine.connect() as conn:
            return [names[row.recipient] for row in conn.execute(
                select(outbox.c.recipient).where(outbox.c.record == record.id,
                                                 outbox.c.cause == "escalation")
                .order_by(outbox.c.id))]

    def supervised_at(self, record: Record) -> list[str]:
        table = self.runtime.schema.system("supervisions")
        with self.engine.connect() as conn:
            return list(conn.execute(select(table.c.level).where(table.c.record == record.id)
                                     .order_by(table.c.id)).scalars())


@pytest.fixture(params=["sqlite", "postgresql"])
def price(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Price]:
    url = (f"sqlite:///{tmp_path / 'price.sqlite3'}" if request.param == "sqlite"
           else request.getfixturevalue("pg_schema")())
    made = Price(url)
    yield made
    made.engine.dispose()


def test_a_city_cells_report_moves_up_to_the_city_then_the_province(price: Price) -> None:
    record = price.report("420100002", "gouging")
    for hours in (4, 5, 6):
        price.sweep(hours)
    assert price.moves(record) == [("420100002", "420100"), ("420100", "420000")]
    assert price.supervised_at(record) == ["city"]
    # No 负责人 sits at the city: the province's is the nearest on the branch each time.
    assert price.told(record) == ["hp", "hp", "hp"]


def test_a_sub_cells_report_moves_up_through_its_cell_and_county(price: Price) -> None:
    record = price.report("42010200101", "gouging")
    for hours in (4, 5, 6):
        price.sweep(hours)
    assert price.moves(record) == [("42010200101", "420102001"), ("420102001", "420102")]
    assert price.told(record) == ["hk", "hk", "hk"]


def test_moving_up_to_a_level_a_branch_skips_stops_at_the_nearest_level_above(
        price: Price) -> None:
    skipped = price.report("420100002", "unmarked")
    county = price.report("42010200101", "unmarked")
    price.sweep(4)
    assert price.moves(skipped) == [("420100002", "420100")]
    assert price.moves(county) == [("42010200101", "420102")]
    assert (price.supervised_at(skipped), price.supervised_at(county)) == (["city"], ["county"])
    assert (price.told(skipped), price.told(county)) == (["hp"], ["hk"])
