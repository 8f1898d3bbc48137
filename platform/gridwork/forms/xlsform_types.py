"""The one table between gridwork field types and XLSForm question types.

Kept as data in one place so that it can move into the field-type classes as one method
each. A gridwork type that XLSForm has no question type for is written as the nearest one
(an ID-card number is text) and named in the custom bind attribute ``gridwork:type``,
which ODK Collect and KoboToolbox ignore and the import reads back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..config.types import Label


@dataclass(frozen=True)
class XlsformType:
    """How one gridwork field type is written as an XLSForm question."""

    question: str
    """The XLSForm type; ``select_one`` and ``select_multiple`` are followed by a list name."""
    appearance: str | None = None
    """The appearance that tells this type apart from others written as the same question."""
    marked: bool = False
    """Whether the question names its gridwork type in ``bind::gridwork:type``."""


FIELD_TYPES: dict[str, XlsformType] = {
    "text": XlsformType("text"),
    "textarea": XlsformType("text", "multiline"),
    "integer": XlsformType("integer"),
    "decimal": XlsformType("decimal"),
    "boolean": XlsformType("select_one", marked=True),
    "date": XlsformType("date"),
    "datetime": XlsformType("dateTime"),
    "choice": XlsformType("select_one"),
    "multichoice": XlsformType("select_multiple"),
    "phone": XlsformType("text", "numbers", marked=True),
    "email": XlsformType("text", marked=True),
    "id_card": XlsformType("text", marked=True),
    "credit_code": XlsformType("text", marked=True),
    "geo_point": XlsformType("geopoint"),
    "photo": XlsformType("image"),
    "file": XlsformType("file"),
    "reference": XlsformType("integer", marked=True),
    "node": XlsformType("text", marked=True),
    "user": XlsformType("text", marked=True),
    "department": XlsformType("text", marked=True),
}
"""gridwork field type → XLSForm question (export)."""

QUESTION_TYPES: dict[str, str] = {
    question: gridwork for gridwork, question in (
        ("text", "text"), ("integer", "integer"), ("decimal", "decimal"), ("date", "date"),
        ("datetime", "dateTime"), ("choice", "select one"),
        ("multichoice", "select all that apply"), ("geo_point", "geopoint"),
        ("photo", "photo"), ("file", "file"), ("phone", "phone number"),
    )
} | {"datetime": "datetime", "image": "photo", "string": "text", "int": "integer"}
"""XLSForm question type, as pyxform names it after resolving aliases → gridwork field type
(import). ``text`` with the appearance ``multiline`` is a textarea (see FIELD_TYPES)."""

BOOLEAN_CHOICES = ("yes", "no")
"""The codes a boolean field's yes/no list holds (what ODK writes in its CSV export)."""

NAMESPACE = 'gridwork="https://gridwork.dev/xlsform"'
"""The XML namespace of the custom bind attributes (settings column ``namespaces``)."""

LANGUAGES = {"zh": "Chinese (zh)", "en": "English (en)"}
"""The label languages of the config, as XLSForm column suffixes (``label::Chinese (zh)``)."""

_LANGUAGE_NAMES = {"chinese": "zh", "中文": "zh", "english": "en", "zh": "zh", "en": "en"}
_CODE_RE = re.compile(r"\(([A-Za-z]{2,3})(?:[-_][A-Za-z]+)?\)\s*$")


def locale_of(language: str) -> str | None:
    """The config locale of an XLSForm language (``Chinese (zh)``, ``english``), if any."""
    match = _CODE_RE.search(language)
    if match:
        return _LANGUAGE_NAMES.get(match.group(1).lower())
    return _LANGUAGE_NAMES.get(language.strip().lower())


def xlsform_texts(label: Label | None) -> dict[str, str]:
    """A label as XLSForm column texts by language suffix."""
    if label is None:
        return {}
    texts = {LANGUAGES["zh"]: label.zh, LANGUAGES["en"]: label.en}
    return {language: text for language, text in texts.items() if text}
