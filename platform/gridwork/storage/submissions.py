"""Read the CSV exports of ODK Central and KoboToolbox as the columns of a register.

A form written by `gridwork forms export` and filled in ODK Collect or KoboToolbox comes
back as their CSV export. Its columns are the questions, with three habits of those
tools undone here, before `gridwork import` matches columns to fields:

- a question inside a group is headed ``group-question`` (ODK) or ``group/question``
  (Kobo);
- a point is four columns ``point-Latitude`` … ``point-Accuracy`` (ODK) or one cell
  ``lat lon altitude accuracy`` (Kobo, read by the point field itself);
- each tool adds its own bookkeeping columns (submission id, date, submitter, review
  state, a yes/no column per option of a multiple choice), skipped like the engine's own.
"""

from __future__ import annotations

import re
from typing import Any

from ..config.models import Register

TOOL_COLUMNS = frozenset({
    "submissiondate", "key", "submitterid", "submittername", "attachmentspresent",
    "attachmentsexpected", "status", "reviewstate", "deviceid", "edits", "formversion",
    "parent_key",
})
"""ODK Central's bookkeeping columns (lower case); KoboToolbox's start with '_'."""
_TOOL_GROUPS = ("meta", "formhub")
_POINT_PART = re.compile(r"^(.+)[-_/](latitude|longitude|altitude|accuracy)$", re.IGNORECASE)
_PATH = re.compile(r"[-/]")

Rows = list[tuple[int, list[Any]]]


def submission_columns(header: list[str], rows: Rows, register: Register,
                       known: set[str]) -> tuple[list[str], Rows]:
    """The header and rows with group paths, split points and tool columns undone.

    ``known`` are the lower-case headers the register's import already understands
    (names, labels, the node column); a header among them is left as it is.
    """
    fields = {spec.name: spec for spec in register.fields}
    keep: list[int] = []
    names: list[str] = []
    points: dict[str, dict[str, int]] = {}
    for index, cell in enumerate(header):
        key = cell.strip().lower()
        if key in known:
            keep.append(index)
            names.append(cell)
            continue
        leaf = _PATH.split(cell.strip())[-1]
        point = _POINT_PART.match(cell.strip())
        if point and _leaf(point.group(1)) in fields \
                and fields[_leaf(point.group(1))].type == "geo_point":
            points.setdefault(_leaf(point.group(1)), {})[point.group(2).lower()] = index
        elif _tool_column(cell, fields):
            continue
        elif leaf in fields and leaf not in names:
            keep.append(index)
            names.append(leaf)
        else:
            keep.append(index)
            names.append(cell)
    rebuilt: Rows = []
    for number, cells in rows:
        values = [cells[i] for i in keep]
        for parts in points.values():
            if "latitude" in parts and "longitude" in parts:
                lat, lon = cells[parts["latitude"]], cells[parts["longitude"]]
                values.append(None if lat in (None, "") and lon in (None, "")
                              else f"{lat}, {lon}")
        rebuilt.append((number, values))
    names += [name for name, parts in points.items()
              if "latitude" in parts and "longitude" in parts]
    return names, rebuilt


def _leaf(path: str) -> str:
    return _PATH.split(path)[-1]


def _tool_column(cell: str, fields: dict[str, Any]) -> bool:
    """A column the survey tool adds, not a question of the form."""
    text = cell.strip()
    parts = _PATH.split(text)
    if text.startswith("_") or text.lower() in TOOL_COLUMNS:
        return True
    if len(parts) > 1 and parts[0].lower() in _TOOL_GROUPS:
        return True
    # Kobo's one-column-per-option of a multiple choice: `tags/a` beside `tags`.
    if "/" in text:
        owner = text.rpartition("/")[0]
        spec = fields.get(_leaf(owner))
        if spec is not None and spec.type == "multichoice":
            return True
    return False
