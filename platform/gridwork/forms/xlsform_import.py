"""Turn an XLSForm workbook into a register of the configuration language.

pyxform reads the workbook (``get_xlsform``: the sheets' rows, blank ones kept so row
numbers stay true; ``workbook_to_json``: its own parse and checks). Each question becomes a
field; what a register cannot carry is reported at its sheet and row, as an error (the
register is refused: repeats, cascading or external choices, media prompts, expressions
with no gridwork counterpart…) or as a warning (notes, metadata, appearances: nothing a
record holds is lost).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from ..config.expressions import ExpressionError, parse_expression
from ..config.models import SYSTEM_FIELDS, Register
from ..config.types import NAME_PATTERN, Label
from .xlsform_expressions import Untranslatable, from_xpath, same_expression, tidy, to_xpath
from .xlsform_types import FIELD_TYPES, QUESTION_TYPES, locale_of
from .xlsform_values import conjuncts, default_value, take_bound

_NAME_RE = re.compile(NAME_PATTERN)
_ROW_RE = re.compile(r"\[row : (\d+)\]")
_SHEET_RE = re.compile(r"the '(\w+)' sheet")
_METADATA = frozenset({
    "start", "end", "today", "deviceid", "uri:deviceid", "subscriberid", "simserial",
    "phonenumber", "username", "email", "audit", "start-geopoint", "background-audio"})
_EXTERNAL = (".csv", ".xml", ".geojson")
_PRESENTATION = frozenset({"multiline", "numbers", "minimal", "compact", "horizontal",
                           "horizontal-compact", "likert", "quick", "field-list"})
_KNOWN_BIND = frozenset({"required", "relevant", "constraint", "jr:constraintMsg",
                         "calculate", "readonly", "jr:requiredMsg"})
DEFAULT_MESSAGE = {"zh": "不符合要求", "en": "This value is not accepted"}
"""A rule's message when the XLSForm gave its constraint none."""


@dataclass(frozen=True)
class FormProblem:
    """Something of the workbook that was not carried, at its sheet and row."""

    file: str
    sheet: str
    row: int
    message: str
    severity: Literal["error", "warning"] = "error"

    def format(self) -> str:
        """``FILE:SHEET:ROW: error: MESSAGE``, like the config's own problems."""
        return f"{self.file}:{self.sheet}:{self.row}: {self.severity}: {self.message}"


@dataclass
class Imported:
    """A register read from a workbook (None when it has errors) and every problem."""

    register: dict[str, Any] | None
    problems: list[FormProblem] = field(default_factory=list)

    @property
    def errors(self) -> list[FormProblem]:
        """The problems that refuse the register."""
        return [p for p in self.problems if p.severity == "error"]


@dataclass
class _Question:
    data: dict[str, Any]
    row: int
    section: Any = None
    relevant: list[str] = field(default_factory=list)
    type: str = "text"


class _Reader:
    """One import: the workbook's rows, the problems found, the questions kept."""

    def __init__(self, path: Path, dictionaries: Mapping[str, Mapping[str, Label]]) -> None:
        self.file = path.name
        self.dictionaries = dictionaries
        self.problems: list[FormProblem] = []
        self.rows: dict[str, int] = {}
        self.choice_rows: dict[tuple[str, str], int] = {}
        self.questions: list[_Question] = []
        self._section: Any = None
        self._languages_seen: set[tuple[str, str]] = set()
        self.originals: dict[str, str] = {}

    def report(self, row: int, message: str, severity: str = "error",
               sheet: str = "survey") -> None:
        self.problems.append(FormProblem(self.file, sheet, row, message,
                                         severity))  # type: ignore[arg-type]

    def errors_found(self) -> bool:
        """Whether any problem so far refuses the register."""
        return any(p.severity == "error" for p in self.problems)

    # --- the workbook ---------------------------------------------------------------

    def index(self, definition: Any) -> None:
        """Remember each question's and each choice's row (header is row 1), and each
        text as typed: pyxform straightens curly quotes, a label keeps them."""
        from pyxform.parsing.sheet_headers import (  # type: ignore[import-untyped]
            clean_text_values,
        )

        for row in [*(definition.survey or []), *(definition.choices or [])]:
            for value in row.values():
                for strip in (False, True):
                    cleaned = clean_text_values(value, strip_whitespace=strip)
                    if isinstance(value, str) and cleaned != value:
                        self.originals.setdefault(cleaned, value)
        for number, row in enumerate(definition.survey or [], start=2):
            name = _cell(row, "name")
            if name:
                self.rows.setdefault(name, number)
        for number, row in enumerate(definition.choices or [], start=2):
            list_name, name = _cell(row, "list_name"), _cell(row, "name")
            if list_name and name:
                self.choice_rows.setdefault((list_name, name), number)

    def walk(self, children: list[dict[str, Any]], relevant: list[str], parent_row: int) -> None:
        """Flatten groups into sections; refuse repeats."""
        for child in children:
            kind, name = child.get("type", ""), child.get("name", "")
            row = self.rows.get(name, parent_row)
            if kind == "group" and name == "meta" and name not in self.rows:
                continue  # pyxform adds meta/instanceID to every form
            if kind == "group":
                label = self.label(child.get("label"), row, "label")
                if label is not None:
                    self._section = label
                for key in set(child.get("control", {})) - {"appearance", "bodyless"}:
                    self.report(row, f"the group's body attribute '{key}' is not carried",
                                "warning")
                for key in child.get("instance", {}):
                    self.report(row, f"the group's instance attribute '{key}' is not carried",
                                "warning")
                inner = relevant + ([child["bind"]["relevant"]]
                                    if child.get("bind", {}).get("relevant") else [])
                self.walk(child.get("children", []), inner, row)
                if label is not None and self._section is label:
                    self._section = None  # no field of the group was kept to head
            elif kind in ("repeat", "loop"):
                self.report(row, f"the {kind} '{name}' cannot be carried: a register keeps one "
                            "record per submission; make its questions a register of their "
                            "own with a reference field to this one")
            else:
                question = _Question(child, row, relevant=relevant)
                if self.keep(question):
                    question.section, self._section = self._section, None
                    self.questions.append(question)

    def keep(self, question: _Question) -> bool:
        """Whether the question becomes a field; else say why not."""
        data, row = question.data, question.row
        kind, name = data.get("type", ""), data.get("name", "")
        bind = data.get("bind", {})
        if bind.get("gridwork:system"):
            return False  # the engine's own column, written by `gridwork forms export`
        if kind == "note":
            self.report(row, f"the note '{name}' is not carried: a register's form shows "
                        "fields only", "warning")
            return False
        if kind in _METADATA:
            self.report(row, f"the metadata '{kind}' is not carried: a record keeps its own "
                        "reporter and times (created_at, updated_at)", "warning")
            return False
        if kind.endswith(" external") or str(data.get("itemset", "")).endswith(_EXTERNAL):
            self.report(row, f"'{name}' takes its options from outside the form "
                        f"({data.get('itemset') or data.get('query')}); an external select "
                        "cannot be carried: list the options on the choices sheet")
            return False
        marked = bind.get("gridwork:type")
        if marked is not None:
            if marked not in FIELD_TYPES:
                self.report(row, f"unknown gridwork:type '{marked}'; expected one of "
                            + ", ".join(FIELD_TYPES))
                return False
            question.type = marked
        elif kind == "calculate":
            question.type = "text"
        elif kind == "text" and FIELD_TYPES["textarea"].appearance in str(
                data.get("control", {}).get("appearance", "")).split():
            question.type = "textarea"
        elif kind in QUESTION_TYPES:
            question.type = QUESTION_TYPES[kind]
        else:
            self.report(row, f"the question type '{kind}' of '{name}' has no gridwork field "
                        "type; gridwork keeps " + ", ".join(FIELD_TYPES))
            return False
        if name in SYSTEM_FIELDS:
            self.report(row, f"'{name}' is a column the engine keeps on every record; rename "
                        "the question")
            return False
        if not _NAME_RE.match(name):
            suggestion = re.sub(r"[^a-z0-9_]", "_", name.lower()).strip("_")
            if not suggestion[:1].isalpha():
                suggestion = f"q_{suggestion}"
            self.report(row, f"the name '{name}' is not a field name (lower-case letters, "
                        f"digits and '_', starting with a letter); rename it, e.g. "
                        f"'{suggestion}'")
            return False
        return True

    def label(self, value: Any, row: int, column: str, sheet: str = "survey") -> Label | None:
        """A config label from XLSForm text by language; other languages are reported."""
        if value is None:
            return None
        if isinstance(value, str):
            value = self.originals.get(value, value)
            return Label(zh=value, en=value)
        texts: dict[str, str] = {}
        fallback = None
        for language, text in value.items():
            if language == "default":
                fallback = self.originals.get(text, text)
                continue
            locale = locale_of(language)
            if locale is None:
                if (sheet, f"{column}::{language}") not in self._languages_seen:
                    self._languages_seen.add((sheet, f"{column}::{language}"))
                    self.report(1, f"the column '{column}::{language}' is not carried: "
                                "labels are Chinese (zh) and English (en)", "warning", sheet)
                continue
            texts.setdefault(locale, self.originals.get(text, text))
        for locale in ("zh", "en"):
            if fallback is not None:
                texts.setdefault(locale, fallback)
        if not texts:
            return None
        return Label(zh=texts.get("zh"), en=texts.get("en"))

    # --- one field ------------------------------------------------------------------

    def field(self, question: _Question, types: dict[str, str]) -> tuple[dict[str, Any] | None,
                                                                        dict[str, Any] | None]:
        """The field and its rule (if its constraint holds one)."""
        data, row, name = question.data, question.row, question.data["name"]
        bind = dict(data.get("bind", {}))
        spec: dict[str, Any] = {"name": name, "type": question.type}
        for key in ("label", "hint"):
            label = self.label(data.get(key), row, key)
            if label is not None and not (key == "label" and label.zh == label.en == name):
                spec["label" if key == "label" else "help"] = _label_yaml(label)
        if question.section is not None:
            spec["section"] = _label_yaml(question.section)
        self._unsupported(data, row, name)
        required = bind.pop("required", None)
        if required is not None:
            if str(required).strip().lower() in ("yes", "true", "true()", "1"):
                spec["required"] = True
            elif str(required).strip().lower() not in ("no", "false", "false()", "0", ""):
                self.report(row, f"required '{required}' of '{name}' depends on other answers; "
                            "a conditional required cannot be carried: use relevant instead")
        spec.update(self.custom_json(bind.pop("gridwork:options", None), row, "gridwork:options"))
        if question.type in ("choice", "multichoice"):
            spec["choices"] = self.choices(data, row)
        if "default" in data:
            try:
                spec["default"] = default_value(data["default"], question.type)
            except ValueError as err:
                self.report(row, f"the default of '{name}': {err}")
        relevant = question.relevant + ([bind["relevant"]] if bind.get("relevant") else [])
        show_if = self.expression(
            " and ".join(f"({r})" for r in relevant) if len(relevant) > 1 else
            (relevant[0] if relevant else None),
            bind.get("gridwork:show_if"), types, row, f"relevant of '{name}'")
        if show_if:
            spec["show_if"] = show_if
        computed = self.expression(bind.get("calculate"), bind.get("gridwork:computed"), types,
                                   row, f"calculation of '{name}'")
        if computed:
            spec["computed"] = computed
        elif data.get("type") == "calculate":
            self.report(row, f"the calculate '{name}' has no calculation")
        rule = self.constraint(question, bind, spec, types)
        return spec, rule

    def _unsupported(self, data: dict[str, Any], row: int, name: str) -> None:
        if data.get("choice_filter"):
            self.report(row, f"the choice_filter '{data['choice_filter']}' of '{name}' cannot "
                        "be carried: a field offers the same options whatever else was chosen")
        if data.get("media"):
            self.report(row, f"the media prompt ({', '.join(data['media'])}) of '{name}' "
                        "cannot be carried: labels are text")
        for key in ("guidance_hint", "trigger", "tags"):
            if data.get(key):
                self.report(row, f"'{key}' of '{name}' is not carried", "warning")
        appearance = str(data.get("control", {}).get("appearance", ""))
        for word in appearance.split():
            if word not in _PRESENTATION:
                self.report(row, f"the appearance '{word}' of '{name}' is not carried: the "
                            "form picks the input by field type", "warning")
        for key in set(data.get("control", {})) - {"appearance"}:
            self.report(row, f"the body attribute '{key}' of '{name}' is not carried", "warning")
        for key in data.get("instance", {}):
            self.report(row, f"the instance attribute '{key}' of '{name}' is not carried",
                        "warning")
        for key in data.get("bind", {}):
            if key not in _KNOWN_BIND and not key.startswith("gridwork:"):
                self.report(row, f"the bind attribute '{key}' of '{name}' is not carried",
                            "warning")
        if data.get("parameters"):
            self.report(row, f"the parameters of '{name}' are not carried", "warning")
        bind = data.get("bind", {})
        if bind.get("jr:requiredMsg"):
            self.report(row, f"the required message of '{name}' is not carried: the form says "
                        "that a value is required", "warning")
        if str(bind.get("readonly", "")).lower() in ("yes", "true", "true()") \
                and not bind.get("calculate") and not bind.get("gridwork:computed"):
            self.report(row, f"read_only of '{name}' without a calculation is not carried",
                        "warning")

    def custom_json(self, text: str | None, row: int, column: str,
             sheet: str = "survey") -> dict[str, Any]:
        """A JSON object kept in a custom column, or {} after reporting it."""
        try:
            value = json.loads(text or "{}")
        except json.JSONDecodeError as err:
            self.report(row, f"{column} is not JSON: {err}", sheet=sheet)
            return {}
        if not isinstance(value, dict):
            self.report(row, f"{column} must hold a JSON object", sheet=sheet)
            return {}
        return value

    def choices(self, data: dict[str, Any], row: int) -> Any:
        """A shared dictionary's name, a list of codes, or codes with labels."""
        list_name = data.get("list_name") or data.get("itemset") or ""
        options: dict[str, Label] = {}
        for choice in data.get("choices", []):
            code = str(choice.get("name", ""))
            choice_row = self.choice_rows.get((list_name, code), row)
            if code in options:
                self.report(choice_row, f"the choice '{code}' appears twice in the list "
                            f"'{list_name}'", sheet="choices")
                continue
            if choice.get("media"):
                self.report(choice_row, f"the media of choice '{code}' is not carried",
                            "warning", "choices")
            extra = set(choice) - {"name", "label", "media"}
            if extra:
                self.report(choice_row, f"the column(s) {', '.join(sorted(extra))} of choice "
                            f"'{code}' are not carried", "warning", "choices")
            options[code] = self.label(choice.get("label"), choice_row, "label",
                                       "choices") or Label(zh=code, en=code)
        shared = self.dictionaries.get(list_name)
        if shared is not None and dict(shared) == options:
            return list_name
        if all(label.zh == label.en == code for code, label in options.items()):
            return list(options)
        return {code: _label_yaml(label) for code, label in options.items()}

    def expression(self, native: str | None, carried: str | None, types: dict[str, str],
                   row: int, what: str, current: str | None = None) -> str | None:
        """The gridwork expression of an XLSForm one. ``carried`` is the exact gridwork
        text `gridwork forms export` kept beside it; it wins while the XPath still says
        the same (so an expression edited in Excel is read from Excel)."""
        if carried:
            try:
                written = to_xpath(carried, types, current)
            except Untranslatable:
                written = None
            if native is None or (written is not None and _same_xpath(
                    written, native, types, current)):
                return carried
        if native is None:
            return None
        try:
            translated = from_xpath(native, types, current)
        except Untranslatable as err:
            self.report(row, f"the {what} '{native}' cannot be translated: {err}")
            return None
        try:
            names = {n for n, _ in parse_expression(translated).names}
        except ExpressionError as err:
            self.report(row, f"the {what} '{native}' cannot be translated: {err}")
            return None
        missing = sorted(n for n in names
                         if n not in types and n not in SYSTEM_FIELDS and n != "null")
        if missing:
            self.report(row, f"the {what} reads {', '.join(repr(m) for m in missing)}, which "
                        "is not carried")
            return None
        return translated

    def constraint(self, question: _Question, bind: dict[str, Any], spec: dict[str, Any],
                   types: dict[str, str]) -> dict[str, Any] | None:
        """Bounds (``. >= 0``, ``regex(., …)``) become field options; the rest a rule."""
        name, row = spec["name"], question.row
        rest: list[str] = []
        for part in conjuncts(bind.get("constraint") or ""):
            if not take_bound(part, spec):
                rest.append(part)
        message = self.label(bind.get("jr:constraintMsg"), row, "constraint_message")
        native = " and ".join(rest) or None
        carried = bind.get("gridwork:rule")
        if native is None and not carried:
            if message is not None:
                self.report(row, f"the constraint message of '{name}' is not carried: the "
                            "form says what the bounds are", "warning")
            return None
        rule = self.expression(native, carried, types, row, f"constraint of '{name}'", name)
        if rule is None:
            return None
        if not carried:
            rule = tidy(f"{name} == null or ({rule})") if name in _reads(rule) else rule
        entry: dict[str, Any] = {"rule": rule, "message": _label_yaml(message) if message
                                 else dict(DEFAULT_MESSAGE)}
        first = next(iter(_reads(rule)), None)
        if first != name:
            entry["field"] = name
        return entry


def read_xlsform(path: Path, name: str,
                 dictionaries: Mapping[str, Mapping[str, Label]] | None = None) -> Imported:
    """Read the XLSForm at ``path`` as register ``name``. A list named like one of the
    deployment's shared ``dictionaries``, with the same options, is written as its name."""
    from pyxform.errors import PyXFormError  # type: ignore[import-untyped]
    from pyxform.xls2json import workbook_to_json  # type: ignore[import-untyped]
    from pyxform.xls2json_backends import get_xlsform  # type: ignore[import-untyped]

    reader = _Reader(path, dictionaries or {})
    try:
        reader.index(get_xlsform(str(path)))
        survey = workbook_to_json(get_xlsform(str(path)), fallback_form_name=name,
                                  warnings=[])
    except PyXFormError as err:
        message = " ".join(str(err).split())
        row = _ROW_RE.search(message)
        sheet = _SHEET_RE.search(message)
        reader.report(int(row.group(1)) if row else 1,
                      f"pyxform: {_ROW_RE.sub('', message).strip()}",
                      sheet=sheet.group(1) if sheet else "survey")
        return Imported(None, reader.problems)
    reader.walk(survey.get("children", []), [], 1)
    types = {q.data["name"]: q.type for q in reader.questions}
    fields, rules = [], []
    for question in reader.questions:
        spec, rule = reader.field(question, types)
        if spec is not None:
            fields.append(spec)
        if rule is not None:
            rules.append(rule)
    if not fields:
        reader.report(1, "the form has no question a register can keep")
    register = _register(survey, path, fields, rules,
                         reader.custom_json(survey.get("gridwork"), 2, "gridwork", "settings"))
    if not reader.errors_found():
        _validate(reader, register, {q.data["name"]: q.row for q in reader.questions})
    return Imported(None if reader.errors_found() else register, _sorted(reader.problems))


def _sorted(problems: list[FormProblem]) -> list[FormProblem]:
    """Each problem once, sheet by sheet in workbook order, row by row."""
    order = {"survey": 0, "choices": 1, "settings": 2}
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: (order.get(p.sheet, 3), p.row))


def _register(survey: dict[str, Any], path: Path, fields: list[dict[str, Any]],
              rules: list[dict[str, Any]], settings: dict[str, Any]) -> dict[str, Any]:
    """The register: its label from the form's title, and what `gridwork forms export`
    kept of it in the settings column ``gridwork``."""
    register: dict[str, Any] = {"label": settings.pop("label", None)
                                or survey.get("title") or path.stem}
    register.update(settings)
    register["fields"] = fields
    if rules:
        register["validate"] = rules
    return register


def _validate(reader: _Reader, register: dict[str, Any], rows: dict[str, int]) -> None:
    """Check the register against the config schema, reporting at the question's row."""
    try:
        Register.model_validate(register)
    except ValidationError as err:
        for error in err.errors():
            loc = error["loc"]
            row = 1
            if len(loc) > 1 and loc[0] == "fields" and isinstance(loc[1], int):
                row = rows.get(register["fields"][loc[1]]["name"], 1)
            where = ".".join(str(part) for part in loc)
            reader.report(row, f"{where}: {error['msg']}")


def _reads(source: str) -> list[str]:
    try:
        return [n for n, _ in parse_expression(source).names]
    except ExpressionError:
        return []


def _same_xpath(first: str, second: str, types: Mapping[str, str], current: str | None) -> bool:
    try:
        return same_expression(from_xpath(first, types, current),
                               from_xpath(second, types, current))
    except Untranslatable:
        return False


def _cell(row: Mapping[str, Any], key: str) -> str | None:
    for header, value in row.items():
        if header.strip().lower().replace(" ", "_") == key:
            return str(value).strip() if value is not None else None
    return None


def _label_yaml(label: Label) -> Any:
    if label.zh == label.en:
        return label.zh
    return {k: v for k, v in (("zh", label.zh), ("en", label.en)) if v is not None}
