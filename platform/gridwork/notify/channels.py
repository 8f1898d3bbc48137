"""Channel types: how a message for one address leaves gridwork, and which address it needs.

The built-in types live here; `channel_types()` is the one place that lists them, with the
types the deployment's plugins add through the `gridwork_channel_types` hook (SMS and chat
gateways).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import plugins
from ..config.models.outputs import Channel
from . import smtp, webhook
from .message import Message

if TYPE_CHECKING:
    from ..config import Deployment

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


def _record_only(message: Message) -> str:
    return "recorded only"


def _nobody(user: Mapping[str, Any], channel: Channel) -> None:
    return None


def _phone(user: Mapping[str, Any], channel: Channel) -> str | None:
    return user.get("phone") or None


def _email(user: Mapping[str, Any], channel: Channel) -> str | None:
    return user.get("email") or None


def _url(user: Mapping[str, Any], channel: Channel) -> str | None:
    return channel.url


def channel_types(deployment: Deployment | None = None) -> dict[str, ChannelType]:
    """Every channel type by name: the built-in ones, then the plugins' (of ``deployment``,
    or the installed ones); a plugin cannot replace a built-in type."""
    builtin = (
        ChannelType("inbox", None, _nobody, digest=False),
        ChannelType("log", _record_only, _phone),
        ChannelType("email", smtp.send, _email, needs_address=True),
        ChannelType("webhook", webhook.send, _url, needs_address=True),
    )
    offered = plugins.channel_types(plugins.for_deployment(deployment))
    return {**offered, **{kind.name: kind for kind in builtin}}
