"""The grid tree's nodes: read from the config or a CSV file, checked row by row.

A tree of 20,000 grids must check in well under a second, so rows stay plain tuples
and every check is a dictionary look-up.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .models import Hierarchy, Node
from .problems import Problem, unknown

COLUMNS = ("code", "name", "parent", "level")
Reader = Callable[[str], bytes]
"""Reads a file of the deployment folder by its relative name."""


@dataclass(frozen=True, slots=True)
class _Row:
    code: str
    name: str
    parent: str | None
    level: str
    where: Callable[[str, str], Problem]
    """Make a problem located at this row's column."""


def load_nodes(read: Reader, hierarchy: Hierarchy) -> tuple[list[Node], list[Problem]]:
    """Read and check the hierarchy's nodes; return them parents first."""
    if isinstance(hierarchy.nodes, str):
        rows, problems = _csv_rows(read, hierarchy.nodes)
    else:
        rows, problems = _inline_rows(hierarchy), []
    nodes, row_problems = _check_rows(rows, hierarchy)
    return nodes, problems + row_problems


def _inline_rows(hierarchy: Hierarchy) -> list[_Row]:
    rows = []
    assert not isinstance(hierarchy.nodes, str)
    for index, spec in enumerate(hierarchy.nodes):
        def where(column: str, message: str, index: int = index) -> Problem:
            return Problem(message, path=("hierarchy", "nodes", index, column))
        rows.append(_Row(spec.code, spec.name, spec.parent, spec.level, where))
    return rows


def _csv_rows(read: Reader, name: str) -> tuple[list[_Row], list[Problem]]:
    at_key = Problem("", path=("hierarchy", "nodes"))
    try:
        text = read(name).decode("utf-8-sig")
    except FileNotFoundError:
        return [], [_with(at_key, f"node file '{name}' not found in the deployment folder")]
    except (OSError, UnicodeDecodeError) as err:
        return [], [_with(at_key, f"cannot read node file '{name}': {err}")]
    lines = text.splitlines()
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader)]
    except (StopIteration, csv.Error):
        return [], [Problem("the node file is empty; its first line names the columns "
                            + ", ".join(COLUMNS), file=name, line=1, col=1)]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        return [], [Problem(f"missing column {', '.join(missing)}; the first line must name "
                            f"the columns {', '.join(COLUMNS)}", file=name, line=1, col=1)]
    index = {column: header.index(column) for column in COLUMNS}
    at_code, at_name, at_parent, at_level = (index[c] for c in COLUMNS)
    width = len(header)
    rows: list[_Row] = []
    problems: list[Problem] = []

    def where(line: int, cells: list[str]) -> Callable[[str, str], Problem]:
        return lambda column, message: Problem(message, file=name, line=line,
                                               col=_column(lines, line, index[column], cells))

    try:
        for cells in reader:
            line = reader.line_num
            if len(cells) < width:
                if any(c.strip() for c in cells):
                    problems.append(Problem(f"this row has {len(cells)} cells, the header "
                                            f"{width}", file=name, line=line, col=1))
                continue
            code = cells[at_code].strip()
            if not code and not "".join(cells).strip():
                continue
            rows.append(_Row(code, cells[at_name].strip(), cells[at_parent].strip() or None,
                             cells[at_level].strip(), where(line, cells)))
    except csv.Error as err:
        problems.append(Problem(f"cannot read CSV: {err}", file=name,
                                line=reader.line_num, col=1))
    return rows, problems


def _column(lines: list[str], line: int, cell: int, cells: list[str]) -> int:
    """1-based column of a cell in its line (exact for unquoted rows)."""
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    if '"' in text:
        return 1
    return 1 + sum(len(c) + 1 for c in cells[:cell])


def _with(problem: Problem, message: str) -> Problem:
    return Problem(message, problem.severity, problem.path)


def _check_rows(rows: list[_Row], hierarchy: Hierarchy) -> tuple[list[Node], list[Problem]]:
    depth = {level.key: i for i, level in enumerate(hierarchy.levels)}
    patterns = {lv.key: re.compile(lv.code) for lv in hierarchy.levels if lv.code}
    problems: list[Problem] = []
    seen: dict[str, _Row] = {}
    for row in rows:
        if not row.code:
            problems.append(row.where("code", "a node needs a code"))
            continue
        if "/" in row.code or row.code != row.code.strip() or " " in row.code:
            problems.append(row.where("code", f"node code '{row.code}' may not contain '/' "
                                              "or spaces"))
            continue
        if row.code in seen:
            first = seen[row.code].where("code", "")
            at = f" (first at line {first.line})" if first.line else ""
            problems.append(row.where("code", f"duplicate node code '{row.code}'{at}"))
            continue
        seen[row.code] = row
        if not row.name:
            problems.append(row.where("name", f"node '{row.code}' needs a name"))
        if row.level not in depth:
            problems.append(row.where("level", unknown("level", row.level, depth)))
            continue
        pattern = patterns.get(row.level)
        if pattern and not pattern.fullmatch(row.code):
            problems.append(row.where("code", f"code '{row.code}' does not match the "
                                              f"{row.level} code pattern {pattern.pattern}"))
    # A level whose `under:` names an unknown level has that error; its nodes' parents
    # are not judged by a list the author has yet to fix.
    unsure = {lv.key for lv in hierarchy.levels if set(lv.under) - set(depth)}
    parents = {key: hierarchy.parent_levels(key) for key in depth}
    nodes: list[Node] = []
    for row in seen.values():
        if row.level not in depth:
            continue
        level = depth[row.level]
        if row.parent is None:
            if level != 0:
                top = hierarchy.levels[0].key
                problems.append(row.where("parent", f"node '{row.code}' is a {row.level} and "
                                                    f"needs a parent; only {top} nodes stand alone"))
        elif row.parent not in seen:
            problems.append(row.where("parent", f"unknown parent '{row.parent}': "
                                                "no node has that code"))
        elif row.level not in unsure:
            parent = seen[row.parent]
            expected = parents[row.level]
            if parent.level not in expected:
                above = depth.get(parent.level, level) < level
                problems.append(row.where("parent", _wrong_parent(row, parent, expected, above)))
        nodes.append(Node(row.code, row.name, row.level, row.parent))
    nodes.sort(key=lambda n: depth[n.level])
    return nodes, problems


def _wrong_parent(row: _Row, parent: _Row, expected: tuple[str, ...], above: bool) -> str:
    """Say which parents the row's level takes, and how to allow this one when it could be."""
    if not expected:
        return (f"a {row.level} node is at the top and has no parent, but '{row.code}' "
                f"names '{parent.code}'; leave its parent empty")
    needs = " or ".join(f"a {key}" for key in expected)
    text = f"a {row.level} node needs {needs} as parent, but '{parent.code}' is a {parent.level}"
    if not above:
        return text
    return (f"{text}; if {row.level} nodes may sit under a {parent.level}, write "
            f"'under: [{', '.join((*expected, parent.level))}]' on the {row.level} level")


_CODE_RE = re.compile(r'"code"\s*:\s*"?([^",}\s]+)')


def _code_lines(text: str) -> dict[str, int]:
    """Line of each feature's code in the GeoJSON text, to point problems at it."""
    found: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        for match in _CODE_RE.finditer(line):
            found.setdefault(match.group(1), number)
    return found


def load_boundaries(read: Reader, name: str, codes: set[str]) -> tuple[dict[str, Any], list[Problem]]:
    """Read a GeoJSON FeatureCollection of node boundaries keyed by ``properties.code``."""
    try:
        text = read(name).decode("utf-8")
        data = json.loads(text)
    except FileNotFoundError:
        return {}, [Problem(f"boundary file '{name}' not found in the deployment folder",
                            path=("hierarchy", "boundaries"))]
    except json.JSONDecodeError as err:
        return {}, [Problem(f"invalid JSON: {err.msg}", file=name, line=err.lineno, col=err.colno)]
    except (OSError, UnicodeDecodeError) as err:
        return {}, [Problem(f"cannot read '{name}': {err}", path=("hierarchy", "boundaries"))]
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        return {}, [Problem("expected a GeoJSON FeatureCollection", file=name, line=1, col=1)]
    boundaries: dict[str, Any] = {}
    problems: list[Problem] = []
    lines = _code_lines(text)
    for number, feature in enumerate(data.get("features") or [], start=1):
        props = feature.get("properties") if isinstance(feature, dict) else None
        code = str(props.get("code")) if isinstance(props, dict) and "code" in props else None
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        label = f"feature {number}" + (f" (code '{code}')" if code else "")
        at = {"file": name, "line": lines.get(code or "", 1), "col": 1}
        if code is None:
            problems.append(Problem(f"{label} has no properties.code", **at))
        elif code not in codes:
            problems.append(Problem(f"{label}: no node has that code", **at))
        elif not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
            problems.append(Problem(f"{label}: geometry must be a Polygon or MultiPolygon", **at))
        else:
            boundaries[code] = geometry
    return boundaries, problems
