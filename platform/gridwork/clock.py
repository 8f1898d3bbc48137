"""The injectable clock every layer takes: tests and the simulator pass their own."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

Clock = Callable[[], dt.datetime]
"""Returns the current instant, time-zone aware."""


def utc_now() -> dt.datetime:
    """The real time, in UTC."""
    return dt.datetime.now(dt.UTC)
