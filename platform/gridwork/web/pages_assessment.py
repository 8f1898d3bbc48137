"""`/assessment`: a period's score sheets for the subjects in the viewer's scope, each
number linked to the records it counted; `/assessment/{subjects}/{key}`: one subject's
sheet across periods. Both need the `assess` permission."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ..assessment import PeriodError, parse_period, period_of
from ..assessment.metrics import DUTY_KINDS, RATIOS
from ..assessment.periods import Period
from ..assessment.subjects import spec_key
from ..assessment.view import Shown, in_scope, link, sheet_of
from ..auth import User, may
from .access import require
from .respond import page
from .site import Site

ASSESS = "assess"
TREND = 4
"""Periods a subject's own sheet shows, the chosen one included."""


def may_assess(site: Site, user: User | None) -> bool:
    """Whether the user may see score sheets (the navigation's link)."""
    return (user is not None and site.deployment.assessment is not None
            and may(site.deployment, user, ASSESS))


@dataclass
class Cell:
    """One number of a sheet, shown and linked to what it counted, with its target."""

    key: str
    text: str
    href: str | None
    met: bool | None = None
    target: str | None = None
    """The target as written (`>= 1`), when the metric has one."""


def guard(request: Request) -> tuple[Site, User]:
    site, user = require(request)
    if site.deployment.assessment is None:
        raise HTTPException(404)
    if not may(site.deployment, user, ASSESS):
        raise HTTPException(403)
    return site, user


def _choice(site: Site, request: Request) -> tuple[Period, str, str | None]:
    """The period and subject set asked for (defaults: the last ended period of the first
    kind, the first subject set), and what was wrong with the request."""
    assessment = site.deployment.assessment
    assert assessment is not None
    zone = site.runtime.zone
    default = period_of(assessment.periods[0], site.clock(), zone).previous()
    keys = [spec_key(s) for s in assessment.subjects]
    problem = None
    period = default
    text = request.query_params.get("period", "").strip()
    if text:
        try:
            period = parse_period(text, zone)
            if period.kind not in assessment.periods:
                raise PeriodError(site.t("This deployment does not assess by that period."))
        except PeriodError as err:
            period, problem = default, str(err)
    level = request.query_params.get("level", keys[0])
    if level not in keys:
        level, problem = keys[0], site.t("No such subjects.")
    return period, level, problem


def show(value: float | None, kind: str, signed: bool = False) -> str:
    """A metric as a sheet shows it: ratios as percentages, changes with their sign."""
    if value is None:
        return "—"
    sign = "+" if signed else ""
    if kind in RATIOS:
        return f"{value * 100:{sign}.1f}%"
    return f"{value:{sign}g}"


def _cells(site: Site, line: dict[str, Any], period: str, level: str) -> list[Cell]:
    assessment = site.deployment.assessment
    assert assessment is not None
    cells = []
    for key, metric in assessment.metrics.items():
        value = line["metrics"].get(key)
        href = None
        query = urlencode({"counted": link(period, level, line["subject"]["key"], key)})
        if metric.register_name is not None:
            href = f"/registers/{metric.register_name}?{query}"
        elif metric.kind in DUTY_KINDS and level != "departments":
            href = f"/duties?{query}"
        shown = metric
        if metric.kind == "change":
            shown = assessment.metrics[metric.metric or ""]
        cells.append(Cell(key, show(value, shown.kind, signed=metric.kind == "change"), href,
                          line.get("targets", {}).get(key),
                          None if metric.target is None else str(metric.target)))
    return cells


@dataclass
class Table:
    """A period's sheet of one subject set as the viewer may see it."""

    period: Period
    level: str
    problem: str | None
    shown: Shown
    rows: list[dict[str, Any]]


def sheet_table(site: Site, user: User, request: Request) -> Table:
    """The sheet asked for, its lines in the viewer's scope with their cells and the
    previous period's score beside."""
    period, level, problem = _choice(site, request)
    now = site.clock()
    with site.engine.connect() as conn:
        shown = sheet_of(conn, site.runtime, level, period, now)
        lines = in_scope(conn, site.runtime, user, shown.shape["subjects"])
        before = {line["subject"]["key"]: line["score"] for line in
                  sheet_of(conn, site.runtime, level, period.previous(), now).shape["subjects"]}
    rows = [{"line": line, "cells": _cells(site, line, period.key, level),
             "previous": before.get(line["subject"]["key"])} for line in lines]
    return Table(period, level, problem, shown, rows)


def subject_history(site: Site, user: User, request: Request) -> tuple[Period, str, str | None,
                                                                       list[dict[str, Any]]]:
    """One subject's lines over the last periods, newest first (404 when none is in the
    viewer's scope)."""
    assessment = site.deployment.assessment
    assert assessment is not None
    period, _level, problem = _choice(site, request)
    level = request.path_params["subjects"]
    key = request.path_params["key"]
    if level not in [spec_key(s) for s in assessment.subjects]:
        raise HTTPException(404)
    now = site.clock()
    history = []
    current = period
    with site.engine.connect() as conn:
        for _ in range(TREND):
            shown = sheet_of(conn, site.runtime, level, current, now)
            found = [line for line in in_scope(conn, site.runtime, user, shown.shape["subjects"])
                     if line["subject"]["key"] == key]
            if found:
                history.append({"period": current.key, "line": found[0], "shown": shown,
                                "cells": _cells(site, found[0], current.key, level)})
            current = current.previous()
    if not history:
        raise HTTPException(404)
    return period, level, problem, history


def metric_labels(site: Site) -> list[tuple[str, str]]:
    """(key, label) of every metric, in the config's order."""
    assessment = site.deployment.assessment
    assert assessment is not None
    return [(key, site.label(metric.label, key)) for key, metric in assessment.metrics.items()]


async def assessment_page(request: Request) -> Response:
    """The period's sheet of one subject set, with the previous period's score beside."""
    site, user = guard(request)
    assessment = site.deployment.assessment
    assert assessment is not None
    table = sheet_table(site, user, request)
    subject_sets = [(spec_key(s), _set_label(site, spec_key(s))) for s in assessment.subjects]
    return page(request, site, user, "assessment.html", period=table.period, level=table.level,
                problem=table.problem, shown=table.shown, rows=table.rows,
                metrics=metric_labels(site), subject_sets=subject_sets, kinds=assessment.periods,
                query=urlencode({"period": table.period.key, "level": table.level}))


async def subject_page(request: Request) -> Response:
    """One subject's lines over the last periods, each with its arithmetic."""
    site, user = guard(request)
    period, level, problem, history = subject_history(site, user, request)
    return page(request, site, user, "assessment-subject.html", period=period, level=level,
                problem=problem, history=history, metrics=metric_labels(site),
                subject=history[0]["line"]["subject"])


def _set_label(site: Site, key: str) -> str:
    d = site.deployment
    if key.startswith("level:"):
        level = next((x for x in d.hierarchy.levels if x.key == key[6:]), None)
        return site.label(level.label, key[6:]) if level else key
    if key.startswith("role:"):
        role = d.roles.get(key[5:])
        return site.label(role.label, key[5:]) if role else key
    return site.t("Departments")
