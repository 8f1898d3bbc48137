"""Score sheets as Excel (or CSV) files: the period's table and one subject's sheet, with
the numbers as the pages show them and each score's arithmetic. Text is written as text,
never as a formula, whatever it begins with."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ..storage.tabular import write_table
from .pages_assessment import Cell, guard, metric_labels, sheet_table, subject_history
from .pages_list import EXPORT_TYPES
from .site import Site


def _met(site: Site, cell: Cell) -> str:
    if cell.met is None:
        return "—"
    return site.t("Target met") if cell.met else site.t("Target not met")


def _score(value: float | None) -> float | str:
    return "—" if value is None else value


def _number(cell: Cell, line: dict[str, Any]) -> float | str:
    """A metric as a number a spreadsheet can add up; a share as the page shows it."""
    value = line["metrics"].get(cell.key)
    return cell.text if value is None or cell.text.endswith("%") else value


def _targeted(cells: list[Cell]) -> list[Cell]:
    return [cell for cell in cells if cell.target is not None]


async def assessment_export(request: Request) -> Response:
    """The period's table: a row per subject in the viewer's scope."""
    kind = request.path_params["kind"]
    if kind not in EXPORT_TYPES:
        raise HTTPException(404)
    site, user = guard(request)
    table = sheet_table(site, user, request)
    labels = dict(metric_labels(site))
    first = table.rows[0]["cells"] if table.rows else []
    header = [site.t("Code"), site.t("Subject"), *labels.values(),
              *(f"{labels[cell.key]} · {site.t('Target {target}', target=cell.target)}"
                for cell in _targeted(first)),
              site.t("Deductions"), site.t("Score"), site.t("Grade"), site.t("Rank"),
              site.t("Veto"), site.t("Consequences"), site.t("Arithmetic")]
    rows = []
    for row in table.rows:
        line: dict[str, Any] = row["line"]
        rows.append([line["subject"]["key"], line["subject"]["name"],
                     *(_number(cell, line) for cell in row["cells"]),
                     *(_met(site, cell) for cell in _targeted(row["cells"])),
                     line["deductions"], _score(line["score"]), line["grade"] or "—",
                     line["rank"] or "—", "; ".join(line["vetoes"]) or "—",
                     "; ".join(line.get("consequences") or ()) or "—", line["arithmetic"]])
    name = f"{site.t('Assessment')}-{table.period.key}-{table.level}.{kind}"
    return _file(header, rows, kind, name)


async def subject_export(request: Request) -> Response:
    """One subject's sheet across the last periods: each metric, then the score's parts."""
    kind = request.path_params["kind"]
    if kind not in EXPORT_TYPES:
        raise HTTPException(404)
    site, user = guard(request)
    _period, level, _problem, history = subject_history(site, user, request)
    labels = dict(metric_labels(site))
    header = [site.t("Period"), site.t("Metric"), site.t("Value"), site.t("Target")]
    rows: list[list[Any]] = []
    for one in history:
        line, period = one["line"], one["period"]
        for cell in one["cells"]:
            rows.append([period, labels[cell.key], _number(cell, line),
                         "" if cell.target is None else f"{cell.target}: {_met(site, cell)}"])
        rows += [[period, site.t("Deductions"), line["deductions"], ""],
                 [period, site.t("Score"), _score(line["score"]), ""],
                 [period, site.t("Grade"), line["grade"] or "—", ""],
                 [period, site.t("Rank"), line["rank"] or "—", ""],
                 [period, site.t("Veto"), "; ".join(line["vetoes"]) or "—", ""],
                 [period, site.t("Consequences"),
                  "; ".join(line.get("consequences") or ()) or "—", ""],
                 [period, site.t("Arithmetic"), line["arithmetic"], ""]]
    subject = history[0]["line"]["subject"]
    return _file(header, rows, kind, f"{subject['name']}-{level}.{kind}")


def _file(header: list[str], rows: list[list[Any]], kind: str, name: str) -> Response:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"sheet.{kind}"
        write_table(path, header, rows)
        content = path.read_bytes()
    return Response(content, media_type=EXPORT_TYPES[kind], headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})
