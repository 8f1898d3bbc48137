"""`gridwork serve`: the web pages of one deployment on uvicorn, and (unless a Celery broker
is configured) the embedded timer loop: sweep and delivery every `timers.interval`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..storage.commands import DB_HELP, current_engine, deployment_or_exit

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ..config import Deployment
    from ..timers.loop import TimerThread


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--db", help=DB_HELP)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, help="Port to listen on.")
@click.option("--demo", is_flag=True,
              help="First run `gridwork seed --demo` when the database has no users yet.")
def serve(path: Path, db: str | None, host: str, port: int, demo: bool) -> None:
    """Serve the deployment at PATH; refuses while the database is behind its config."""
    import uvicorn
    from sqlalchemy import func, select

    from ..storage import build_schema
    from ..storage.seed import seed_demo
    from .app import create_app

    deployment = deployment_or_exit(path)
    engine = current_engine(deployment, db)
    if demo:
        users = build_schema(deployment).system("users")
        with engine.connect() as conn:
            empty = conn.execute(select(func.count()).select_from(users)).scalar_one() == 0
        if empty:
            seed_demo(engine, deployment, echo=click.echo)
    timers = _timer_thread(engine, deployment)
    click.echo(f"serving {deployment.deployment.name} on http://{host}:{port}/")
    try:
        uvicorn.run(create_app(deployment, engine=engine), host=host, port=port,
                    log_level="info")
    finally:
        if timers is not None:
            timers.stop()
        engine.dispose()


def _timer_thread(engine: Engine, deployment: Deployment) -> TimerThread | None:
    """Start the embedded timer loop, or say why this server leaves timers to the workers."""
    from ..timers.loop import BROKER_ENV, TimerThread

    interval = deployment.deployment.timers.interval
    if os.environ.get(BROKER_ENV):
        click.echo(f"timers: {BROKER_ENV} is set, so `gridwork worker` sweeps timers and "
                   "delivers messages; this server does not")
        return None
    thread = TimerThread(engine, deployment, interval=interval.calendar_delta().total_seconds())
    thread.start()
    click.echo(f"timers: swept and messages delivered in-process every {interval}")
    return thread
