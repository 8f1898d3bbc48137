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
    """How one gridwork field type is written as an XLSForm question, and read back."""

    question: str
    """The XLSForm type; ``select_one`` and ``select_multiple`` are followed by a list name."""
    appearance: str | None = None
    """The appearance that tells this type apart from others written as the same question."""
    marked: bool = False
    """Whether the question names its gridwork type in ``bind::gridwork:type``."""
    read_from: tuple[str, ...] = ()
    """The question types, as pyxform names them once it has resolved aliases, that import
    as this type when no ``gridwork:type`` says otherwise."""


FIELD_TYPES: dict[str, XlsformType] = {
    "text": XlsformType("text", read_from=("text", "string")),
    "textarea": XlsformType("text", "multiline"),
    "integer": XlsformType("integer", read_from=("integer", "int")),
    "decimal": XlsformType("decimal", read_from=("decimal",)),
    "boolean": XlsformType("select_one", marked=True),
    "date": XlsformType("date", read_from=("date",)),
    "datetime": XlsformType("dateTime", read_from=("dateTime", "datetime")),
    "choice": XlsformType("select_one", read_from=("select one",)),
    "multichoice": XlsformType("select_multiple", read_from=("select all that apply",)),
    "phone": XlsformType("text", "numbers", marked=True, read_from=("phone number",)),
    "email": XlsformType("text", marked=True),
    "id_card": XlsformType("text", marked=True),
    "credit_code": XlsformType("text", marked=True),
    "geo_point": XlsformType("geopoint", read_from=("geopoint",)),
    "photo": XlsformType("image", read_from=("photo", "image")),
    "file": XlsformType("file", read_from=("file",)),
    "reference": XlsformType("integer", marked=True),
    "node": XlsformType("text", marked=True),
    "user": XlsformType("text", marked=True),
    "department": XlsformType("text", marked=True),
}
"""gridwork field type → XLSForm question: the one table both directions use."""

QUESTION_TYPES: dict[str, str] = {
    question: gridwork for gridwork, kind in FIELD_TYPES.items() for question in kind.read_from}
"""pyxform's question type → gridwork field type, read off FIELD_TYPES. (``text`` with the
appearance ``multiline`` is a textarea: see ``appearance``.)"""

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
