"""One tick of the timer loop (sweep, then deliver what is due) and the embedded thread that
runs it every ``timers.interval`` inside `gridwork serve`. Celery's tasks call the same
functions (gridwork.tasks)."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from sqlalchemy import Engine

from ..assessment.closing import close_due
from ..duties.run import DutyPass, run_duties
from ..notify.delivery import Counts, deliver_pending
from ..clock import Clock, utc_now
from ..runtime import Runtime
from .leader import Leadership
from .sweep import SweepReport, sweep

log = logging.getLogger(__name__)

BROKER_ENV = "GRIDWORK_BROKER_URL"
"""Where the Celery broker is; when set, `gridwork worker` sweeps and `gridwork serve` not."""

def deliver_due(engine: Engine, runtime: Runtime, *, clock: Clock,
                batch: int = 100) -> Counts:
    """Deliver every message due now, batch after batch, and return the totals."""
    total = Counts()
    while True:
        counts = deliver_pending(engine, runtime, clock=clock, batch=batch)
        total.add(counts)
        if counts.handled < batch:
            return total


@dataclass(frozen=True)
class Tick:
    """What one tick did."""

    swept: SweepReport
    delivered: Counts
    duties: DutyPass
    closed: tuple[str, ...] = ()
    """The assessment sheets kept (`period subjects`) as their periods closed."""


def tick(engine: Engine, runtime: Runtime, *, clock: Clock = utc_now) -> Tick:
    """Fire the timers due now, generate, settle and mark missed duties, deliver the
    messages due (theirs included), then keep the sheets of assessment periods that
    closed."""
    now = clock()
    swept = sweep(engine, runtime, now=now, details=False)
    duties = run_duties(engine, runtime, now=now)
    delivered = deliver_due(engine, runtime, clock=clock)
    return Tick(swept, delivered, duties, tuple(close_due(engine, runtime, now)))


class TimerThread:
    """Run ``tick`` every ``interval`` seconds in a daemon thread until ``stop`` — only
    while ``leadership`` (when given) says this process is the one to."""

    def __init__(self, engine: Engine, runtime: Runtime, *, interval: float,
                 clock: Clock = utc_now, leadership: Leadership | None = None) -> None:
        self.engine, self.runtime, self.interval = engine, runtime, interval
        self.clock, self.leadership = clock, leadership
        self.ticks = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="gridwork-timers", daemon=True)

    def start(self) -> None:
        """Start ticking (the first tick at once)."""
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the thread to stop and wait for a tick in progress to finish."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        if self.leadership is not None:
            self.leadership.release()

    @property
    def running(self) -> bool:
        """Whether the thread is alive."""
        return self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self.leadership is None or self.leadership.held():
                    done = tick(self.engine, self.runtime, clock=self.clock)
                    if (done.swept.fired_count or done.delivered.handled
                            or done.duties.created or done.duties.missed):
                        log.info("timers: %s; duties: %s; messages: %s", done.swept,
                                 done.duties, done.delivered)
                    if done.closed:
                        log.info("assessment sheets kept: %s", ", ".join(done.closed))
            except Exception:  # noqa: BLE001 - the loop outlives a failed tick; it retries
                log.exception("timer tick failed; retrying in %s s", self.interval)
            self.ticks += 1
            self._stop.wait(self.interval)
