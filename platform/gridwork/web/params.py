"""Numbers in the pages' paths and queries. A record id (`{id:id}`) is ASCII digits that
fit an `Integer` column, anything else matches no route and answers 404 before reaching the
database; a malformed page number answers 400."""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException

from ..integers import INT_MAX, parse_int


class IdConvertor(Convertor[int]):
    """At most ten ASCII digits; a value past `INT_MAX` reads as 0, which no record has."""

    regex = "[0-9]{1,10}"

    def convert(self, value: str) -> int:
        return parse_int(value, lo=0, hi=INT_MAX) or 0

    def to_string(self, value: int) -> str:
        return str(value)


register_url_convertor("id", IdConvertor())

ID = "{id:id}"
"""The path parameter of a record id."""


def page_number(text: str | None) -> int:
    """The page a query or form asks for: 1 when it says none, else ASCII digits from 1;
    anything else is refused with 400."""
    if not text:
        return 1
    number = parse_int(text, lo=1, hi=INT_MAX)
    if number is None:
        raise HTTPException(400, "page: a page number from 1")
    return number
