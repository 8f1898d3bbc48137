"""`gridwork migrate`: plan every change in plain words, refuse what loses data, then apply."""

from __future__ import annotations

import datetime as dt
import getpass
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import Engine

from ..config import Deployment
from .checks import check_steps
from .departments import department_steps
from .diff import schema_steps
from .engine import make_engine, shown_url
from .history_kinds import history_steps
from .plan import Migrator, Plan, Step
from .renames import apply_renames
from .schema import Schema, build_schema
from .tree import tree_steps
from .version import applied_hash, record_version


class MigrationRefused(RuntimeError):
    """The plan would lose data (or cannot apply); nothing was changed."""


@dataclass
class MigrationResult:
    """What a migration did: its plan lines, whether it applied, and files of saved data."""

    lines: list[str]
    applied: bool
    exports: list[Path] = field(default_factory=list)


def export_dir(deployment: Deployment) -> Path:
    """Where data a migration drops is saved first."""
    return deployment.root / deployment.about.data_dir / "exports"


def migrate(url_or_engine: str | Engine, deployment: Deployment, *, plan_only: bool = False,
            allow_destructive: bool = False, echo: Callable[[str], None] = print,
            now: dt.datetime | None = None, schema: Schema | None = None,
            applied_by: str | None = None) -> MigrationResult:
    """Bring the database to ``deployment``'s config in one transaction, or change nothing.

    Raises MigrationRefused, after printing the plan, when a step would lose data and
    ``allow_destructive`` is not set, or when a step cannot apply at all. The version it
    records names ``applied_by`` (default: the account running it).
    """
    schema = schema or build_schema(deployment)
    now = now or dt.datetime.now(dt.UTC)
    # SQLite rebuilds altered tables by copying them, which foreign keys would block;
    # they are checked as a whole before committing instead.
    url = url_or_engine.url if isinstance(url_or_engine, Engine) else url_or_engine
    engine = make_engine(url, foreign_keys=False)
    try:
        with engine.connect() as conn:
            trans = conn.begin()
            context = MigrationContext.configure(conn, opts={
                "compare_type": True, "target_metadata": schema.metadata,
                "include_name": lambda name, kind, _parent: kind != "table" or schema.owns(name),
            })
            m = Migrator(conn, Operations(context), schema, now, export_dir(deployment), echo)
            plan = Plan()
            plan.add(*apply_renames(conn, m.ops, schema))
            steps, retyped = schema_steps(conn, context, schema)
            drop_rules, add_rules = check_steps(conn, schema, retyped)
            plan.add(*drop_rules, *steps, *add_rules)
            plan.add(*tree_steps(conn, schema), *department_steps(conn, schema),
                     *history_steps(conn, schema))
            current = applied_hash(conn, schema) == deployment.source_hash
            lines = [line for line in plan.lines(allow_destructive) if line.strip()]
            _show(echo, engine, deployment, lines, current)
            refused = plan.refused(allow_destructive)
            if refused:
                trans.rollback()
                echo(_refusal(refused))
                raise MigrationRefused(_refusal(refused))
            if plan_only or (current and not lines):
                trans.rollback()
                return MigrationResult(lines, applied=False)
            exports = []
            for step in plan.steps:
                if step.loss and step.export is not None:
                    path, rows = step.export.write(conn, m.export_dir, now)
                    echo(f"saved {rows} rows of {step.export.table} to {path}")
                    exports.append(path)
                if step.run is not None:
                    step.run(m)
            _check_foreign_keys(m)
            record_version(conn, schema, now, applied_by or _account())
            trans.commit()
            echo(f"migrated: the database now matches config {deployment.source_hash[:12]}")
            return MigrationResult(lines, applied=True, exports=exports)
    finally:
        engine.dispose()


def _account() -> str | None:
    """The operating-system account running the command, when it can be told."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


def _show(echo: Callable[[str], None], engine: Engine, deployment: Deployment,
          lines: list[str], current: bool) -> None:
    echo(f"database {shown_url(engine)}, config {deployment.source_hash[:12]}:")
    if not lines:
        echo("  nothing to change" + ("" if current else "; recording the config version"))
    for line in lines:
        echo(f"  {line}")


def _refusal(refused: list[Step]) -> str:
    blocked = [s for s in refused if s.blocked]
    if blocked:
        return (f"nothing changed: {len(blocked)} change(s) cannot apply as they stand "
                "(see CANNOT above)")
    return (f"nothing changed: {len(refused)} change(s) would lose data; run again with "
            "--allow-destructive to save that data to a CSV file and apply them")


def _check_foreign_keys(m: Migrator) -> None:
    if not m.sqlite:
        return
    broken = m.conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        tables = sorted({row[0] for row in broken})
        raise MigrationRefused(f"the migration would leave {len(broken)} rows pointing at "
                               f"records that no longer exist (in {', '.join(tables)}); "
                               "nothing changed")
