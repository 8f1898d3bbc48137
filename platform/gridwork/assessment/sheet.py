"""A score sheet: every subject's metrics for one period, its score with the arithmetic
behind it (score expression − deductions, veto, grade band) and its rank within its
parent node. The metrics come from SQL (`metrics`); what is done here is per subject."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from ..config import Deployment
from ..config.models.outputs import Assessment, Subject
from ..config.types import Label
from ..storage import Schema
from .consequences import follow
from .metrics import Value, changes, check_runnable, empty, values
from .periods import Period
from .subjects import Who, spec_key, subjects


@dataclass
class Line:
    """One subject's row of a sheet."""

    who: Who
    metrics: dict[str, float | None]
    counted: dict[str, int]
    """How many rows each metric was taken over (the records its link lists)."""
    deductions: float = 0.0
    veto: bool = False
    vetoes: list[str] = field(default_factory=list)
    score: float | None = None
    grade: str | None = None
    rank: int | None = None
    arithmetic: str = ""
    consequences: list[str] = field(default_factory=list)
    targets: dict[str, bool | None] = field(default_factory=dict)
    """Each metric that has a target: met, not met, or None (nothing counted to judge)."""

    def shape(self) -> dict[str, Any]:
        """The line as `gridwork assess --json` prints it."""
        return {"subject": self.who.shape(), "metrics": self.metrics,
                "deductions": self.deductions, "veto": self.veto, "score": self.score,
                "grade": self.grade, "rank": self.rank, "consequences": self.consequences,
                "targets": self.targets, "vetoes": self.vetoes, "counted": self.counted,
                "arithmetic": self.arithmetic}


@dataclass
class Sheet:
    """A period's sheet for one subject set."""

    period: Period
    subjects: str
    """The subject set: `level:grid`, `role:…`, `departments`."""
    config_version: str
    computed_at: dt.datetime
    lines: list[Line]

    def shape(self) -> dict[str, Any]:
        """The sheet as `gridwork assess --json` prints it."""
        return {"period": self.period.key, "level": self.subjects,
                "config_version": self.config_version,
                "computed_at": self.computed_at.isoformat(),
                "subjects": [line.shape() for line in self.lines]}


def compute(conn: Connection, deployment: Deployment, schema: Schema, subject: Subject,
            period: Period, now: dt.datetime) -> Sheet:
    """Compute the sheet of ``subject``'s set for ``period`` from the database as it is."""
    check_runnable(deployment, schema)
    assessment = deployment.assessment
    assert assessment is not None
    who = subjects(conn, schema, subject)
    found = {key: values(conn, deployment, schema, metric, subject, period)
             for key, metric in assessment.metrics.items() if metric.kind != "change"}
    before: dict[str, dict[int, Value]] = {}
    for key, metric in assessment.metrics.items():
        if metric.kind == "change":  # this period's base values are known already
            name = metric.metric or ""
            base = assessment.metrics[name]
            if name not in before:
                before[name] = values(conn, deployment, schema, base, subject, period.previous())
            found[key] = changes(base, found[name], before[name])
    lines = []
    for one in who:
        numbers = {key: (found[key][one.id].value if one.id in found[key]
                         else empty(assessment.metrics[key], deployment))
                   for key in assessment.metrics}
        counted = {key: (found[key][one.id].counted if one.id in found[key] else 0)
                   for key in assessment.metrics}
        lines.append(score_line(assessment, Line(one, numbers, counted), deployment.about.locale))
    rank(lines)
    sheet = Sheet(period, spec_key(subject), deployment.source_hash, now, lines)
    follow(conn, deployment, schema, sheet)
    return sheet


def score_line(assessment: Assessment, line: Line, locale: str) -> Line:
    """Fill in the line's deductions, vetoes, score, grade and arithmetic."""
    numbers = line.metrics
    line.targets = {key: metric.target.met(numbers.get(key))
                    for key, metric in assessment.metrics.items() if metric.target is not None}
    taken = []
    for deduction in assessment.deductions:
        units = numbers.get(deduction.per) or 0
        if units:
            taken.append(f"{deduction.points:g} × {units:g} {deduction.per}")
            line.deductions += deduction.points * units
    for veto in assessment.vetoes:
        if _holds(veto.when, numbers):
            line.vetoes.append(_label(veto.label, locale))
    line.veto = bool(line.vetoes)
    try:
        base = assessment.score.evaluate(numbers)
    except (TypeError, ZeroDivisionError):
        base = None  # a metric the score reads had nothing to count
    if base is None:
        line.arithmetic = f"{assessment.score.source.strip()} (a metric it reads is empty)"
        return line
    line.score = round(float(base) - line.deductions, 4)
    line.arithmetic = f"{assessment.score.source.strip()} = {float(base):g}" + "".join(
        f" − {t}" for t in taken) + f" = {line.score:g}"
    bands = sorted(assessment.grades, key=lambda g: float("-inf") if g.min is None else g.min)
    if bands:
        if line.veto:
            chosen = bands[0]
            line.arithmetic += f"; vetoed: {', '.join(line.vetoes)}"
        else:
            chosen = next((g for g in reversed(bands) if g.min is None or line.score >= g.min),
                          bands[0])
        line.grade = _label(chosen.label, locale)
    return line


def rank(lines: list[Line]) -> None:
    """Rank lines within their parent: highest score first, vetoed after the rest, ties
    sharing a rank; a line without a score has no rank."""
    groups: dict[str | None, list[Line]] = {}
    for line in lines:
        if line.score is not None:
            groups.setdefault(line.who.parent, []).append(line)
    for group in groups.values():
        group.sort(key=lambda one: (one.veto, -(one.score or 0.0)))
        previous: tuple[bool, float] | None = None
        for place, line in enumerate(group, start=1):
            key = (line.veto, line.score or 0.0)
            if key != previous:
                line.rank, previous = place, key
            else:
                line.rank = group[place - 2].rank


def _holds(expression: Any, numbers: dict[str, float | None]) -> bool:
    try:
        return bool(expression.evaluate(numbers))
    except TypeError:
        return False


def _label(label: Label, locale: str) -> str:
    return label.text(locale)
