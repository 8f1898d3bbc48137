"""The database commands as an administrator runs them."""

from __future__ import annotations

from typing import Any

from click.testing import CliRunner
from sqlalchemy import create_engine
from storage_support import Config, add_record

from gridwork.cli import main
from gridwork.storage import build_schema


def test_migrate_plans_then_applies(config: Config, db_url: str) -> None:
    runner = CliRunner()
    planned = runner.invoke(main, ["migrate", str(config.root), "--db", db_url, "--plan"])
    assert planned.exit_code == 0, planned.output
    assert "add table r_place for register place" in planned.output
    applied = runner.invoke(main, ["migrate", str(config.root), "--db", db_url])
    assert applied.exit_code == 0 and "migrated:" in applied.output

    def drop_last_field(data: Any) -> None:
        data["registers"]["case"]["fields"].pop()
    config.edit(drop_last_field)
    dropped = runner.invoke(main, ["migrate", str(config.root), "--db", db_url])
    assert dropped.exit_code == 0, dropped.output  # the dropped column was empty
    assert "drop column r_case.detail" in dropped.output


def test_migrate_reports_config_errors(config: Config, db_url: str) -> None:
    (config.root / "deployment.yaml").write_text("deployment: {name: x}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["migrate", str(config.root), "--db", db_url])
    assert result.exit_code == 1
    assert "deployment.yaml:" in result.output


def test_migrate_refusal_exits_with_an_error(config: Config, db_url: str) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["migrate", str(config.root), "--db", db_url]).exit_code == 0
    engine = create_engine(db_url)
    with engine.begin() as conn:
        add_record(conn, build_schema(config.load()).table("case"), "S1C1G1", title="t",
                   detail="kept")
    engine.dispose()
    config.edit(lambda data: data["registers"]["case"]["fields"].pop())
    result = runner.invoke(main, ["migrate", str(config.root), "--db", db_url])
    assert result.exit_code == 1
    assert "REFUSED: drop column r_case.detail — 1 non-empty values would be lost" in result.output
