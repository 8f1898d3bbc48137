"""What a channel is handed to send, and how it says that retrying cannot help."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..config.models.outputs import Channel


@dataclass(frozen=True)
class Message:
    """One message to one address: an outbox row, or a digest of several."""

    key: str
    """Idempotency key: the same key is never delivered twice on purpose (Message-ID too)."""
    channel: str
    config: Channel
    address: str | None
    subject: str
    body: str
    recipient: int | None = None
    register: str | None = None
    record: int | None = None
    cause: str | None = None
    step: int | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)
    created_at: dt.datetime | None = None


class PermanentFailure(Exception):
    """Raised by a channel when retrying cannot help (address refused, request rejected)."""
