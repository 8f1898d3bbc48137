"""Write a register as an XLSForm workbook, to be filled offline in ODK Collect or KoboToolbox.

Everything the XLSForm standard can say is said natively (types, choices, required,
relevant, constraints with their messages, calculations, groups), so the phones enforce
it. What only gridwork knows (an ID-card type, ``unique``, an expression with no XPath
counterpart) rides along in ``bind::gridwork:*`` attributes, which the phones ignore and
`gridwork forms import` reads back: export then import gives the same register.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
from pathlib import Path
from typing import Any

from ..config import Deployment
from ..config.models import FieldSpec, Register, Rule
from ..config.types import Label, Moment
from .xlsform_expressions import Untranslatable, from_xpath, same_expression, to_xpath
from .xlsform_types import BOOLEAN_CHOICES, FIELD_TYPES, LANGUAGES, NAMESPACE, xlsform_texts

_ZH, _EN = LANGUAGES["zh"], LANGUAGES["en"]
SURVEY_COLUMNS = (
    "type", "name", f"label::{_ZH}", f"label::{_EN}", f"hint::{_ZH}", f"hint::{_EN}",
    "required", "relevant", "constraint", f"constraint_message::{_ZH}",
    f"constraint_message::{_EN}", "calculation", "read_only", "default", "appearance",
    "bind::gridwork:type", "bind::gridwork:system", "bind::gridwork:show_if",
    "bind::gridwork:computed", "bind::gridwork:rule", "bind::gridwork:options",
)
CHOICE_COLUMNS = ("list_name", "name", f"label::{_ZH}", f"label::{_EN}")
BOOLEAN_LIST = "gridwork_yes_no"
_BOOLEAN_LABELS = {"yes": Label(zh="是", en="Yes"), "no": Label(zh="否", en="No")}
_OPTIONS = ("unique", "personal", "decimals", "multiple", "max_size", "register_name",
            "level", "role", "renamed_from")
"""FieldSpec options XLSForm has no column for, kept in ``bind::gridwork:options``."""
_REGISTER_OPTIONS = ("workflow", "categorized", "attach_to", "title", "create", "renamed_from")


class ExportRefused(ValueError):
    """The register holds something an XLSForm cannot carry; nothing was written."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def export_xlsform(deployment: Deployment, name: str, path: Path) -> list[str]:
    """Write register ``name`` to ``path``; return warnings (what ODK will not enforce)."""
    register = deployment.registers.get(name)
    if register is None:
        raise ExportRefused([f"unknown register '{name}'; the deployment has "
                             + ", ".join(deployment.registers)])
    writer = _Writer(deployment, name, register)
    writer.build()
    if writer.errors:
        raise ExportRefused(writer.errors)
    writer.save(path)
    return writer.warnings


class _Writer:
    def __init__(self, deployment: Deployment, name: str, register: Register) -> None:
        self.deployment, self.name, self.register = deployment, name, register
        self.survey: list[dict[str, Any]] = []
        self.choices: list[tuple[str, str, Label]] = []
        self.lists: set[str] = set()
        self.errors: list[str] = []
        self.warnings: list[str] = []
        self.types = {spec.name: spec.type for spec in register.fields}
        self.types["node"] = "text"
        if register.categorized:
            self.types |= {"category": "choice", "severity": "choice"}
        self.rules = self._rules_by_field()

    def build(self) -> None:
        self._system_questions()
        section = 0
        for spec in self.register.fields:
            if spec.section is not None:
                if section:
                    self.survey.append({"type": "end_group"})
                section += 1
                self.survey.append({"type": "begin_group", "name": f"section_{section}",
                                    **_texts("label", spec.section)})
            self._question(spec)
        if section:
            self.survey.append({"type": "end_group"})

    def _system_questions(self) -> None:
        """The record's place (and category) are questions too: `gridwork import` needs
        the node column, and expressions may read the category."""
        levels = {level.key: level for level in self.deployment.hierarchy.levels}
        level = levels[self.deployment.record_levels(self.name)[0]]
        self.survey.append({"type": "text", "name": "node", "required": "yes",
                            **_texts("label", level.label),
                            **_texts("hint", Label(zh="节点编码", en="Node code")),
                            "bind::gridwork:system": "node"})
        if not self.register.categorized:
            return
        categories = [(c.code, c.label) for c, _ in self.deployment.all_categories()]
        self._list("category", categories)
        self.survey.append({"type": "select_one category", "name": "category",
                            "required": "yes", **_texts("label", Label(zh="类别", en="Category")),
                            "bind::gridwork:system": "category"})
        severities = self.deployment.choices.get("severity")
        if severities:
            self._list("severity", list(severities.items()))
            self.survey.append({"type": "select_one severity", "name": "severity",
                                **_texts("label", Label(zh="严重程度", en="Severity")),
                                "bind::gridwork:system": "severity"})

    def _question(self, spec: FieldSpec) -> None:
        kind = FIELD_TYPES.get(spec.type)
        if kind is None:
            self.errors.append(f"{self.name}.{spec.name}: the field type '{spec.type}' has no "
                               "XLSForm question type")
            return
        row: dict[str, Any] = {"name": spec.name, "type": kind.question,
                               **_texts("label", spec.label or Label(spec.name, spec.name)),
                               **_texts("hint", spec.help)}
        if kind.question in ("select_one", "select_multiple"):
            row["type"] += " " + self._choices(spec)
        if kind.appearance:
            row["appearance"] = kind.appearance
        if kind.marked:
            row["bind::gridwork:type"] = spec.type
        if spec.required:
            row["required"] = "yes"
        if spec.default is not None:
            row["default"] = _default(spec.default)
        options = {key: getattr(spec, key) for key in _OPTIONS
                   if getattr(spec, key) not in (None, False)}
        if "register_name" in options:
            options["register"] = options.pop("register_name")
        bounds = self._bounds(spec, options)
        if options:
            row["bind::gridwork:options"] = json.dumps(options, ensure_ascii=False)
        if spec.show_if is not None:
            self._expression(row, "relevant", "show_if", str(spec.show_if), spec)
        if spec.computed is not None:
            self._expression(row, "calculation", "computed", str(spec.computed), spec)
            row["read_only"] = "yes"
        self._constraint(row, spec, bounds)
        self.survey.append(row)

    def _choices(self, spec: FieldSpec) -> str:
        if spec.type == "boolean":
            if BOOLEAN_LIST not in self.lists:
                self._list(BOOLEAN_LIST, [(c, _BOOLEAN_LABELS[c]) for c in BOOLEAN_CHOICES])
            return BOOLEAN_LIST
        if isinstance(spec.choices, str):
            if spec.choices not in self.lists:
                self._list(spec.choices, list(self.deployment.choices[spec.choices].items()))
            return spec.choices
        name = spec.name if spec.name not in self.lists else f"{spec.name}_options"
        if isinstance(spec.choices, dict):
            self._list(name, list(spec.choices.items()))
        else:
            codes: tuple[str, ...] = spec.choices or ()
            self._list(name, [(code, Label(code, code)) for code in codes])
        return name

    def _list(self, name: str, options: list[tuple[str, Label]]) -> None:
        self.lists.add(name)
        self.choices.extend((name, code, label) for code, label in options)

    def _bounds(self, spec: FieldSpec, options: dict[str, Any]) -> list[str]:
        """The constraint parts that say min/max/length/pattern; bounds XPath cannot say
        (``today - 120y``) go to the options."""
        parts = []
        for key, op in (("min", ">="), ("max", "<=")):
            bound = getattr(spec, key)
            if bound is None:
                continue
            if isinstance(bound, Moment):
                if bound.amount == 0:
                    parts.append(f". {op} {bound.base}()")
                else:
                    options[key] = str(bound)
            elif isinstance(bound, dt.date):
                parts.append(f". {op} date('{bound.isoformat()}')")
            else:
                parts.append(f". {op} {bound:g}")
        if spec.min_length is not None:
            parts.append(f"string-length(.) >= {spec.min_length}")
        if spec.max_length is not None:
            parts.append(f"string-length(.) <= {spec.max_length}")
        if spec.pattern is not None:
            if "'" in spec.pattern:
                options["pattern"] = spec.pattern
            else:
                parts.append(f"regex(., '{spec.pattern}')")
        return parts

    def _expression(self, row: dict[str, Any], column: str, key: str, source: str,
                    spec: FieldSpec, current: str | None = None) -> str | None:
        """Write ``source`` as XPath where it translates; keep the gridwork text beside it
        unless the XPath reads back as the same expression."""
        try:
            xpath: str | None = to_xpath(source, self.types, current)
        except Untranslatable as err:
            xpath = None
            self.warnings.append(f"{self.name}.{spec.name}: {key} '{source}' has no XLSForm "
                                 f"counterpart ({err}); ODK will not apply it, gridwork does")
        if column:
            row[column] = xpath or ""
        if xpath is None or not _reads_back(xpath, source, self.types, current):
            row[f"bind::gridwork:{key}"] = source
        return xpath

    def _constraint(self, row: dict[str, Any], spec: FieldSpec, bounds: list[str]) -> None:
        rules = self.rules.get(spec.name, [])
        if len(rules) > 1:
            self.errors.append(f"{self.name}.{spec.name}: {len(rules)} rules check this field; "
                               "an XLSForm question has one constraint: give all but one "
                               "another `field:`")
        parts = list(bounds)
        if rules:
            rule = rules[0]
            inner = _unguarded(str(rule.rule), spec.name)
            xpath = self._rule_xpath(row, spec, inner, str(rule.rule))
            if xpath:
                parts.append(f"({xpath})")
            row.update(_texts("constraint_message", rule.message))
        if parts:
            row["constraint"] = " and ".join(parts)

    def _rule_xpath(self, row: dict[str, Any], spec: FieldSpec, inner: str,
                    source: str) -> str | None:
        try:
            xpath: str | None = to_xpath(inner, self.types, spec.name)
        except Untranslatable as err:
            xpath = None
            self.warnings.append(f"{self.name}.{spec.name}: the rule '{source}' has no "
                                 f"XLSForm counterpart ({err}); ODK will not check it, "
                                 "gridwork does")
        guarded = None
        if xpath is not None:
            try:
                back = from_xpath(xpath, self.types, spec.name)
                guarded = f"{spec.name} == null or ({back})" if spec.name in _names(back) \
                    else back
            except Untranslatable:
                guarded = None
        if guarded is None or not same_expression(guarded, source):
            row["bind::gridwork:rule"] = source
        return xpath

    def _rules_by_field(self) -> dict[str, list[Rule]]:
        by_field: dict[str, list[Rule]] = {}
        for rule in self.register.rules:
            target = rule.field or next((n for n, _ in rule.rule.names), None)
            if target is None or target not in self.types:
                self.errors.append(f"{self.name}: the rule '{rule.rule}' reads no field")
                continue
            by_field.setdefault(target, []).append(rule)
        return by_field

    def save(self, path: Path) -> None:
        from openpyxl import Workbook  # type: ignore[import-untyped]

        book = Workbook()
        survey = book.active
        survey.title = "survey"
        survey.append(SURVEY_COLUMNS)
        for row in self.survey:
            survey.append([_text(row.get(column)) for column in SURVEY_COLUMNS])
        choices = book.create_sheet("choices")
        choices.append(CHOICE_COLUMNS)
        for list_name, code, label in self.choices:
            texts = xlsform_texts(label)
            choices.append([list_name, code, _text(texts.get(_ZH)), _text(texts.get(_EN))])
        settings = book.create_sheet("settings")
        register = self.register
        extra: dict[str, Any] = {"label": {"zh": register.label.zh, "en": register.label.en}}
        for key in _REGISTER_OPTIONS:
            value = getattr(register, key)
            if value not in (None, False):
                extra[key] = (list(value) if isinstance(value, tuple) else
                              value.model_dump() if hasattr(value, "model_dump") else value)
        locale = self.deployment.about.locale
        settings.append(("form_title", "form_id", "version", "default_language",
                         "namespaces", "gridwork"))
        settings.append((_text(register.label.text(locale)), self.name,
                         self.deployment.source_hash[:12] or "1", LANGUAGES.get(locale, _ZH),
                         NAMESPACE, _text(json.dumps(extra, ensure_ascii=False))))
        path.parent.mkdir(parents=True, exist_ok=True)
        book.save(path)


def _texts(column: str, label: Label | None) -> dict[str, str]:
    return {f"{column}::{language}": text for language, text in xlsform_texts(label).items()}


def _default(value: Any) -> str:
    if isinstance(value, bool):
        return BOOLEAN_CHOICES[0] if value else BOOLEAN_CHOICES[1]
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _text(value: Any) -> Any:
    """A cell that openpyxl keeps as text even when it begins with '='."""
    if isinstance(value, str) and value.startswith("="):
        return " " + value
    return value


def _unguarded(source: str, name: str) -> str:
    """``name == null or (X)``, the way an XLSForm constraint reads, as X."""
    tree = ast.parse(source.strip(), mode="eval").body
    if (isinstance(tree, ast.BoolOp) and isinstance(tree.op, ast.Or) and len(tree.values) == 2
            and ast.unparse(tree.values[0]) == f"{name} == null"):
        return ast.unparse(tree.values[1])
    return source


def _names(source: str) -> set[str]:
    return {n.id for n in ast.walk(ast.parse(source, mode="eval")) if isinstance(n, ast.Name)}


def _reads_back(xpath: str, source: str, types: dict[str, str], current: str | None) -> bool:
    try:
        return same_expression(from_xpath(xpath, types, current), source)
    except Untranslatable:
        return False
