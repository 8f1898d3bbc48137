"""A sheet as people see it: the kept one once its period closed (else computed now, and
marked provisional), only the subjects in the viewer's scope, and the records behind
each number."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, select

from ..hierarchy import HasGrants, scope_filter
from ..runtime import Runtime
from .closing import grace_end
from ..config.models.outputs import Metric
from .metrics import DUTY_KINDS, counted_rows
from .periods import Period, parse_period
from .sheet import compute
from .store import latest
from .subjects import parse_spec, spec_key, subjects


@dataclass(frozen=True)
class Shown:
    """A sheet to show: its JSON shape, the kept revision (None: computed now) and
    whether its period is still open (or in its grace)."""

    shape: dict[str, Any]
    revision: int | None
    provisional: bool


def sheet_of(conn: Connection, runtime: Runtime, subjects_key: str, period: Period,
             now: dt.datetime) -> Shown:
    """The kept sheet of the period, or the sheet computed now when none is kept."""
    kept = latest(conn, runtime.schema, period.key, subjects_key)
    if kept is not None:
        return Shown(kept.shape, kept.revision, False)
    assessment = runtime.deployment.assessment
    assert assessment is not None
    subject = parse_spec(subjects_key, assessment.subjects)
    sheet = compute(conn, runtime.deployment, runtime.schema, subject, period, now)
    return Shown(sheet.shape(), None, now < grace_end(runtime, period))


def in_scope(conn: Connection, runtime: Runtime, user: HasGrants,
             lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The lines of subjects the user may see: those whose node lies in a subtree the
    user holds, and the user's own departments."""
    nodes = runtime.schema.system("nodes")
    seen = set(conn.execute(select(nodes.c.id).where(scope_filter(user, nodes))).scalars())
    departments = {grant.department for grant in user.grants if grant.department is not None}
    return [line for line in lines
            if line["subject"].get("node") in seen
            or (line["subject"]["kind"] == "department"
                and line["subject"]["id"] in departments)]


def counted_records(runtime: Runtime, counted: str, register: str) -> Select[Any] | None:
    """SELECT the ids of the records a sheet's number counted, from the `counted` link
    `PERIOD/SUBJECTS/KEY/METRIC` (e.g. `2026-Q4/level:grid/G01/on_time`); None when the
    link is malformed or the metric counts another register."""
    found = _counted(runtime, counted)
    if found is None or found[0].register_name != register:
        return None
    return found[1]


def counted_duties(runtime: Runtime, counted: str) -> Select[Any] | None:
    """SELECT the ids of the duties a sheet's coverage or misses counted, from its
    `counted` link; None when the link is malformed or the metric counts no duties."""
    found = _counted(runtime, counted)
    if found is None or found[0].kind not in DUTY_KINDS:
        return None
    return found[1]


def _counted(runtime: Runtime, counted: str) -> tuple[Metric, Select[Any]] | None:
    deployment = runtime.deployment
    assessment = deployment.assessment
    parts = counted.split("/")
    if assessment is None or len(parts) != 4:
        return None
    period_text, subjects_key, key, metric_key = parts
    metric = assessment.metrics.get(metric_key)
    if metric is None:
        return None
    try:
        period = parse_period(period_text, runtime.zone)
        subject = parse_spec(subjects_key, assessment.subjects)
    except ValueError:
        return None
    rows = counted_rows(deployment, runtime.schema, metric, subject, period)
    if rows is None:
        return None
    found = rows.subquery()
    return metric, select(found.c.record).where(
        found.c.subject == _subject_id(runtime, subject, key))


def _subject_id(runtime: Runtime, subject: Any, key: str) -> Any:
    schema = runtime.schema
    if subject.level is not None:
        table = schema.system("nodes")
        return select(table.c.id).where(table.c.code == key).scalar_subquery()
    if subject.role is not None:
        table = schema.system("users")
        return select(table.c.id).where(table.c.username == key).scalar_subquery()
    table = schema.system("departments")
    return select(table.c.id).where(table.c.code == key).scalar_subquery()


def link(period: str, subjects_key: str, key: str, metric: str) -> str:
    """The `counted` value of a number's link."""
    return f"{period}/{subjects_key}/{key}/{metric}"


__all__ = ["Shown", "counted_duties", "counted_records", "in_scope", "link", "sheet_of", "spec_key", "subjects"]
