"""GeoReport v2's XML: the same content as its JSON, under the root and item elements the
specification names (`services/service`, `service_requests/request`, `errors/error`…)."""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

_ITEM = {"attributes": "attribute", "values": "value"}
"""The element of each item of a list inside an object."""


def xml_document(root: str, item: str | None, content: Any) -> bytes:
    """``content`` (a list of objects as ``item`` elements, or one object) under ``root``."""
    element = Element(root)
    if item is None:
        _fill(element, content)
    else:
        for entry in content:
            _fill(SubElement(element, item), entry)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + tostring(element, encoding="utf-8",
                                                                 xml_declaration=False)


def _fill(element: Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            child = SubElement(element, key)
            if isinstance(inner, list):
                for entry in inner:
                    _fill(SubElement(child, _ITEM.get(key, "item")), entry)
            else:
                _fill(child, inner)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)
