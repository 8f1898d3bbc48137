"""One duty pass of the sweep loop: generate the periods not generated yet, settle the
duties whose records are done, and mark the ones past due overdue."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Engine

from ..runtime import Runtime
from ..storage.writes import writing
from .fulfil import settle
from .generate import Generated, generate
from .misses import mark_overdue


@dataclass
class DutyPass:
    """What one pass did."""

    generated: list[Generated] = field(default_factory=list)
    settled: int = 0
    missed: int = 0

    @property
    def created(self) -> int:
        """Duties written by this pass."""
        return sum(g.created for g in self.generated)

    def __str__(self) -> str:
        return (f"created {self.created} duties, {self.settled} done, "
                f"{self.missed} missed")


def run_duties(engine: Engine, runtime: Runtime, *, now: dt.datetime) -> DutyPass:
    """Generate, settle and mark missed duties as of ``now``."""
    if not runtime.deployment.schedules:
        return DutyPass()
    done = DutyPass(generate(engine, runtime, now=now))
    with writing(engine) as conn:
        done.settled = settle(conn, runtime, now)
        done.missed = mark_overdue(conn, runtime, now)
    return done
