"""The workflow engine: records move through their workflow by actions, one transaction each.

The web pages and the API call these functions; neither decides anything of its own.
"""

from __future__ import annotations

from .actions import Step
from .actors import Actor, User, load_user
from .dispatch import Route
from .engine import (
    Available,
    available_actions,
    create_entry,
    create_record,
    replan,
    take_action,
)
from .edit import edit_record
from .errors import Conflict, Forbidden, Invalid, NotFound, PluginFailed, WorkflowError
from .history import Change, Entry, Kind, replay, timeline
from .queues import QueueCount, queue_counts, queue_records
from .records import Record, load_record, read_record
from .status import is_open, is_overdue, may_supervise, open_clause, overdue_clause
from .supervision import open_supervision, supervisions

__all__ = [
    "Actor", "Available", "Change", "Conflict", "Entry",
    "Forbidden", "Invalid", "Kind", "NotFound", "PluginFailed", "QueueCount", "Record", "Route",
    "Step", "User", "WorkflowError", "available_actions", "create_entry", "create_record",
    "edit_record", "is_open", "is_overdue", "load_record", "load_user", "may_supervise",
    "open_clause", "open_supervision", "overdue_clause", "queue_counts", "queue_records",
    "read_record", "replan", "replay", "supervisions", "take_action", "timeline",
]
