"""The `gridwork sweep` and `gridwork worker` commands."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import click

from .storage import DB_HELP, current_engine, deployment_or_exit

if TYPE_CHECKING:
    from ..sweep.sweep import Fired


def _instant(text: str | None, zone: ZoneInfo) -> dt.datetime:
    """``--now`` as an aware instant (a time without offset is on the deployment's clock)."""
    if text is None:
        return dt.datetime.now(dt.UTC)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError as err:
        raise click.BadParameter(f"'{text}' is not an ISO 8601 instant, e.g. "
                                 "2026-10-08T09:00+08:00", param_hint="--now") from err
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def describe(fired: Fired, zone: ZoneInfo) -> str:
    """One line: when it was due, the record, the timer and what it did."""
    what = fired.kind if fired.kind == "deadline" else f"{fired.kind} {(fired.step or 0) + 1}"
    done = "; ".join(f"{d.action}{_detail(d.detail, zone)}" for d in fired.done)
    due = _local(fired.due_at, zone)
    return f"{due}  {fired.register} #{fired.record}  {what} ({fired.state})  " + (
        done or "stale, skipped")


def _local(moment: dt.datetime | str, zone: ZoneInfo) -> str:
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _detail(detail: dict[str, Any], zone: ZoneInfo) -> str:
    """The few words of a history detail an operator needs."""
    if "recipients" in detail:
        to = ", ".join(f"{t['role']}@{t['node']}" if t["node"] else t["role"]
                       for t in detail["to"])
        return f" to {to or 'nobody'} ({len(detail['recipients'])} users)"
    if "from" in detail:
        before = next(iter(detail["from"].values()))
        after = next(value for key, value in detail.items() if key != "from")
        return f" {before} → {after}"
    if "supervision" in detail:
        return f" #{detail['supervision']} at {detail['level']}"
    if "next" in detail:
        return f", next at {_local(detail['next'], zone)}"
    return ""


@click.command("sweep")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--db", help=DB_HELP)
@click.option("--now", "now_text", metavar="ISO8601",
              help="Sweep as of this instant instead of now (time travel; without an offset "
                   "it is on the deployment's clock).")
@click.option("--batch", type=click.IntRange(min=1),
              help="Timers per transaction (default: 20000 on SQLite, 5000 on PostgreSQL).")
def sweep_command(path: Path, db: str | None, now_text: str | None, batch: int | None) -> None:
    """Fire every timer due now (or at --now) once, generate the duties of the periods that
    have begun, mark missed ones, and print what fired and what was created.

    For cron-based installations and for testing; `gridwork serve` and `gridwork worker`
    sweep by themselves every `timers.interval`.
    """
    from ..sweep.sweep import sweep

    from ..duties.run import run_duties
    from ..runtime import Runtime

    deployment = deployment_or_exit(path)
    runtime = Runtime.build(deployment)
    zone = runtime.zone
    now = _instant(now_text, zone)
    engine = current_engine(deployment, db)
    from ..assessment.closing import close_due

    try:
        report = sweep(engine, runtime, now=now, batch=batch)
        duties = run_duties(engine, runtime, now=now)
        kept = close_due(engine, runtime, now)
    finally:
        engine.dispose()
    for fired in (*report.fired, *report.skipped):
        click.echo(describe(fired, zone))
    for fired, error in report.failed:
        click.echo(f"{describe(fired, zone)}  FAILED: {error}", err=True)
    for made in duties.generated:
        click.echo(f"duties  {made.schedule} {made.period}: {made.created} created "
                   f"({made.unassigned} unassigned)")
    for sheet in kept:
        click.echo(f"kept the assessment sheet {sheet}")
    click.echo(str(report))
    if deployment.schedules:
        click.echo(str(duties))
    sys.exit(1 if report.failed else 0)


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--db", help=DB_HELP)
@click.option("--concurrency", default=2, show_default=True, help="Worker processes.")
def worker(path: Path, db: str | None, concurrency: int) -> None:
    """Run a Celery worker with its beat: sweep timers and deliver messages every
    `timers.interval`, on the broker in $GRIDWORK_BROKER_URL (Redis or RabbitMQ)."""
    from kombu.utils.url import maybe_sanitize_url

    from ..tasks import make_app
    from ..sweep.loop import BROKER_ENV

    deployment = deployment_or_exit(path)
    if not os.environ.get(BROKER_ENV):
        click.echo(f"error: set {BROKER_ENV} (e.g. redis://127.0.0.1:6379/0 or "
                   "amqp://guest@127.0.0.1//) to run a worker", err=True)
        sys.exit(1)
    current_engine(deployment, db).dispose()  # refuse early when the database is behind
    app = make_app(path, db)
    broker = maybe_sanitize_url(app.conf.broker_url)
    click.echo(f"worker for {deployment.about.name}: sweeping every "
               f"{deployment.about.timers.interval} on {broker}")
    app.worker_main(["worker", "--beat", "--loglevel=INFO", f"--concurrency={concurrency}",
                     "--without-gossip", "--without-mingle"])
