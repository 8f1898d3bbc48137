"""The `gridwork` subcommands that touch the database: migrate, import, export, seed."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ..config import Deployment
    from ..exchange.importer import ImportFailed

DB_HELP = "Database URL (else $GRIDWORK_DB, else the SQLite file in the data folder)."


def deployment_or_exit(path: Path) -> Deployment:
    """Load the deployment or exit with its problems, as `gridwork check` prints them."""
    from ..config import ConfigError, load_deployment

    try:
        return load_deployment(path)
    except ConfigError as err:
        for problem in err.problems:
            click.echo(problem.format(), err=True)
        sys.exit(1)


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--db", help=DB_HELP)
@click.option("--plan", "plan_only", is_flag=True, help="Print the plan and change nothing.")
@click.option("--allow-destructive", is_flag=True,
              help="Apply changes that drop data, after saving that data to a CSV file.")
def migrate(path: Path, db: str | None, plan_only: bool, allow_destructive: bool) -> None:
    """Bring the database to the config at PATH, keeping every record.

    Prints the plan first. Additive changes and declared renames apply; changes that
    would lose data are refused unless --allow-destructive. All or nothing.
    """
    from ..storage import MigrationRefused, database_url
    from ..storage import migrate as run_migrate

    deployment = deployment_or_exit(path)
    try:
        run_migrate(database_url(deployment, db), deployment, plan_only=plan_only,
                    allow_destructive=allow_destructive, echo=click.echo)
    except MigrationRefused:
        sys.exit(1)


def current_engine(deployment: Deployment, db: str | None) -> Engine:
    """An engine on a database that matches the config, or exit saying what to run."""
    from ..storage import DatabaseBehind, database_url, ensure_current, make_engine

    engine = make_engine(database_url(deployment, db))
    try:
        ensure_current(engine, deployment)
    except DatabaseBehind as err:
        engine.dispose()
        click.echo(f"error: {err}", err=True)
        sys.exit(1)
    return engine


def _refuse_import(err: ImportFailed) -> NoReturn:
    """Print every problem of a refused import, then exit: nothing was saved."""
    for problem in err.problems:
        click.echo(problem, err=True)
    click.echo(f"nothing imported: {len(err.problems)} problem(s)", err=True)
    sys.exit(1)


def _not_a_register(deployment: Deployment, path: Path, name: str) -> str | None:
    """Say where nodes and users come from when a register of that name does not exist."""
    if name in deployment.registers:
        return None
    if name == "users":
        return ("error: 'users' is not a register; user accounts have their own commands: "
                f"gridwork users import {path} FILE, gridwork users export {path} FILE")
    if name != "nodes":
        return None
    source = deployment.hierarchy.nodes
    where = (f"edit or replace {path / source} (columns code, name, parent, level; save an "
             "Excel sheet as CSV)" if isinstance(source, str)
             else f"edit hierarchy.nodes in {path / 'deployment.yaml'}")
    return (f"error: nodes are not imported: the grid tree is part of the config. To change "
            f"it, {where}, then run gridwork check {path} and gridwork migrate {path}, which "
            "prints the plan (nodes added, renamed, moved) and keeps every record")


@click.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.argument("register")
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--db", help=DB_HELP)
def import_(path: Path, register: str, file: Path, db: str | None) -> None:
    """Import FILE (.csv or .xlsx) into REGISTER: every row valid, or nothing saved.

    Columns are matched by field name or label; a `node` column holds node codes.
    ODK Central's and KoboToolbox's CSV exports of a form from `gridwork forms export`
    import as they are. Each problem is printed as FILE:row N: FIELD: MESSAGE.
    """
    from ..exchange.importer import ImportFailed, import_file

    deployment = deployment_or_exit(path)
    refusal = _not_a_register(deployment, path, register)
    if refusal:
        click.echo(refusal, err=True)
        sys.exit(1)
    engine = current_engine(deployment, db)
    try:
        count = import_file(engine, deployment, register, file)
    except ImportFailed as err:
        _refuse_import(err)
    finally:
        engine.dispose()
    click.echo(f"imported {count} records into {register}")


@click.command("export")
@click.argument("path", type=click.Path(path_type=Path))
@click.argument("register")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--db", help=DB_HELP)
@click.option("--raw", is_flag=True,
              help="Keys and codes instead of labels: the shape `gridwork import` reads back.")
@click.option("--url", "base_url", default="", metavar="URL",
              help="The site's address, to make photo links absolute (e.g. https://grid.example).")
def export(path: Path, register: str, file: Path, db: str | None, raw: bool,
           base_url: str) -> None:
    """Export REGISTER's records to FILE (.csv or .xlsx): with the labels of the
    deployment's language and photos as links, or with --raw as import reads them."""
    from ..web.exporter import export_file
    from ..storage.tabular import TableFileError

    deployment = deployment_or_exit(path)
    refusal = _not_a_register(deployment, path, register)
    if refusal:
        click.echo(refusal, err=True)
        sys.exit(1)
    if register not in deployment.registers:
        click.echo(f"error: unknown register '{register}'; the deployment has "
                   + ", ".join(deployment.registers), err=True)
        sys.exit(1)
    engine = current_engine(deployment, db)
    try:
        count = export_file(engine, deployment, register, file, raw=raw, base_url=base_url)
    except TableFileError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(1)
    finally:
        engine.dispose()
    click.echo(f"exported {count} records of {register} to {file}")


@click.group()
def users() -> None:
    """Import and export user accounts and their roles (CSV or XLSX).

    Columns: username (required), name, password, role (key or label), node (territorial
    roles) or department (departmental roles), scope, active, phone, email. Several rows
    of one username give several grants.
    """


@users.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--db", help=DB_HELP)
@click.option("--passwords", type=click.Path(path_type=Path, dir_okay=False),
              help="File for the initial passwords of new users given none "
                   "(default: FILE's name + .passwords.csv, beside it).")
def users_import(path: Path, file: Path, db: str | None, passwords: Path | None) -> None:
    """Create or update the users in FILE: every row valid, or nothing saved.

    Grants in FILE replace those of the users it names. A blank password keeps a user's
    password; a new user without one gets a random password, written only to a new
    file readable by you alone.
    """
    from ..exchange.importer import ImportFailed
    from ..exchange.users import import_users

    deployment = deployment_or_exit(path)
    engine = current_engine(deployment, db)
    try:
        done = import_users(engine, deployment, file, passwords=passwords)
    except ImportFailed as err:
        _refuse_import(err)
    finally:
        engine.dispose()
    click.echo(f"{file.name}: {len(done.created)} new, {len(done.updated)} updated, "
               f"{len(done.unchanged)} unchanged")
    if done.created:
        click.echo("  new: " + ", ".join(done.created))
    for username, changes in done.updated.items():
        click.echo(f"  updated {username}: {', '.join(changes)}")
    if done.passwords:
        click.echo(f"initial passwords of new users written to {done.passwords}; hand them "
                   "out, then delete the file")
    _report_short(done.short)


def _report_short(short: list[Any], shown: int = 20) -> None:
    """Say which nodes have too few users of a role (the first ``shown``, then a count)."""
    if not short:
        return
    click.echo(f"warning: {len(short)} node(s) or department(s) have too few users "
               "(`gridwork users staffing` lists all):", err=True)
    for found in short[:shown]:
        click.echo(f"  {found.describe()}", err=True)
    if len(short) > shown:
        click.echo(f"  … and {len(short) - shown} more", err=True)


@users.command("staffing")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--db", help=DB_HELP)
def users_staffing(path: Path, db: str | None) -> None:
    """List every node (department) with fewer or more active users of a role than its
    `min_per_node` / `max_per_node`; exit 1 when there is any."""
    from ..storage.schema import build_schema
    from ..storage.staffing import out_of_bounds

    deployment = deployment_or_exit(path)
    engine = current_engine(deployment, db)
    try:
        with engine.connect() as conn:
            found = out_of_bounds(conn, deployment, build_schema(deployment))
    finally:
        engine.dispose()
    for item in found:
        click.echo(item.describe())
    bounded = [k for k, r in deployment.roles.items()
               if r.min_per_node is not None or r.max_per_node is not None]
    if not bounded:
        click.echo("no role sets min_per_node or max_per_node", err=True)
    elif not found:
        click.echo("every node is staffed as its roles require", err=True)
    sys.exit(1 if found else 0)


@users.command("export")
@click.argument("path", type=click.Path(path_type=Path))
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--db", help=DB_HELP)
def users_export(path: Path, file: Path, db: str | None) -> None:
    """Export every user, one row per role grant, to FILE; no passwords or hashes."""
    from ..storage.tabular import TableFileError
    from ..exchange.users import export_users

    deployment = deployment_or_exit(path)
    engine = current_engine(deployment, db)
    try:
        count = export_users(engine, deployment, file)
    except TableFileError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(1)
    finally:
        engine.dispose()
    click.echo(f"exported {count} users to {file}")


@users.command("sessions")
@click.argument("path", type=click.Path(path_type=Path))
@click.argument("username")
@click.option("--db", help=DB_HELP)
@click.option("--revoke", is_flag=True, help="Sign the user out everywhere now.")
def users_sessions(path: Path, username: str, db: str | None, revoke: bool) -> None:
    """List USERNAME's browser sessions, or with --revoke end every one still open."""
    import datetime as dt

    from sqlalchemy import select

    from ..storage import build_schema
    from ..storage import sessions as stored

    deployment = deployment_or_exit(path)
    engine = current_engine(deployment, db)
    schema = build_schema(deployment)
    users = schema.system("users")
    try:
        with engine.begin() as conn:
            user_id = conn.execute(select(users.c.id).where(users.c.username == username)
                                   ).scalar()
            if user_id is None:
                click.echo(f"error: no user '{username}'", err=True)
                sys.exit(1)
            now, limits = dt.datetime.now(dt.UTC), deployment.about.sessions
            if revoke:
                ended = stored.end_for_user(conn, schema, user_id, now, stored.REVOKED)
                click.echo(f"{username}: {ended} session(s) ended")
                return
            for row in stored.listed(conn, schema, user_id):
                timed_out = (now - row.created_at >= limits.absolute.calendar_delta()
                             or now - row.seen_at >= limits.idle.calendar_delta())
                status = ("timed out" if timed_out else "open") if row.ended_at is None else (
                    f"ended {row.ended_at:%Y-%m-%d %H:%M} ({row.ended_why})")
                click.echo(f"{row.id}\tsigned in {row.created_at:%Y-%m-%d %H:%M}\t"
                           f"last seen {row.seen_at:%Y-%m-%d %H:%M}\t{status}")
    finally:
        engine.dispose()


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--demo", is_flag=True, required=True,
              help="Create demo users (password 'demo') and demo records.")
@click.option("--db", help=DB_HELP)
@click.option("--records", default=3000, show_default=True, help="About how many records.")
@click.option("--seed", "seed_value", default=0, show_default=True,
              help="Random seed: the same seed gives the same data.")
def seed(path: Path, demo: bool, db: str | None, records: int, seed_value: int) -> None:
    """Fill the database with realistic demo data driven only by the config at PATH.

    One user per role, named as the role key with password `demo`, all on the branch
    from the root to the first grid; records spread over the tree, in every state.
    """
    from ..storage.schema import build_schema
    from ..demo.seed import seed_demo
    from ..storage.staffing import out_of_bounds

    deployment = deployment_or_exit(path)
    engine = current_engine(deployment, db)
    try:
        seed_demo(engine, deployment, records=records, seed=seed_value, echo=click.echo)
        with engine.connect() as conn:
            _report_short([found for found in out_of_bounds(conn, deployment,
                                                            build_schema(deployment))
                           if found.short])
    finally:
        engine.dispose()
