"""Public reporting over Open311 GeoReport v2: which register takes public reports, which
categories the public may report, and how the standard request fields fill its fields."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, field_validator

from ..types import Code, DurationType, Name, parse_duration
from .base import Model


class RateLimit(Model):
    """How many requests one API key may post within a window."""

    requests: Annotated[int, Field(ge=1)] = 30
    """Posts allowed per key within `per`."""
    per: DurationType = parse_duration("1h")
    """The window (calendar time), e.g. `1h`."""

    @field_validator("per")
    @classmethod
    def _calendar_time(cls, value: Any) -> Any:
        if value.working or value.amount <= 0:
            raise ValueError(f"'{value}' must be a positive calendar time such as '1h'")
        return value


class Open311Fields(Model):
    """Which of the register's fields each standard Open311 request field fills."""

    description: Name | None = None
    """The request's `description` (a text or textarea field)."""
    address_string: Name | None = None
    """The request's `address_string` (a text field)."""
    location: Name | None = None
    """`lat` and `long` (a geo_point field); the point also finds the record's grid."""
    first_name: Name | None = None
    """The reporter's `first_name` (with `last_name`, if given)."""
    phone: Name | None = None
    """The reporter's `phone`."""
    email: Name | None = None
    """The reporter's `email`."""
    media_url: Name | None = None
    """A link to the reporter's photo (a text field)."""


class Open311(Model):
    """Open311 GeoReport v2 at `/open311/v2/`: public categories become services, and a
    posted request becomes a record through the workflow like any other."""

    register_name: Annotated[Name, Field(alias="register")]
    """The register public requests become records of (categorized, with a workflow)."""
    services: Annotated[tuple[Code, ...], Field(min_length=1)]
    """The categories the public may report (each a service; `group` is its parent's name)."""
    account: Annotated[str, Field(min_length=1)]
    """The username public requests are filed under; one of its roles must be allowed
    to create the register's records over the whole area (e.g. at the top level)."""
    jurisdiction: str | None = None
    """The `jurisdiction_id` clients send; when set, a different one is refused."""
    fields: Open311Fields = Open311Fields()
    """Which register fields the standard request fields fill; the register's other fields
    on the new-record form become a service's attributes."""
    values: dict[Name, Any] = {}
    """Values every public request gets, e.g. `{source: resident}`."""
    notes: tuple[Name, ...] = ()
    """Actions of the workflow whose history entries are public: the latest one gives a
    request's `status_notes` (its comment, else the state it entered)."""
    fallback_node: Code | None = None
    """Where a request with an address but no point is filed (a node at the register's
    level); without one, a request must give `lat` and `long`."""
    rate_limit: RateLimit = RateLimit()
    """Posts per API key (a token with the `open311` scope) within a window."""
