"""`gridwork switch list|set`: workflow switches for subtrees from the command line, as the
`/switches` page sets them (as a named user, with a reason, each change a history entry)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from .storage import DB_HELP, current_engine, deployment_or_exit


@click.group()
def switch() -> None:
    """List and set workflow switches for subtrees (an emergency mode for one county)."""


@switch.command("list")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--db", help=DB_HELP)
def list_(path: Path, db: str | None) -> None:
    """Print each switch as configured, then where it is set otherwise and why."""
    from ..storage import build_schema
    from ..workflow.switches import changes, settings

    deployment = deployment_or_exit(path)
    engine = current_engine(deployment, db)
    try:
        with engine.connect() as conn:
            schema = build_schema(deployment)
            found, latest = settings(conn, schema), changes(conn, schema, limit=10)
    finally:
        engine.dispose()
    for key, flow in deployment.workflows.items():
        for name, on in flow.switches.items():
            click.echo(f"{key}:{name} {'on' if on else 'off'} (config)")
    for s in found:
        click.echo(f"{s.workflow}:{s.name} {'on' if s.on else 'off'} at {s.node} "
                   f"since {s.at:%Y-%m-%d %H:%M} UTC by {s.by or '-'}: {s.reason}")
    if latest:
        click.echo("latest changes:")
    for c in latest:
        click.echo(f"  {c.at:%Y-%m-%d %H:%M} UTC {c.by or '-'} {c.workflow}:{c.name} at "
                   f"{c.node}: {'on' if c.was else 'off'} -> {'on' if c.on else 'off'} "
                   f"({c.reason})")


@switch.command("set")
@click.argument("path", type=click.Path(path_type=Path))
@click.argument("switch_name", metavar="WORKFLOW:SWITCH")
@click.argument("node")
@click.argument("state", type=click.Choice(["on", "off"]))
@click.option("--as", "username", required=True,
              help="The user making the change (their role must `can: switch` at NODE).")
@click.option("--reason", required=True, help="Why; kept in the history.")
@click.option("--db", help=DB_HELP)
def set_(path: Path, switch_name: str, node: str, state: str, username: str, reason: str,
         db: str | None) -> None:
    """Turn WORKFLOW:SWITCH on or off for the subtree at NODE (a node's code)."""
    from ..runtime import Runtime
    from ..workflow import Forbidden, Invalid, NotFound, load_user
    from ..workflow.switches import set_switch

    workflow, _, name = switch_name.partition(":")
    deployment = deployment_or_exit(path)
    engine = current_engine(deployment, db)
    runtime = Runtime.build(deployment)
    try:
        with engine.connect() as conn:
            try:
                user = load_user(conn, runtime.schema, username)
            except KeyError:
                click.echo(f"error: no user '{username}'", err=True)
                sys.exit(1)
        done = set_switch(engine, runtime, user, workflow, name, node, state == "on", reason,
                          clock=lambda: dt.datetime.now(dt.UTC))
    except (NotFound, Forbidden, Invalid) as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(1)
    finally:
        engine.dispose()
    click.echo(f"{workflow}:{name} {'on' if done.on else 'off'} at {node} "
               f"(was {'on' if done.was else 'off'})")
