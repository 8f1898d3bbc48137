"""Swap a running process to an edited deployment folder, safely: only when `check` passes and
no migration is pending. One rule for both kinds of process: `gridwork serve` reloads on a
signal or an administrator's button (`web.reload`), and the workers follow the version a
server applied (`Follower`), since they have no button of their own.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from .config import check
from .runtime import Runtime
from .storage.migration import migrate
from .storage.version import applied_hash

log = logging.getLogger("gridwork.reload")

RETRY_SECONDS = 60.0
"""How often a worker looks at its folder again while it cannot follow the applied version
(the folder may be copied to its machine after the server applied it)."""


@dataclass(frozen=True)
class Prepared:
    """The edited folder, ready to swap to, or why not."""

    runtime: Runtime | None
    """Set when the folder may be swapped to."""
    hash: str | None
    """The folder's config hash, when it could be read."""
    problems: tuple[str, ...] = ()
    """`check`'s errors, or the migration steps pending."""
    unchanged: bool = False
    """The folder holds the configuration already running."""


def prepare(folder: Path, running: Runtime, engine: Engine) -> Prepared:
    """Check ``folder`` and build its runtime when it passes and needs no migration."""
    result = check(folder)
    edited = result.deployment
    if edited is None:
        return Prepared(None, None, tuple(p.format() for p in result.errors))
    if edited.source_hash == running.deployment.source_hash:
        return Prepared(None, edited.source_hash, unchanged=True)
    runtime = Runtime.build(edited)
    lines: list[str] = []
    migrate(engine, edited, plan_only=True, echo=lines.append, schema=runtime.schema)
    pending = [line.strip() for line in lines[1:]
               if line.strip() and "nothing to change" not in line]
    if pending:
        return Prepared(None, edited.source_hash, tuple(
            f"migration pending (run `gridwork migrate`): {line}" for line in pending))
    return Prepared(runtime, edited.source_hash)


@dataclass
class Follower:
    """Keeps a worker on the configuration the database was last set to run: when a server
    applies a new version (or `gridwork migrate` runs), the next task rereads ``folder`` and
    swaps to it if it is that version, passes `check` and needs no migration; otherwise the
    worker keeps its configuration and logs why, once per reason."""

    folder: Path
    runtime: Runtime
    _refused: str | None = field(default=None, init=False)
    _refused_at: float = field(default=0.0, init=False)
    _told: tuple[str, ...] = field(default=(), init=False)

    def follow(self, engine: Engine) -> Runtime:
        """The runtime to run this task with."""
        with engine.connect() as conn:
            applied = applied_hash(conn, self.runtime.schema)
        running = self.runtime.deployment.source_hash
        if applied is None or applied == running:
            return self.runtime
        if applied == self._refused and time.monotonic() - self._refused_at < RETRY_SECONDS:
            return self.runtime
        prepared = prepare(self.folder, self.runtime, engine)
        problems = prepared.problems
        if not problems and prepared.hash != applied:
            problems = (f"the folder {self.folder} holds config {(prepared.hash or '')[:12]}, "
                        f"not the applied {applied[:12]}",)
        if prepared.runtime is None or problems:
            self._refused, self._refused_at = applied, time.monotonic()
            if problems != self._told:
                log.warning("configuration %s not applied, still running %s: %s",
                            applied[:12], running[:12], "; ".join(problems))
                self._told = problems
            return self.runtime
        self.runtime = prepared.runtime
        self._refused, self._told = None, ()
        log.info("configuration %s applied, following the database (was %s)",
                    applied[:12], running[:12])
        return self.runtime
