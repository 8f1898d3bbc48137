"""Celery app and tasks for scale-out: beat sends `gridwork.sweep` and `gridwork.deliver`
every ``timers.interval``; workers run the same functions `gridwork serve` runs in its
embedded loop. Like a web view, a task only finds its deployment and database and calls
the domain function: deadlines are rows, never Celery ETA tasks.

The broker comes from ``GRIDWORK_BROKER_URL`` (``redis://…`` or ``amqp://…``). A worker
process loads its deployment and opens its engine on first use (after the fork), and
before each task swaps to the configuration a server applied since, when it may.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from celery import Celery  # type: ignore[import-untyped]

from .sweep.loop import BROKER_ENV

PATH_ENV = "GRIDWORK_DEPLOYMENT"
"""The deployment folder the workers serve (set by `gridwork worker`)."""
DB_ENV = "GRIDWORK_DB"

app = Celery("gridwork")
app.conf.update(
    broker_url=os.environ.get(BROKER_ENV),
    broker_connection_retry_on_startup=True,
    task_ignore_result=True,
    worker_hijack_root_logger=False,
    timezone="UTC",
)

_LOADED: dict[str, Any] = {}


def _world() -> tuple[Any, Any]:
    """This process's runtime and engine, built on first use (after the fork); the runtime
    follows the configuration a server applied since (`reconfigure.Follower`)."""
    if "engine" not in _LOADED:
        from .config import load_deployment
        from .reconfigure import Follower
        from .runtime import Runtime
        from .storage import database_url, make_engine

        folder = Path(os.environ[PATH_ENV])
        deployment = load_deployment(folder)
        _LOADED["follower"] = Follower(folder, Runtime.build(deployment))
        _LOADED["engine"] = make_engine(database_url(deployment, os.environ.get(DB_ENV)))
    engine = _LOADED["engine"]
    return _LOADED["follower"].follow(engine), engine


def _clock(now: str | None) -> dt.datetime:
    return dt.datetime.fromisoformat(now) if now else dt.datetime.now(dt.UTC)


@app.task(name="gridwork.sweep")
def sweep_task(now: str | None = None) -> dict[str, int]:
    """Fire the timers due now (or at ``now``, an ISO 8601 instant with offset), run the
    duty pass (generate, settle, mark missed), then keep the sheets of assessment periods
    that closed."""
    from .assessment.closing import close_due
    from .duties.run import run_duties
    from .sweep.sweep import sweep

    runtime, engine = _world()
    instant = _clock(now)
    report = sweep(engine, runtime, now=instant, details=False)
    duties = run_duties(engine, runtime, now=instant)
    kept = close_due(engine, runtime, instant)
    return {"fired": report.fired_count, "skipped": len(report.skipped),
            "failed": len(report.failed), "duties_created": duties.created,
            "duties_done": duties.settled, "duties_missed": duties.missed,
            "sheets": len(kept)}


@app.task(name="gridwork.deliver")
def deliver_task(now: str | None = None) -> dict[str, int]:
    """Deliver the messages due now."""
    from .clock import utc_now
    from .sweep.loop import deliver_due

    runtime, engine = _world()
    instant = _clock(now)
    counts = deliver_due(engine, runtime, clock=(lambda: instant) if now else utc_now)
    return {"sent": counts.sent, "retrying": counts.retrying, "failed": counts.failed}


def make_app(path: Path, db: str | None) -> Celery:
    """Configure the app for the deployment at ``path``: broker, and a beat schedule of
    both tasks every ``timers.interval`` (a tick not taken within it is dropped)."""
    from .config import load_deployment

    deployment = load_deployment(path)
    os.environ[PATH_ENV] = str(Path(path).resolve())
    if db:
        os.environ[DB_ENV] = db
    seconds = deployment.about.timers.interval.calendar_delta().total_seconds()
    data = deployment.root / deployment.about.data_dir
    data.mkdir(parents=True, exist_ok=True)
    app.conf.update(
        broker_url=os.environ[BROKER_ENV],
        beat_schedule_filename=str(data / "celerybeat-schedule"),
        beat_schedule={
            name: {"task": f"gridwork.{name}", "schedule": seconds,
                   "options": {"expires": seconds}}
            for name in ("sweep", "deliver")
        },
    )
    return app
