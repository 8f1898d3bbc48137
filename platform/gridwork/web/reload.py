"""Swap a running server to the edited deployment folder, safely: only when `check` passes
and no migration is pending (`reconfigure.prepare`); otherwise it keeps serving what it
serves and says why.

A reload builds a new `Runtime` and replaces the site's (and the timer loop's) in one
assignment: requests already running finish on the one they started with. The applied
configuration is stored as a new version (its files, the time, who applied it), so the
next `gridwork preview` compares with it.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..reconfigure import prepare
from ..runtime import Runtime
from ..storage.version import record_version
from ..storage.writes import writing
from .site import Site

log = logging.getLogger("gridwork.reload")


@dataclass(frozen=True)
class Attempt:
    """The outcome of one reload."""

    at: dt.datetime
    by: str | None
    applied: bool
    hash: str | None
    """The edited folder's config hash, when it could be read."""
    problems: tuple[str, ...] = ()
    """Why it was not applied: `check`'s errors, or the migration steps pending."""
    unchanged: bool = False


@dataclass
class Reloader:
    """Reloads ``site`` from the folder it was loaded from; one reload at a time."""

    site: Site
    folder: Path
    listeners: list[Callable[[Runtime], None]] = field(default_factory=list)
    """Told the new runtime after a swap (the timer loop)."""
    last: Attempt | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reload(self, by: str | None) -> Attempt:
        """Check the folder and swap to it when it passes and needs no migration."""
        with self._lock:
            attempt = self._attempt(by)
            self.last = attempt
        if attempt.applied:
            log.info("configuration %s applied by %s", (attempt.hash or "")[:12], by)
        elif not attempt.unchanged:
            log.warning("configuration not applied: %s", "; ".join(attempt.problems))
        return attempt

    def _attempt(self, by: str | None) -> Attempt:
        site = self.site
        now = site.clock()
        prepared = prepare(self.folder, site.runtime, site.engine)
        if prepared.runtime is None:
            return Attempt(now, by, False, prepared.hash, prepared.problems,
                           prepared.unchanged)
        runtime = prepared.runtime
        with writing(site.engine) as conn:
            record_version(conn, runtime.schema, now, by)
        site.runtime = runtime
        for listener in self.listeners:
            listener(runtime)
        return Attempt(now, by, True, prepared.hash)
