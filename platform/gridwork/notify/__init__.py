"""Notifications: messages written to the outbox with their cause, delivered by channel.

`enqueue` writes messages in the caller's transaction; `deliver_pending` sends what is due,
with retries and digests, keeping every attempt's outcome; `inbox` and `log` read them back.
Names load on first use, so `gridwork check` (which registers these commands) stays quick.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .channels import ChannelType as ChannelType
    from .delivery import Counts as Counts
    from .delivery import RetryPolicy as RetryPolicy
    from .delivery import deliver_pending as deliver_pending
    from .message import Message as Message
    from .message import PermanentFailure as PermanentFailure
    from .outbox import enqueue as enqueue

_HOMES = {
    "ChannelType": "channels", "Counts": "delivery",
    "RetryPolicy": "delivery", "deliver_pending": "delivery", "Message": "message",
    "PermanentFailure": "message", "enqueue": "outbox",
}
__all__ = list(_HOMES)


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
