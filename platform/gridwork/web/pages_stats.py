"""The statistics page: one register's records in the user's scope counted by category,
node level, period and state, as a table, a chart and an Excel file of the same rows."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from ..storage.tabular import write_table
from . import overview
from .access import require, viewable
from .pages_list import EXPORT_TYPES
from .respond import page
from .site import Site

CHARTS = ("bar", "stacked", "line")


def _table(site: Site, rows: list[dict[str, Any]], by: tuple[str, ...]
           ) -> tuple[list[str], list[list[Any]]]:
    """The header and cells the page and the Excel file both show."""
    words = {"category": site.t("Category"), "node": site.t("Area"),
             "period": site.t("Period"), "state": site.t("State")}
    header = [words[k] for k in by] + [site.t("Records"), site.t("Overdue"),
                                       site.t("Closed"), site.t("On-time rate"),
                                       site.t("Median working hours")]
    cells = [[row[f"{k}_label"] for k in by] + [
        row["count"], row["overdue"], row["closed"],
        "" if row["on_time_rate"] is None else f"{100 * row['on_time_rate']:.1f}%",
        "" if row["median_working_hours"] is None else row["median_working_hours"]]
        for row in rows]
    return header, cells


def crosstab(rows: list[dict[str, Any]], by: tuple[str, ...]
             ) -> tuple[list[str], list[tuple[str, list[int], int]]] | None:
    """With two keys, the counts as a pivot: the second key's values across, the first's
    down, with row totals; None otherwise."""
    if len(by) != 2:
        return None
    down, across = by
    columns = list(dict.fromkeys(str(r[f"{across}_label"]) for r in rows))
    cells: dict[str, dict[str, int]] = {}
    for row in rows:
        line = cells.setdefault(str(row[f"{down}_label"]), {})
        line[str(row[f"{across}_label"])] = line.get(str(row[f"{across}_label"]), 0) + row["count"]
    return columns, [(name, [line.get(c, 0) for c in columns], sum(line.values()))
                     for name, line in cells.items()]


async def stats_page(request: Request) -> Response:
    """The form, the chart and the table; a bad choice is said above the form."""
    site, user = require(request)
    registers = viewable(site, user)
    error, rows, ask = "", [], None
    try:
        ask = overview.read_stats_query(site, user, request.query_params, registers)
        with site.engine.connect() as conn:
            rows = overview.stats_rows(conn, site, user, ask)
    except ValueError as exc:
        error = str(exc)
    header, cells = _table(site, rows, ask.by if ask else ())
    chart = request.query_params.get("chart", "bar")
    return page(request, site, user, "stats.html", error=error, ask=ask, header=header,
                cells=cells, rows=rows, pivot=crosstab(rows, ask.by) if ask else None,
                chart=chart if chart in CHARTS else "bar",
                registers=[(r, site.label(site.deployment.registers[r].label, r))
                           for r in registers],
                levels=[(lv.key, site.label(lv.label, lv.key))
                        for lv in site.deployment.hierarchy.levels],
                keys=overview.KEYS, periods=overview.PERIODS, charts=CHARTS,
                query=str(request.query_params), status=400 if error else 200)


async def stats_export(request: Request) -> Response:
    """The page's table as an Excel (or CSV) file."""
    kind = request.path_params["kind"]
    site, user = require(request)
    if kind not in EXPORT_TYPES:
        return Response(site.t("Not found"), 404)
    try:
        ask = overview.read_stats_query(site, user, request.query_params, viewable(site, user))
    except ValueError as exc:
        return Response(str(exc), 400)
    with site.engine.connect() as conn:
        rows = overview.stats_rows(conn, site, user, ask)
    header, cells = _table(site, rows, ask.by)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"stats.{kind}"
        write_table(path, header, cells)
        content = path.read_bytes()
    name = quote(f"{site.t('Statistics')}-{ask.register}.{kind}")
    return Response(content, media_type=EXPORT_TYPES[kind], headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{name}"})
