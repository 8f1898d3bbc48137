"""Closing periods: once a period has ended and its grace (for late feedback) has passed,
its sheets are computed and kept — once, whichever process gets there first — and the
consequences on them are sent as notices in the same transaction."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from ..runtime import Runtime
from .consequences import tell
from .metrics import CannotAssess, check_runnable
from .periods import Period, period_of
from .sheet import compute
from .store import latest, save
from .subjects import spec_key


def grace_end(runtime: Runtime, period: Period) -> dt.datetime:
    """When ``period``'s grace ends and its sheet is closed."""
    assessment = runtime.deployment.assessment
    if assessment is None or assessment.grace is None:
        return period.end
    return runtime.calendar.add(period.end, assessment.grace)


def close_due(engine: Engine, runtime: Runtime, now: dt.datetime) -> list[str]:
    """Keep the sheets of the last ended period of each kind whose grace has passed and
    that none is kept for; return `period subjects` of each kept now. A deployment whose
    metrics cannot run keeps nothing (`gridwork assess` says why)."""
    deployment, schema = runtime.deployment, runtime.schema
    assessment = deployment.assessment
    if assessment is None:
        return []
    try:
        check_runnable(deployment, schema)
    except CannotAssess:
        return []
    kept = []
    for kind in assessment.periods:
        period = period_of(kind, now, runtime.zone).previous()
        if now < grace_end(runtime, period):
            continue
        for subject in assessment.subjects:
            key = spec_key(subject)
            with engine.connect() as conn:
                if latest(conn, schema, period.key, key) is not None:
                    continue
                sheet = compute(conn, deployment, schema, subject, period, now)
            if save(engine, schema, sheet, first_only=True,
                    then=lambda conn, kept=sheet: tell(conn, runtime, kept)) is not None:
                kept.append(f"{period.key} {key}")
    return kept
