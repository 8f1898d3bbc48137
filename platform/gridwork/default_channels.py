"""The built-in channel types, offered through `gridwork_channel_types` like a plugin's:
the in-app inbox, a log-only channel, email over SMTP and webhooks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .config.models.outputs import Channel
from .notify import smtp, webhook
from .notify.channels import ChannelType
from .notify.message import Message
from .plugins import hookimpl


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


@hookimpl
def gridwork_channel_types() -> list[ChannelType]:
    """inbox (nothing leaves gridwork), log (recorded only), email and webhook."""
    return [
        ChannelType("inbox", None, _nobody, digest=False),
        ChannelType("log", _record_only, _phone),
        ChannelType("email", smtp.send, _email, needs_address=True),
        ChannelType("webhook", webhook.send, _url, needs_address=True),
    ]
