"""Read a deployment folder's YAML with line numbers, follow `include:`, and locate problems.

ruamel's round-trip loader keeps each mapping's and list's positions (``.lc``); we keep
the raw trees and, for every top-level section, which file (and which part of a merged
section) it came from, so a problem found anywhere can be reported at FILE:LINE:COL.
"""

from __future__ import annotations

import glob
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)

from .models import TOP_LEVEL_KEYS
from .problems import Path as ProblemPath
from .problems import Problem, did_you_mean

MAIN_FILE = "deployment.yaml"
MERGED_MAPPINGS = ("roles", "choices", "registers", "workflows", "escalation")
MERGED_LISTS = ("departments", "categories", "limits", "reminders", "schedules", "plugins")


@dataclass
class _Segment:
    """Part of a top-level section, as written in one file."""

    file: str
    value: Any
    key_pos: tuple[int, int]
    start: int = 0
    """For a merged list: index of this part's first item in the merged list."""


@dataclass
class Sources:
    """The raw YAML of a deployment and where each part of it came from."""

    root: Path
    main: str = MAIN_FILE
    sections: dict[str, list[_Segment]] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    """Every file read, by its name relative to the root (for the config hash)."""

    def digest(self) -> str:
        """A hash of every file the deployment was read from."""
        h = hashlib.sha256()
        for name in sorted(self.files):
            h.update(name.encode() + b"\0" + self.files[name] + b"\0")
        return h.hexdigest()

    def read(self, name: str) -> bytes:
        """Read a file of the deployment (a node CSV, a GeoJSON) and remember it."""
        data = (self.root / name).read_bytes()
        self.files[name] = data
        return data

    def merged(self) -> dict[str, Any]:
        """The config as one mapping, sections from all files merged."""
        data: dict[str, Any] = {}
        for key, segments in self.sections.items():
            if key in MERGED_MAPPINGS and all(isinstance(s.value, dict) for s in segments):
                merged: dict[str, Any] = {}
                for segment in segments:
                    merged.update(segment.value)
                data[key] = merged
            elif key in MERGED_LISTS and all(isinstance(s.value, list) for s in segments):
                data[key] = [item for s in segments for item in s.value]
            else:
                data[key] = segments[0].value
        return data

    def locate(self, problem: Problem) -> Problem:
        """Fill in the file, line and column of a problem found at a config path."""
        if problem.file is not None:
            return problem
        file, line, col = self._position(problem.path, problem.at)
        if problem.offset:
            col += problem.offset
        return Problem(problem.message, problem.severity, problem.path, problem.at,
                       problem.offset, file, line, col)

    def _position(self, path: ProblemPath, at: str) -> tuple[str, int, int]:
        if not path or path[0] not in self.sections:
            return self.main, 1, 1
        segments = self.sections[path[0]]
        segment, rest = segments[0], list(path[1:])
        if rest and len(segments) > 1:
            segment, rest = self._segment_for(segments, rest)
        line, col = segment.key_pos
        if not rest and at == "value":
            line, col = _value_pos(segment.value, line, col)
        node, parent, last = segment.value, None, None
        for index, key in enumerate(rest):
            found = _child_pos(node, key, at if index == len(rest) - 1 else "key")
            if found is None:
                continue  # a name pydantic adds (union tag, '[key]'): stay where we are
            parent, last = node, key
            (line, col), node = found
        if at == "value" and parent is not None and last != rest[-1]:
            # The path ends inside a shorthand (`sample: 20%`): point at that value.
            (line, col), _ = _child_pos(parent, last, "value") or ((line, col), None)
        return segment.file, line + 1, col + 1

    @staticmethod
    def _segment_for(segments: list[_Segment], rest: list[Any]) -> tuple[_Segment, list[Any]]:
        head = rest[0]
        for segment in segments:
            if isinstance(head, int) and isinstance(segment.value, list):
                if segment.start <= head < segment.start + len(segment.value):
                    return segment, [head - segment.start, *rest[1:]]
            elif isinstance(segment.value, dict) and head in segment.value:
                return segment, rest
        return segments[0], rest


def _child_pos(node: Any, key: Any, at: str) -> tuple[tuple[int, int], Any] | None:
    """Position of ``node[key]`` (its key, or its value) and the child itself."""
    lc = getattr(node, "lc", None)
    if lc is None:
        return None
    try:
        if isinstance(node, CommentedMap) and key in node:
            child = node[key]
            return (lc.key(key) if at == "key" else lc.value(key)), child
        if isinstance(node, CommentedSeq) and isinstance(key, int) and 0 <= key < len(node):
            return lc.item(key), node[key]
    except (KeyError, IndexError, TypeError, AttributeError):
        return None
    return None


def _value_pos(value: Any, line: int, col: int) -> tuple[int, int]:
    lc = getattr(value, "lc", None)
    if lc is not None and getattr(lc, "line", None) is not None:
        return lc.line, lc.col
    return line, col


def quote_width(raw: Any) -> int | None:
    """How far a scalar's text starts after its position: 1 in quotes, else 0; None for
    a block scalar (``|``, ``>``), whose inner columns cannot be told from its position."""
    if isinstance(raw, (LiteralScalarString, FoldedScalarString)):
        return None
    return 1 if isinstance(raw, (DoubleQuotedScalarString, SingleQuotedScalarString)) else 0


def block_position(lines: list[str], header: int, offset: int) -> tuple[int, int]:
    """The 1-based line and column of the character ``offset`` characters into a block
    scalar whose indicator (``|``, ``>-``…) is on line ``header``: its text is the indented
    lines below, each counted with the one character (newline or folded space) joining it
    to the next."""
    def indent(text: str) -> int:
        return len(text) - len(text.lstrip(" "))

    key = indent(lines[header - 1])
    body: list[str] = []
    for text in lines[header:]:
        if text.strip() and indent(text) <= key:
            break
        body.append(text)
    base = min((indent(t) for t in body if t.strip()), default=key)
    for number, text in enumerate(body, start=header + 1):
        content = text[base:]
        if offset < len(content):
            return number, base + offset + 1
        offset -= len(content) + 1
    return header, 1


def raw_at(sources: Sources, path: ProblemPath) -> Any:
    """The raw YAML value at a config path (for quote-aware column offsets), or None."""
    node: Any = sources.merged()
    for key in path:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.allow_duplicate_keys = False
    return yaml


def read_yaml(path: Path, display: str, sources: Sources) -> tuple[Any, list[Problem]]:
    """Load one YAML file; a syntax error becomes a Problem at its line."""
    try:
        text = sources.read(display).decode("utf-8")
    except FileNotFoundError:
        return None, [Problem(f"file not found: {display}", file=display, line=1, col=1)]
    except (OSError, UnicodeDecodeError) as err:
        return None, [Problem(f"cannot read {display}: {err}", file=display, line=1, col=1)]
    try:
        return _yaml().load(text), []
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = err.problem or err.context or "invalid YAML"
        if "found duplicate key" in str(err):
            what = "duplicate key" + (str(err.problem).split("duplicate key", 1)[-1]
                                       if err.problem else "")
        return None, [Problem(f"YAML syntax: {what.strip()}", file=display, line=line, col=col)]
    except ReaderError as err:
        before = text[: err.position]
        line, col = before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1
        return None, [Problem(f"YAML syntax: character {err.character!r} is not allowed "
                              "in YAML text", file=display, line=line, col=col)]
    except YAMLError as err:
        return None, [Problem(f"YAML syntax: {err}", file=display, line=1, col=1)]
    except (RecursionError, ValueError, TypeError) as err:
        return None, [Problem(f"cannot read YAML: {err}", file=display, line=1, col=1)]


def load_sources(root: Path) -> tuple[Sources, list[Problem]]:
    """Read ``deployment.yaml`` and the files it includes into a Sources index."""
    sources = Sources(root=root)
    data, problems = read_yaml(root / MAIN_FILE, MAIN_FILE, sources)
    if data is None:
        if not problems:
            problems = [Problem("the file is empty; start with 'deployment:'",
                                file=MAIN_FILE, line=1, col=1)]
        return sources, problems
    if not isinstance(data, CommentedMap):
        return sources, [Problem("expected a mapping of top-level keys such as "
                                 "'deployment:', 'hierarchy:'", file=MAIN_FILE, line=1, col=1)]
    files: list[tuple[str, CommentedMap]] = [(MAIN_FILE, data)]
    if "include" in data:
        included, include_problems = _includes(sources, data)
        files.extend(included)
        problems.extend(include_problems)
    for display, tree in files:
        problems.extend(_add_sections(sources, display, tree))
    return sources, problems


def _includes(sources: Sources, data: CommentedMap) -> tuple[list[tuple[str, CommentedMap]], list[Problem]]:
    root = sources.root
    listed = data["include"]
    line, col = data.lc.value("include")
    if isinstance(listed, str):
        listed = [listed]
    if not isinstance(listed, list):
        return [], [Problem("'include' takes a list of YAML files, e.g. [registers.yaml]",
                            file=MAIN_FILE, line=line + 1, col=col + 1)]
    files: list[tuple[str, CommentedMap]] = []
    problems: list[Problem] = []
    for index, pattern in enumerate(listed):
        pos = listed.lc.item(index) if isinstance(listed, CommentedSeq) else (line, col)
        where = {"file": MAIN_FILE, "line": pos[0] + 1, "col": pos[1] + 1}
        if not isinstance(pattern, str) or Path(pattern).is_absolute() or ".." in Path(pattern).parts:
            problems.append(Problem("an include is a file path inside the deployment folder",
                                    **where))
            continue
        matches = sorted(glob.glob(str(root / pattern)))
        if not matches:
            problems.append(Problem(f"no file matches '{pattern}'", **where))
        for match in matches:
            display = str(Path(match).relative_to(root))
            tree, read_problems = read_yaml(Path(match), display, sources)
            problems.extend(read_problems)
            if tree is None:
                continue
            if not isinstance(tree, CommentedMap):
                problems.append(Problem("expected a mapping of top-level keys",
                                        file=display, line=1, col=1))
            elif "include" in tree:
                ln, cl = tree.lc.key("include")
                problems.append(Problem("'include' is allowed only in deployment.yaml",
                                        file=display, line=ln + 1, col=cl + 1))
            else:
                files.append((display, tree))
    return files, problems


def _add_sections(sources: Sources, display: str, tree: CommentedMap) -> list[Problem]:
    problems: list[Problem] = []
    for key in tree:
        if key == "include" and display == MAIN_FILE:
            continue
        line, col = tree.lc.key(key)
        if key not in TOP_LEVEL_KEYS:
            hint = did_you_mean(str(key), TOP_LEVEL_KEYS) or (
                "; top-level keys are: " + ", ".join(TOP_LEVEL_KEYS))
            problems.append(Problem(f"unknown top-level key '{key}'{hint}",
                                    file=display, line=line + 1, col=col + 1))
            continue
        value = tree[key]
        existing = sources.sections.setdefault(key, [])
        if existing:
            problem = _conflict(key, existing, value, display, line, col)
            if problem:
                problems.append(problem)
                continue
        start = sum(len(s.value) for s in existing if isinstance(s.value, list))
        existing.append(_Segment(display, value, (line, col), start))
    return problems


def _conflict(key: str, existing: list[_Segment], value: Any, display: str,
              line: int, col: int) -> Problem | None:
    first = existing[0]
    where = f"{first.file}:{first.key_pos[0] + 1}"
    if key in MERGED_MAPPINGS and isinstance(value, dict):
        for segment in existing:
            if not isinstance(segment.value, dict):
                continue
            for name in value:
                if name in segment.value:
                    ln, cl = value.lc.key(name)
                    other = f"{segment.file}:{segment.value.lc.key(name)[0] + 1}"
                    return Problem(f"'{key}.{name}' is already defined at {other}",
                                   file=display, line=ln + 1, col=cl + 1)
        return None
    if key in MERGED_LISTS and isinstance(value, list):
        return None
    return Problem(f"'{key}' is already defined at {where}; a deployment may define it once",
                   file=display, line=line + 1, col=col + 1)
