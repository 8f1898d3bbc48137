"""`gridwork preview PATH`: what applying the edited folder at PATH would do to live data."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .storage import DB_HELP, deployment_or_exit


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--db", help=DB_HELP)
@click.option("--from", "running", type=click.Path(path_type=Path), default=None,
              help="The folder the database runs, for a database that keeps no copy of it "
                   "(migrated by an older gridwork).")
@click.option("--json", "as_json", is_flag=True, help="Print the preview as JSON.")
def preview(path: Path, db: str | None, running: Path | None, as_json: bool) -> None:
    """Compare the configuration the database runs with the edited folder at PATH and list
    what the change would do: deadlines that move, records in removed states, schedules
    added or removed and the duties of their current period, users who gain or lose
    access, score sheets of the current period that would change, migration steps
    pending. Nothing is changed."""
    from ..storage import database_url, make_engine
    from ..tools.preview import preview as run_preview
    from ..tools.preview import report

    edited = deployment_or_exit(path)
    engine = make_engine(database_url(edited, db))
    try:
        found = run_preview(engine, edited, running_folder=running)
    finally:
        engine.dispose()
    if as_json:
        click.echo(json.dumps(found.as_json(), ensure_ascii=False, indent=2))
    else:
        for line in report(found):
            click.echo(line)
