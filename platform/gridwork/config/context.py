"""What the cross-reference checks share: the deployment, its name tables, the problem list."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
import datetime as dt
from typing import TYPE_CHECKING, Any

from ..plugins import Manager
from .expressions import BUILTIN_FUNCTIONS, Expression
from .models import SPECIAL_TARGETS, SYSTEM_FIELDS, Deployment, Target
from .problems import Path, Problem, Severity, unknown

if TYPE_CHECKING:
    from ..forms import FieldType
    from .models import FieldSpec


@dataclass
class Context:
    """A validated deployment being cross-checked; problems accumulate in ``problems``."""

    deployment: Deployment
    field_types: dict[str, FieldType]
    functions: set[str] = field(default_factory=lambda: set(BUILTIN_FUNCTIONS))
    plugins: Manager | None = None
    """The deployment's plugins (None when one fails to load: only built-ins are known)."""

    @property
    def plugins_failed(self) -> bool:
        """A plugin did not load, so names plugins add (actions, functions, strategies,
        channel types) are not reported unknown: its own error says what to fix first."""
        return self.plugins is None and bool(self.deployment.plugins)
    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        d = self.deployment
        self.levels = [level.key for level in d.hierarchy.levels]
        self.node_codes = {node.code for node in d.nodes}
        self.node_level = {node.code: node.level for node in d.nodes}
        self.departments = {dept.code for dept in d.departments}
        self.categories = {cat.code: cat for cat, _ in d.all_categories()}
        self.states = {name for wf in d.workflows.values() for name in wf.states}
        self.channels = set(d.notifications.channels)

    # -- reporting -----------------------------------------------------------

    def error(self, path: Path, message: str, *, at: str = "value", offset: int = 0) -> None:
        """Record an error at a config path."""
        self._add(path, message, "error", at, offset)

    def warn(self, path: Path, message: str, *, at: str = "value") -> None:
        """Record a warning (a lint) at a config path."""
        self._add(path, message, "warning", at, 0)

    def _add(self, path: Path, message: str, severity: Severity, at: str, offset: int) -> None:
        self.problems.append(Problem(message, severity, path, at, offset))  # type: ignore[arg-type]

    # -- field types ---------------------------------------------------------

    def dated(self, spec: FieldSpec) -> bool:
        """Whether a field holds a date or an instant (bounds that move with the clock and
        `until` apply to it)."""
        kind = self.field_types.get(spec.type)
        return kind is not None and kind.python_type in (dt.date, dt.datetime)

    def numeric(self, spec: FieldSpec) -> bool:
        """Whether assessment may sum and average a field."""
        kind = self.field_types.get(spec.type)
        return kind is not None and kind.numeric

    def single_choice(self, spec: FieldSpec) -> bool:
        """Whether a field holds one option of a list."""
        kind = self.field_types.get(spec.type)
        return kind is not None and "choices" in kind.options and not kind.many(spec)

    # -- shared checks -------------------------------------------------------

    def name_in(self, path: Path, kind: str, name: Any, known: Iterable[str],
                at: str = "value") -> bool:
        """Report ``name`` unless it is one of ``known``; return whether it is."""
        options = list(known)
        if name in options:
            return True
        self.error(path, unknown(kind, str(name), options), at=at)
        return False

    def expression(self, path: Path, expr: Expression, names: Iterable[str], what: str,
                   codes: Mapping[str, Sequence[str]] | None = None) -> None:
        """Report names and functions an expression uses that do not exist where it runs,
        and texts compared with a field that holds codes (``codes``) but are none of them."""
        known = set(names)
        for name, col in expr.names:
            if name not in known:
                self.error(path, unknown(what, name, known), offset=col)
        for name, text, col in expr.compared():
            if codes and name in codes and text not in codes[name]:
                self.error(path, unknown(f"code of '{name}'", text, codes[name]), offset=col)
        for name, col in expr.calls:
            if name not in self.functions and not self.plugins_failed:
                self.error(path, unknown("function", name, self.functions), offset=col)

    def target(self, path: Path, target: Target) -> None:
        """Check a notification target: a role (optionally at a level) or a special name."""
        if target.role in SPECIAL_TARGETS and target.level is None:
            return
        roles = list(self.deployment.roles) + list(SPECIAL_TARGETS)
        if self.name_in((*path, "role"), "role", target.role, roles) and target.level:
            self.name_in((*path, "level"), "level", target.level, self.levels)

    def register_names(self, register: str) -> list[str]:
        """Names an expression on ``register``'s records may read."""
        spec = self.deployment.registers.get(register)
        return [*(f.name for f in spec.fields), *SYSTEM_FIELDS] if spec else list(SYSTEM_FIELDS)

    def registers_of(self, workflow: str) -> list[str]:
        """Registers whose records follow ``workflow``."""
        return [n for n, r in self.deployment.registers.items() if r.workflow == workflow]

    def codes(self, registers: Iterable[str], states: Iterable[str] = ()) -> dict[str, list[str]]:
        """The codes each field of ``registers`` that names a code may hold: the record's
        own category, department, severity, priority and state, and fields with choices."""
        d = self.deployment
        found: dict[str, list[str]] = {"category": list(self.categories),
                                       "department": sorted(self.departments)}
        for name in ("severity", "priority"):
            if name in d.choices:
                found[name] = [str(code) for code in d.choices[name]]
        if states:
            found["state"] = list(states)
        for register in registers:
            for spec in d.registers[register].fields:
                options = self.choice_codes(spec.choices)
                if options is not None:
                    found[spec.name] = sorted({*found.get(spec.name, ()), *options})
        return found

    def choice_codes(self, choices: Any) -> list[str] | None:
        """The codes a field's ``choices:`` allows; None when it names no known list."""
        if isinstance(choices, str):
            options = self.deployment.choices.get(choices)
            return [str(c) for c in options] if options is not None else None
        if choices is None:
            return None
        return [str(c) for c in choices]

    def workflow_fields(self, workflow: str) -> list[str]:
        """Fields (with system fields) of every register that follows ``workflow``."""
        names: list[str] = list(SYSTEM_FIELDS)
        for register in self.registers_of(workflow):
            names.extend(f.name for f in self.deployment.registers[register].fields)
        return names
