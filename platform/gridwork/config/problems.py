"""Problems found in a deployment, reported like a compiler: ``FILE:LINE:COL: error: MESSAGE``."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]
Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One error or warning, at a place in a config file (or a CSV/GeoJSON file)."""

    message: str
    severity: Severity = "error"
    path: Path = ()
    """Where in the merged config the problem is (resolved to a file position later)."""
    at: Literal["key", "value"] = "value"
    """Point at the key or at its value."""
    offset: int = 0
    """Columns into the value (a name inside an expression)."""
    file: str | None = None
    line: int | None = None
    col: int | None = None

    def format(self) -> str:
        """The one-line report an editor or CI can jump to."""
        message = " ".join(self.message.split())  # one problem, one line
        return f"{self.file}:{self.line}:{self.col}: {self.severity}: {message}"


class ConfigError(Exception):
    """A deployment that does not validate; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(p.format() for p in problems if p.severity == "error"))


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`; did you mean 'x'?` when a candidate is close to ``word``, else ''."""
    options = [str(c) for c in candidates]
    close = difflib.get_close_matches(str(word), options, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def unknown(kind: str, word: str, candidates: Iterable[str]) -> str:
    """`unknown role 'x'; did you mean 'y'?` or, without a close match, the choices."""
    options = sorted({str(c) for c in candidates})
    hint = did_you_mean(word, options)
    if not hint:
        if not options:
            hint = "; none is defined"
        elif len(options) <= 12:
            hint = f"; expected one of: {', '.join(options)}"
    noun, _, owner = kind.partition(" of ")
    return f"unknown {noun} '{word}'{' of ' + owner if owner else ''}{hint}"
