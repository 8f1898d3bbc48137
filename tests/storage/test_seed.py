"""Demo data: users per role on one branch, valid records in every state, seen through scopes."""

from __future__ import annotations

from pathlib import Path

from argon2 import PasswordHasher
from click.testing import CliRunner
from sqlalchemy import Engine, func, select
from storage_support import Config, quiet

from gridwork.cli import main
from gridwork.config import Deployment, load_deployment
from gridwork.hierarchy import scope_filter, user_grants
from gridwork.plugins import field_types
from gridwork.storage import build_schema, migrate
from gridwork.demo.seed import demo_branch, seed_demo


class _User:
    def __init__(self, grants: tuple) -> None:
        self.grants = grants


def test_seed_makes_users_and_valid_records(migrated: Deployment, engine: Engine) -> None:
    result = seed_demo(engine, migrated, records=200, echo=quiet)
    assert result.users == ["worker", "leader", "officer", "staff", "cg"]
    assert result.records == {"place": 100, "case": 100}
    schema = build_schema(migrated)
    users, place, case = schema.system("users"), schema.table("place"), schema.table("case")
    types = field_types()
    with engine.connect() as conn:
        worker = conn.execute(select(users).where(users.c.username == "worker")).one()
        assert PasswordHasher().verify(worker.password_hash, "demo")
        grants = user_grants(conn, schema.system("grants"), worker.id)
        assert grants[0].node_path == "/D1/S1/S1C1/S1C1G1/"
        seen = conn.execute(select(func.count()).where(scope_filter(_User(grants), place))).scalar()
        assert seen and seen >= 10
        states = set(conn.execute(select(case.c.state)).scalars())
        assert states == {"open", "done"}
        for row in conn.execute(select(place)):
            for spec in migrated.registers["place"].fields:
                value = getattr(row, spec.name, None)
                if value is not None and spec.type in ("credit_code", "id_card", "phone",
                                                        "choice", "integer", "date"):
                    types[spec.type].validate(value, spec)
        located = conn.execute(select(place.c.location_lat, place.c.location_lon)
                               .where(place.c.node == grants[0].node)).first()
    assert located is not None


def test_seed_command_prints_the_demo_users(config: Config, db_url: str) -> None:
    migrate(db_url, config.load(), echo=quiet)
    result = CliRunner().invoke(main, ["seed", str(config.root), "--demo", "--db", db_url,
                                       "--records", "20"])
    assert result.exit_code == 0, result.output
    assert "worker: 网格员 at S1C1G1 (grid)" in result.output
    assert "staff: 部门人员 at D1 (district), department cg" in result.output


def test_branch_runs_from_the_root_to_the_first_grid(tmp_path: Path) -> None:
    minimal = load_deployment(Path(__file__).parent.parent / "fixtures" / "minimal")
    assert demo_branch(minimal) == ["S1", "S1C1", "S1C1G1"]


def test_a_role_held_at_several_levels_gets_a_demo_user_at_each(db_url: str) -> None:
    """The price fixture's 负责人 is held at province, city and county: its demo users sign in
    at each, the role key's own at the first, and each sees only its own subtree."""
    from support import FIXTURES

    from gridwork.storage import make_engine

    price = load_deployment(FIXTURES / "price")
    migrate(db_url, price, echo=quiet)
    engine = make_engine(db_url)
    try:
        result = seed_demo(engine, price, records=40, echo=quiet)
        schema = build_schema(price)
        users, nodes = schema.system("users"), schema.system("nodes")
        reports = schema.table("price_report")
        with engine.connect() as conn:
            ids = dict(conn.execute(select(users.c.username, users.c.id)).all())
            placed = {}
            for name in ("head", "head_city", "head_county", "inspector", "inspector_subcell"):
                [grant] = user_grants(conn, schema.system("grants"), ids[name])
                level = conn.execute(select(nodes.c.level)
                                     .where(nodes.c.id == grant.node)).scalar()
                seen = conn.execute(select(func.count()).where(
                    scope_filter(_User((grant,)), reports))).scalar()
                placed[name] = (grant.role, level, seen)
            total = conn.execute(select(func.count()).select_from(reports)).scalar()
    finally:
        engine.dispose()
    assert result.users[:5] == ["inspector", "inspector_subcell", "head", "head_city",
                                "head_county"]
    assert {name: role_level[:2] for name, role_level in placed.items()} == {
        "head": ("head", "province"), "head_city": ("head", "city"),
        "head_county": ("head", "county"), "inspector": ("inspector", "cell"),
        "inspector_subcell": ("inspector", "subcell")}
    assert placed["head"][2] == total >= placed["head_city"][2] >= placed["head_county"][2]
    assert 0 < placed["head_county"][2] < total
