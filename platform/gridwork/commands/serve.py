"""`gridwork serve`: the web pages of one deployment on uvicorn, and (unless a Celery broker
is configured) the embedded timer loop: sweep and delivery every `timers.interval`.

With ``--workers N`` (PostgreSQL) uvicorn runs N web processes, each built by `worker_app`;
each has a timer thread, but only the one holding the timer lock (timers.leader) ticks."""

from __future__ import annotations

import logging
import os
import signal
import threading
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .storage import DB_HELP, current_engine, deployment_or_exit

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from starlette.applications import Starlette

    from ..runtime import Runtime
    from ..sweep.loop import TimerThread

PATH_ENV = "GRIDWORK_SERVE_PATH"
"""The deployment folder, handed to the web processes of `--workers N`."""


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--db", help=DB_HELP)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, help="Port to listen on.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1),
              help="Web processes (PostgreSQL only; SQLite is served by one); the timer "
                   "loop runs in exactly one of them.")
@click.option("--demo", is_flag=True,
              help="First run `gridwork seed --demo` when the database has no users yet.")
def serve(path: Path, db: str | None, host: str, port: int, workers: int,
          demo: bool) -> None:
    """Serve the deployment at PATH; refuses while the database is behind its config."""
    import uvicorn
    from sqlalchemy import func, select

    from ..runtime import Runtime
    from ..storage import database_url
    from ..storage.engine import normalized_url
    from ..demo.seed import seed_demo
    from ..web.app import create_app

    deployment = deployment_or_exit(path)
    url = database_url(deployment, db)
    if workers > 1 and normalized_url(url).get_backend_name() != "postgresql":
        click.echo("error: --workers needs PostgreSQL (--db postgresql://…): SQLite takes one "
                   "writer at a time, so a single process serves it best", err=True)
        sys.exit(1)
    engine = current_engine(deployment, db)
    runtime = Runtime.build(deployment)
    if demo:
        users = runtime.schema.system("users")
        with engine.connect() as conn:
            empty = conn.execute(select(func.count()).select_from(users)).scalar_one() == 0
        if empty:
            seed_demo(engine, deployment, echo=click.echo)
    click.echo(f"serving {deployment.about.name} on http://{host}:{port}/")
    if workers > 1:
        from ..storage.engine import ENV_VAR

        from ..web.sessions import secret_key

        engine.dispose()
        # Made here, once: N processes starting at once would each make their own.
        secret_key(deployment.root / deployment.about.data_dir)
        os.environ[PATH_ENV] = str(path.resolve())
        os.environ[ENV_VAR] = url
        uvicorn.run(f"{__name__}:worker_app", factory=True, workers=workers, host=host,
                    port=port, log_level="info")
        return
    timers = _timer_thread(engine, runtime)
    app = create_app(runtime, engine=engine)
    _reload_on_hangup(app, timers)
    try:
        uvicorn.run(app, host=host, port=port, log_level="info")
    finally:
        if timers is not None:
            timers.stop()
        engine.dispose()


def worker_app() -> Starlette:
    """The app of one web process of `gridwork serve --workers N` (a uvicorn factory: the
    deployment folder and database come from $GRIDWORK_SERVE_PATH and $GRIDWORK_DB)."""
    from ..web.app import create_app

    from ..runtime import Runtime

    runtime = Runtime.build(deployment_or_exit(Path(os.environ[PATH_ENV])))
    engine = current_engine(runtime.deployment, None)
    app = create_app(runtime, engine=engine)
    _reload_on_hangup(app, _timer_thread(engine, runtime))
    return app


def _reload_on_hangup(app: Starlette, timers: TimerThread | None) -> None:
    """Reload the folder on SIGHUP (in a thread: a signal handler must return at once), and
    hand the timer loop each runtime the site swaps to."""
    reloader = app.state.site.reloader
    if timers is not None:
        reloader.listeners.append(lambda runtime: setattr(timers, "runtime", runtime))
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, lambda *_: threading.Thread(
            target=reloader.reload, args=("SIGHUP",), daemon=True).start())


def _timer_thread(engine: Engine, runtime: Runtime) -> TimerThread | None:
    """Start the embedded timer loop, or say why this server leaves timers to the workers."""
    from ..sweep.leader import Leadership
    from ..sweep.loop import BROKER_ENV, TimerThread

    logger = logging.getLogger("gridwork")
    if not logger.handlers:  # what the timer loop did, beside uvicorn's own lines
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s:     %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    interval = runtime.deployment.about.timers.interval
    if os.environ.get(BROKER_ENV):
        click.echo(f"timers: {BROKER_ENV} is set, so `gridwork worker` sweeps timers and "
                   "delivers messages; this server does not")
        return None
    thread = TimerThread(engine, runtime, interval=interval.calendar_delta().total_seconds(),
                         leadership=Leadership(engine))
    thread.start()
    click.echo(f"timers: swept and messages delivered in-process every {interval} (by one "
               "process at a time when several serve the database)")
    return thread
