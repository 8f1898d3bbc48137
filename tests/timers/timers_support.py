"""Helpers the timer tests share: instants on the Shanghai clock and calendars from config."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from gridwork.config.models import Calendar
from gridwork.config.types import Duration, parse_duration
from gridwork.time.calendar import BusinessCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOURS = ("08:30-12:00", "13:30-17:30")


def at(text: str) -> dt.datetime:
    """The Shanghai instant written ``YYYY-MM-DD HH:MM[:SS]``."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def dur(text: str) -> Duration:
    """A duration written as in the YAML (``3wd``)."""
    return parse_duration(text)


def calendar(**settings: Any) -> BusinessCalendar:
    """A Monday–Friday, 08:30–12:00 and 13:30–17:30 calendar with ``cn`` holidays, or as told."""
    config = Calendar.model_validate({"working_days": "mon-fri", "hours": list(HOURS),
                                      "holidays": "cn", **settings})
    return BusinessCalendar.from_config(config, "Asia/Shanghai")
