"""The grid tree in the database: synced from config, re-gridded, scoped, and located."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select
from storage_support import NOW, Config, add_record, node_id, quiet

from gridwork.config import Deployment
from gridwork.hierarchy import (
    Grant,
    ancestors,
    descendants,
    locate,
    scope_filter,
    subtree_ids,
    user_grants,
)
from gridwork.storage import MigrationRefused, build_schema, migrate
from gridwork.storage.system import NODE_SUBJECT


def _node(data: Any, code: str) -> Any:
    return next(n for n in data["hierarchy"]["nodes"] if n["code"] == code)


def _paths(engine: Engine, deployment: Deployment) -> dict[str, str]:
    nodes = build_schema(deployment).system("nodes")
    with engine.connect() as conn:
        return dict(conn.execute(select(nodes.c.code, nodes.c.path)).all())


def test_nodes_get_materialized_paths(migrated: Deployment, engine: Engine) -> None:
    paths = _paths(engine, migrated)
    assert paths["D1"] == "/D1/"
    assert paths["S1C1G2"] == "/D1/S1/S1C1/S1C1G2/"
    assert len(paths) == len(migrated.nodes)


def test_regridding_keeps_records_moves_the_subtree_and_writes_history(
        migrated: Deployment, config: Config, db_url: str, engine: Engine) -> None:
    schema = build_schema(migrated)
    place = schema.table("place")
    with engine.begin() as conn:
        ids = [add_record(conn, place, code, name=code) for code in ("S1C1G1", "S1C1G2", "S2C1G1")]
    changed = config.edit(lambda d: _node(d, "S1C1").update(parent="S2"))
    lines: list[str] = []
    migrate(db_url, changed, echo=lines.append)
    assert ("  move node S1C1 (东一社区) from S1 to S2, keeping its 2 records; history written"
            in lines)
    assert "  update the paths of 2 nodes below moved nodes" in lines
    paths = _paths(engine, changed)
    assert paths["S1C1"] == "/D1/S2/S1C1/" and paths["S1C1G1"] == "/D1/S2/S1C1/S1C1G1/"
    nodes, history = schema.system("nodes"), schema.system("history")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(place)).scalar() == 3
        under_s2 = select(func.count()).where(place.c.node.in_(subtree_ids(nodes, "/D1/S2/")))
        assert conn.execute(under_s2).scalar() == 3
        under_s1 = select(func.count()).where(place.c.node.in_(subtree_ids(nodes, "/D1/S1/")))
        assert conn.execute(under_s1).scalar() == 0
        moved = conn.execute(select(history).where(history.c.register == NODE_SUBJECT)).one()
    assert moved.action == "move" and moved.before["parent"] == "S1"
    assert moved.after == {"parent": "S2", "path": "/D1/S2/S1C1/"}
    assert ids == [1, 2, 3]


def test_renamed_and_new_nodes_sync(migrated: Deployment, config: Config, db_url: str,
                                    engine: Engine) -> None:
    def change(data: Any) -> None:
        _node(data, "S2").update(name="新西街道")
        data["hierarchy"]["nodes"].append({"code": "S2C1G2", "name": "新网格", "level": "grid",
                                           "parent": "S2C1"})
    changed = config.edit(change)
    lines: list[str] = []
    migrate(db_url, changed, echo=lines.append)
    assert "  add 1 node: S2C1G2" in lines
    assert "  update 1 node: S2 西街道 → 新西街道" in lines
    assert _paths(engine, changed)["S2C1G2"] == "/D1/S2/S2C1/S2C1G2/"


def test_a_node_holding_records_cannot_be_removed(migrated: Deployment, config: Config,
                                                  db_url: str, engine: Engine) -> None:
    with engine.begin() as conn:
        add_record(conn, build_schema(migrated).table("place"), "S1C2G1", name="x")
    changed = config.edit(lambda d: d["hierarchy"]["nodes"].remove(_node(d, "S1C2G1")))
    lines: list[str] = []
    with pytest.raises(MigrationRefused):
        migrate(db_url, changed, echo=lines.append, allow_destructive=True)
    assert ("  CANNOT: remove 1 node: S1C2G1 (东二第一网格) — 1 rows of r_place.node sit in "
            "them; move those first or keep the nodes") in lines
    assert "S1C2G1" in _paths(engine, changed)


def test_an_empty_node_is_removed(migrated: Deployment, config: Config, db_url: str,
                                  engine: Engine) -> None:
    def change(data: Any) -> None:
        data["hierarchy"]["nodes"].remove(_node(data, "S1C2G1"))
        data["hierarchy"]["nodes"].remove(_node(data, "S1C2"))
    changed = config.edit(change)
    migrate(db_url, changed, echo=quiet)
    assert not {"S1C2", "S1C2G1"} & set(_paths(engine, changed))


def test_ancestors_and_descendants(migrated: Deployment, engine: Engine) -> None:
    nodes = build_schema(migrated).system("nodes")
    with engine.connect() as conn:
        assert [r.code for r in ancestors(conn, nodes, "S1C1G2")] == ["D1", "S1", "S1C1", "S1C1G2"]
        assert [r.code for r in descendants(conn, nodes, "S1", level="grid")] == [
            "S1C1G1", "S1C1G2", "S1C2G1"]
        assert [r.code for r in descendants(conn, nodes, "S1C1")] == ["S1C1G1", "S1C1G2"]
        assert ancestors(conn, nodes, "nope") == []


class _User:
    def __init__(self, *grants: Grant) -> None:
        self.grants = grants


def test_scope_filter_by_node_subtree_and_department(migrated: Deployment,
                                                     engine: Engine) -> None:
    schema = build_schema(migrated)
    place, case = schema.table("place"), schema.table("case")
    departments, users, grants = (schema.system(n) for n in ("departments", "users", "grants"))
    with engine.begin() as conn:
        for code in ("S1C1G1", "S1C1G2", "S1C2G1", "S2C1G1"):
            add_record(conn, place, code, name=code)
        cg = conn.execute(select(departments.c.id).where(departments.c.code == "cg")).scalar()
        add_record(conn, case, "S2C1G1", title="theirs", department=cg)
        add_record(conn, case, "S1C1G1", title="other")
        leader = conn.execute(insert(users).values(
            username="leader", display_name="L", created_at=NOW)).inserted_primary_key[0]
        conn.execute(insert(grants).values(user=leader, role="leader", scope="subtree",
                                           node=node_id(conn, place, "S1C1")))
        leader_grants = user_grants(conn, grants, leader)
        street = Grant("officer", "node", node_id(conn, place, "S1"), "/D1/S1/")

    def seen(user: _User, table: Any = place) -> list[str]:
        column = table.c.name if table is place else table.c.title
        with engine.connect() as conn:
            return sorted(conn.execute(select(column).where(scope_filter(user, table))).scalars())

    assert leader_grants == (Grant("leader", "subtree", leader_grants[0].node, "/D1/S1/S1C1/"),)
    assert seen(_User(*leader_grants)) == ["S1C1G1", "S1C1G2"]
    assert seen(_User(street)) == []
    assert seen(_User(Grant("officer", "subtree", street.node, "/D1/S1/"))) == [
        "S1C1G1", "S1C1G2", "S1C2G1"]
    assert seen(_User()) == []
    staff = Grant("staff", department=cg, node=street.node, node_path="/D1/S1/")
    assert seen(_User(staff), case) == ["theirs"]
    assert seen(_User(staff)) == ["S1C1G1", "S1C1G2", "S1C2G1"]
    nodes = schema.system("nodes")
    with engine.connect() as conn:
        codes = conn.execute(select(nodes.c.code).where(
            scope_filter(_User(*leader_grants), nodes))).scalars().all()
    assert sorted(codes) == ["S1C1", "S1C1G1", "S1C1G2"]


def test_subtree_query_uses_the_path_index(migrated: Deployment, engine: Engine) -> None:
    nodes = build_schema(migrated).system("nodes")
    query = subtree_ids(nodes, "/D1/S1/")
    with engine.connect() as conn:
        sql = str(query.compile(conn, compile_kwargs={"literal_binds": True}))
        if conn.dialect.name == "sqlite":
            plan = " ".join(str(r) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
        else:
            conn.exec_driver_sql("SET enable_seqscan = off")
            plan = " ".join(str(r) for r in conn.exec_driver_sql(f"EXPLAIN {sql}"))
    assert "ix_nodes_path" in plan


@pytest.mark.parametrize(("lat", "lon", "code"), [
    (30.01, 120.01, "S1C1G1"),      # a grid's polygon
    (30.05, 120.05, "S1"),          # in the grid's hole, still in the street
    (30.05, 120.15, "S1C1G2"),      # first part of a multipolygon
    (31.02, 121.05, "S1C1G2"),      # its second part
    (30.25, 120.25, "S1"),          # only the street
    (10.0, 10.0, None),
])
def test_locate_finds_the_deepest_node(config: Config, lat: float, lon: float,
                                       code: str | None) -> None:
    assert locate(config.load(), lat, lon) == code
