"""The `gridwork assess` command."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click

from .storage import DB_HELP, current_engine, deployment_or_exit


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--db", help=DB_HELP)
@click.option("--period", "period_text", required=True, metavar="PERIOD",
              help="2026-11 (month), 2026-Q4, 2026-H2 or 2026.")
@click.option("--level", help="Score the nodes of this level (default: the first subjects "
                               "the config names).")
@click.option("--role", help="Score the users of this role.")
@click.option("--departments", is_flag=True, help="Score the departments.")
@click.option("--json", "as_json", is_flag=True, help="Print the sheet as JSON.")
@click.option("--recompute", is_flag=True,
              help="Compute the kept sheet again and show what changed since.")
@click.option("--save", is_flag=True, help="Keep what was computed as a new revision.")
@click.option("--now", "now_text", metavar="ISO8601", hidden=True,
              help="Compute as of this instant (time travel, for tests).")
def assess(path: Path, db: str | None, period_text: str, level: str | None, role: str | None,
           departments: bool, as_json: bool, recompute: bool, save: bool,
           now_text: str | None) -> None:
    """Print a period's score sheet: each subject's metrics, score, grade and rank.

    A closed period's kept sheet is printed as kept; --recompute computes it again from
    the data as it is now and lists the differences; --save keeps the result as a new
    revision (the old ones stay).
    """
    from ..assessment import CannotAssess, PeriodError, compute, parse_period, parse_spec
    from ..assessment.consequences import tell
    from ..assessment.store import differences, latest
    from ..assessment.store import save as keep
    from ..runtime import Runtime

    deployment = deployment_or_exit(path)
    assessment = deployment.assessment
    if assessment is None:
        raise click.ClickException(f"{deployment.about.name} has no 'assessment:' section")
    runtime = Runtime.build(deployment)
    try:
        period = parse_period(period_text, runtime.zone)
    except PeriodError as err:
        raise click.BadParameter(str(err), param_hint="--period") from err
    if period.kind not in assessment.periods:
        raise click.BadParameter(
            f"{deployment.about.name} assesses by {', '.join(assessment.periods)}, not "
            f"{period.kind.replace('_', ' ')}", param_hint="--period")
    chosen = [text for text in (level and f"level:{level}", role and f"role:{role}",
                                departments and "departments") if text]
    if len(chosen) > 1:
        raise click.UsageError("give one of --level, --role, --departments")
    try:
        subject = parse_spec(chosen[0], assessment.subjects) if chosen else assessment.subjects[0]
    except ValueError as err:
        raise click.BadParameter(str(err)) from err
    now = (dt.datetime.fromisoformat(now_text) if now_text else dt.datetime.now(dt.UTC))
    engine = current_engine(deployment, db)
    try:
        with engine.connect() as conn:
            kept = latest(conn, runtime.schema, period.key, _key(subject))
            sheet = None
            if kept is None or recompute or save:
                sheet = compute(conn, deployment, runtime.schema, subject, period, now)
        revision = None
        if save and sheet is not None:
            revision = keep(engine, runtime.schema, sheet,
                            then=lambda conn: tell(conn, runtime, sheet))
    except CannotAssess as err:
        raise click.ClickException(f"cannot assess {deployment.about.name}: {err}") from err
    finally:
        engine.dispose()
    shown = sheet.shape() if sheet is not None else dict(kept.shape)  # type: ignore[union-attr]
    changes = differences(kept.shape, shown) if kept is not None and sheet is not None else None
    if as_json:
        if changes is not None:
            shown = {**shown, "changes": changes}
        if revision is not None:
            shown = {**shown, "revision": revision}
        click.echo(json.dumps(shown, ensure_ascii=False, indent=2))
    else:
        _print(shown, runtime.locale)
        if changes is not None:
            click.echo(f"since revision {kept.revision}: "  # type: ignore[union-attr]
                       + ("no change" if not changes else f"{len(changes)} change(s)"))
            for line in changes:
                click.echo(f"  {line}")
    if revision is not None:
        click.echo(f"kept as revision {revision} of {period.key}", err=True)
    sys.exit(0)


def _key(subject: object) -> str:
    from ..assessment.subjects import spec_key

    return spec_key(subject)  # type: ignore[arg-type]


def _print(shape: dict[str, object], locale: str) -> None:
    click.echo(f"{shape['period']}  {shape.get('level', '')}  config {str(shape['config_version'])[:12]}  "
               f"computed {shape['computed_at']}")
    for line in shape["subjects"]:  # type: ignore[attr-defined]
        subject = line["subject"]
        score = "—" if line["score"] is None else f"{line['score']:g}"
        rank = "—" if line["rank"] is None else str(line["rank"])
        veto = "  VETO" if line["veto"] else ""
        follows = "".join(f"  → {label}" for label in line.get("consequences", ()))
        click.echo(f"  {subject['key']:<16} {subject['name']:<20} score {score:>8}  "
                   f"grade {line['grade'] or '—'}  rank {rank}{veto}{follows}")
