"""Staffing bounds: `min_per_node` lists the nodes short after every change of users,
`max_per_node` refuses an import that would exceed it, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select
from storage_support import Config, quiet

from gridwork.cli import main
from gridwork.config import Deployment
from gridwork.storage import build_schema, migrate
from gridwork.exchange.importer import ImportFailed
from gridwork.storage.tabular import write_table
from gridwork.exchange.users import import_users

HEADER = ["username", "name", "password", "role", "node", "department", "active"]


def _bounded(config: Config, db_url: str, **bounds: int) -> Deployment:
    def change(data: Any) -> None:
        data["roles"]["worker"].update(bounds)
        data["roles"]["staff"]["min_per_node"] = 1
    deployment = config.edit(change)
    migrate(db_url, deployment, echo=quiet)
    return deployment


def _file(tmp_path: Path, rows: list[list[Any]]) -> Path:
    path = tmp_path / "users.csv"
    write_table(path, HEADER, rows)
    return path


def test_an_import_lists_the_nodes_left_short(
        config: Config, db_url: str, engine: Engine, tmp_path: Path) -> None:
    deployment = _bounded(config, db_url, min_per_node=1)
    done = import_users(engine, deployment, _file(tmp_path, [
        ["wang", "王伟", "pass-word-1", "worker", "S1C1G1", None, None],
        ["li", "李娜", "pass-word-2", "worker", "S1C1G2", None, "否"],     # inactive: not counted
        ["zhao", "赵敏", "pass-word-3", "staff", None, "cg", None],
    ]))
    assert [(s.role, s.code, s.count) for s in done.short] == [
        ("worker", "S1C1G2", 0), ("worker", "S1C2G1", 0), ("worker", "S2C1G1", 0),
        ("staff", "sc", 0)]
    assert done.short[0].describe() == "worker: S1C1G2 东一第二网格 has 0, needs at least 1"


def test_an_import_over_the_maximum_is_refused_and_saves_nothing(
        config: Config, db_url: str, engine: Engine, tmp_path: Path) -> None:
    deployment = _bounded(config, db_url, max_per_node=2)
    with pytest.raises(ImportFailed) as refused:
        import_users(engine, deployment, _file(tmp_path, [
            [f"w{i}", f"员{i}", f"pass-word-{i}", "worker", "S1C1G1", None, None]
            for i in range(3)]))
    assert refused.value.problems == [
        "users.csv: worker: S1C1G1 东一第一网格 has 3, may have at most 2"]
    users = build_schema(deployment).system("users")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(users)).scalar() == 0


def test_the_staffing_command_lists_every_node_short(
        config: Config, db_url: str, engine: Engine, tmp_path: Path) -> None:
    deployment = _bounded(config, db_url, min_per_node=1)
    runner = CliRunner()
    listed = runner.invoke(main, ["users", "staffing", str(config.root), "--db", db_url])
    assert listed.exit_code == 1
    assert listed.stdout.splitlines() == [
        "worker: S1C1G1 东一第一网格 has 0, needs at least 1",
        "worker: S1C1G2 东一第二网格 has 0, needs at least 1",
        "worker: S1C2G1 东二第一网格 has 0, needs at least 1",
        "worker: S2C1G1 西一第一网格 has 0, needs at least 1",
        "staff: cg 城管局 has 0, needs at least 1",
        "staff: sc 市场监管所 has 0, needs at least 1"]
    rows = [[f"w{code}", code, f"pass-word-{code}", "worker", code, None, None]
            for code in ("S1C1G1", "S1C1G2", "S1C2G1", "S2C1G1")]
    rows += [[f"s{code}", code, f"pass-word-{code}", "staff", None, code, None]
             for code in ("cg", "sc")]
    imported = runner.invoke(main, ["users", "import", str(config.root),
                                    str(_file(tmp_path, rows)), "--db", db_url])
    assert imported.exit_code == 0, imported.output
    assert "too few users" not in imported.stderr
    done = runner.invoke(main, ["users", "staffing", str(config.root), "--db", db_url])
    assert (done.exit_code, done.stdout) == (0, "")
    assert "every node is staffed as its roles require" in done.stderr
    assert deployment.roles["worker"].min_per_node == 1
