"""gridwork plugin: the `sms_http` channel type, SMS through an HTTP gateway.

Settings (under the deployment's `plugins:` entry) say where the gateway is, which account
to use, where the signing secret is and which gateway template code each message uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from gridwork.notify.channels import ChannelType
from gridwork.plugins import hookimpl

from .gateway import Gateway

__version__ = "0.1.0"


class Settings(BaseModel):
    """How to reach the SMS gateway."""

    model_config = ConfigDict(extra="forbid")

    url: Annotated[str, Field(pattern=r"^https?://\S+$")]
    """The gateway's send endpoint, e.g. https://sms.example.gov.cn/v1/send."""
    account: Annotated[str, Field(min_length=1)]
    """The account (AppKey) the gateway issued."""
    secret_env: str = "GRIDWORK_SMS_SECRET"
    """The environment variable holding the HMAC-SHA256 signing secret."""
    templates: dict[str, str] = {}
    """Gateway template code per message template (reminder, escalation, …) or cause."""
    default_template: str | None = None
    """The code for messages no entry of `templates` names."""
    permanent_codes: tuple[str, ...] = ("1001", "1002", "1003", "1004", "1005")
    """Gateway codes that retrying cannot fix (signature, account, template, number,
    blacklisted); any other failure is retried with backoff."""
    timeout: Annotated[float, Field(gt=0, le=60)] = 10.0
    """Seconds to wait for the gateway (delivery holds the message's row locked meanwhile)."""


def _phone(user: Mapping[str, Any], channel: Any) -> str | None:
    """Users are reached at their account's phone number."""
    return user.get("phone") or None


@hookimpl
def gridwork_channel_types(settings: Settings | None) -> list[ChannelType]:
    """The `sms_http` channel type, once the plugin has its settings."""
    if settings is None:
        return []
    gateway = Gateway(settings.url, settings.account, settings.secret_env, settings.templates,
                      settings.default_template, frozenset(settings.permanent_codes),
                      settings.timeout)
    return [ChannelType("sms_http", gateway.send, _phone, needs_address=True)]
