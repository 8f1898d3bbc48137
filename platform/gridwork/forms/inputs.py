"""Read what a web form, a JSON body or an imported row gives for a field, before any check.

A web form posts a multidict (repeated keys for checkboxes, ``""`` for an empty input);
JSON and importers give a plain mapping. Both are read here the same way, so that
"blank" means one thing everywhere: None, whitespace, or an empty list.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class MultiDict(Protocol):
    """A form body with repeated keys (Starlette's FormData, Werkzeug's MultiDict)."""

    def getlist(self, key: str) -> list[Any]:
        """Every value posted under ``key``, in order."""


RawInput = Mapping[str, Any] | MultiDict
"""What a caller hands in: a mapping, or a multidict with ``getlist``."""


def is_blank(value: Any) -> bool:
    """Whether ``value`` counts as not given (None, whitespace, an empty list or mapping)."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple, set, frozenset)):
        return all(is_blank(item) for item in value)
    if isinstance(value, Mapping):
        return not value
    return False


def read(raw: RawInput, name: str, *, many: bool = False) -> Any:
    """The value given for ``name``: a list when ``many``, else one value; None when blank.

    Repeated keys of a scalar field yield the last one, so a hidden ``false`` input
    followed by a checkbox reads as the checkbox when it is ticked.
    """
    # Told by its `getlist`: an isinstance check against a runtime Protocol costs tens of
    # microseconds, and every field of every step is read here.
    getlist = None if isinstance(raw, dict) else getattr(raw, "getlist", None)
    if getlist is not None:
        items = [item for item in getlist(name) if not is_blank(item)]
        if many:
            return items or None
        return items[-1] if items else None
    value = raw.get(name)
    if is_blank(value):
        return None
    if many and isinstance(value, (list, tuple)):
        return [item for item in value if not is_blank(item)]
    return value
