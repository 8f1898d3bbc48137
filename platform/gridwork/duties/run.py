"""One duty pass of the sweep loop: generate the periods not generated yet, drop what
removed schedules asked, settle the duties whose records are done, mark the ones past due
overdue and move the overdue ones up their ladders."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Engine, select

from ..runtime import Runtime
from ..storage.writes import writing
from .fulfil import OPEN_STATES, drop_unscheduled, settle
from .generate import Generated, generate
from .misses import climb, mark_overdue


@dataclass
class DutyPass:
    """What one pass did."""

    generated: list[Generated] = field(default_factory=list)
    settled: int = 0
    missed: int = 0
    dropped: int = 0
    climbed: int = 0

    @property
    def created(self) -> int:
        """Duties written by this pass."""
        return sum(g.created for g in self.generated)

    def __str__(self) -> str:
        return (f"created {self.created} duties, {self.settled} done, "
                f"{self.missed} missed" + (f", {self.dropped} dropped" if self.dropped else "")
                + (f", {self.climbed} escalated" if self.climbed else ""))


def run_duties(engine: Engine, runtime: Runtime, *, now: dt.datetime) -> DutyPass:
    """Generate, settle and mark missed duties as of ``now``."""
    done = DutyPass(generate(engine, runtime, now=now))
    duties = runtime.schema.system("duties")
    with engine.connect() as conn:
        waiting = conn.execute(select(duties.c.id).where(
            duties.c.state.in_(OPEN_STATES)).limit(1)).first()
    if waiting is None:  # nothing to settle, drop or miss: no write lock taken
        return done
    with writing(engine) as conn:
        done.dropped = drop_unscheduled(conn, runtime)
        done.settled = settle(conn, runtime, now)
        done.missed = mark_overdue(conn, runtime, now)
        done.climbed = climb(conn, runtime, now)
    return done
