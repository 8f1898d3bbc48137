"""The `gridwork duties` command: what each schedule would generate for a period, counted
without writing, so an administrator sees the volume before switching a schedule on."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .storage import DB_HELP, current_engine, deployment_or_exit


@click.command("duties")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--db", help=DB_HELP)
@click.option("--period", "period_key", metavar="KEY",
              help="The period to preview: 2026-12-03, 2026-W49, 2026-12, 2026-Q4, 2026-H2 or "
                   "2026 (each schedule takes its own period that begins there).")
@click.option("--now", "now_text", metavar="ISO8601",
              help="Preview the periods that contain this instant (default: now).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def duties(path: Path, db: str | None, period_key: str | None, now_text: str | None,
           as_json: bool) -> None:
    """Preview what every schedule would generate (entries, sampled, duties, unassigned)."""
    from ..duties.generate import preview
    from ..duties.periods import parse_period, period_at
    from ..config.sql import NotInSQL
    from ..runtime import Runtime
    from .sweep import _instant

    if period_key and now_text:
        raise click.UsageError("give --period or --now, not both")
    deployment = deployment_or_exit(path)
    runtime = Runtime.build(deployment)
    now = _instant(now_text, runtime.zone)
    engine = current_engine(deployment, db)
    found = []
    try:
        with engine.connect() as conn:
            for schedule in deployment.schedules:
                try:
                    period = (parse_period(schedule.period, period_key, runtime.calendar)
                              if period_key else period_at(schedule.period, now, runtime.calendar))
                except ValueError as err:
                    raise click.BadParameter(str(err), param_hint="--period") from err
                try:
                    found.append(preview(conn, runtime, schedule, period, now))
                except NotInSQL as err:
                    click.echo(f"error: schedule '{schedule.name}': {err}; write `where` with "
                               "==, !=, <, >, in, and, or, not over the register's fields",
                               err=True)
                    sys.exit(1)
    finally:
        engine.dispose()
    label = period_key or now.astimezone(runtime.zone).isoformat(timespec="minutes")
    if as_json:
        click.echo(json.dumps({"period": label,
                               "schedules": [g.as_json() for g in found]}, ensure_ascii=False))
        sys.exit(0)
    click.echo(f"{'schedule':<28} {'period':<11} {'entries':>8} {'sampled':>8} "
               f"{'duties':>8} {'unassigned':>10}")
    for g in found:
        click.echo(f"{g.schedule:<28} {g.period:<11} {g.entries:>8} {g.sampled:>8} "
                   f"{g.duties:>8} {g.unassigned:>10}")
    total = sum(g.unassigned for g in found)
    if total:
        click.echo(f"{total} duties would have nobody to do them: give the role to a user at "
                   "the node or an ancestor (`gridwork users staffing`)")
