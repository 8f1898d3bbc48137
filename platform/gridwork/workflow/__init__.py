"""The workflow engine: records move through their workflow by actions, one transaction each.

The web pages and the API call these functions; neither decides anything of its own.
"""

from __future__ import annotations

from .actions import Step
from .actors import Actor, User, load_user
from .dispatch import Route
from .engine import (
    Available,
    Clock,
    available_actions,
    create_entry,
    create_record,
    replan,
    take_action,
)
from .errors import Conflict, Forbidden, Invalid, NotFound, PluginFailed, WorkflowError
from .history import Entry, replay, timeline
from .queues import QueueCount, queue_counts, queue_records
from .records import Record, load_record
from .supervision import open_supervision, supervisions

__all__ = [
    "Actor", "Available", "Clock", "Conflict", "Entry", "Forbidden",
    "Invalid", "NotFound", "PluginFailed", "QueueCount", "Record", "Route", "Step", "User",
    "WorkflowError", "available_actions", "create_entry", "create_record", "load_record",
    "load_user", "open_supervision", "queue_counts", "queue_records", "replan", "replay",
    "supervisions", "take_action", "timeline",
]
