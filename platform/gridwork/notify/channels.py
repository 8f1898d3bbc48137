"""Channel types: how a message for one address leaves gridwork, and which address it needs.

The built-in types (`gridwork.default_channels`) and the plugins' (SMS and chat gateways)
come through the `gridwork_channel_types` hook; the runtime lists them by name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..config.models.outputs import Channel
from .message import Message

Send = Callable[[Message], str | None]
"""Deliver a message or raise; return a receipt (a gateway's message id) for the log."""
Address = Callable[[Mapping[str, Any], Channel], str | None]
"""Where a user is reached on a channel, from the user's row; None when they cannot be."""


@dataclass(frozen=True)
class ChannelType:
    """A kind of channel: how to send, and how to address a user."""

    name: str
    send: Send | None
    """None: nothing leaves gridwork, the outbox row is the message (the in-app inbox)."""
    address: Address
    needs_address: bool = False
    """A user without an address gets a failed row saying so, visible in the message log."""
    digest: bool = True
    """Reminders to one address within the deployment's digest window go as one message."""
