"""The configuration language as one pydantic model tree, rooted at `Deployment`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field, PrivateAttr

from ..types import Code, LabelType, Name
from .base import Model
from .open311 import Open311
from .organisation import (
    VERBS,
    Calendar,
    Department,
    DeploymentInfo,
    Hierarchy,
    Level,
    Role,
)
from .outputs import Assessment, Dashboard, Notifications, PluginType
from .registers import SYSTEM_FIELDS, FieldSpec, Leaves, Register, Rule
from .timing import SPECIAL_TARGETS, EscalationStep, LimitRule, Reminder, Schedule, Target
from .workflows import Category, Queue, State, Transition, Workflow

TOP_LEVEL_KEYS = (
    "deployment", "calendar", "hierarchy", "departments", "roles", "choices", "registers",
    "categories", "workflows", "limits", "reminders", "escalation", "schedules",
    "notifications", "assessment", "dashboards", "plugins", "open311",
)


@dataclass(frozen=True, slots=True)
class Node:
    """A grid node as loaded from the config or its CSV file."""

    code: str
    name: str
    level: str
    parent: str | None


class Deployment(Model):
    """A whole deployment: everything an administrator says about their grid system."""

    # Written `deployment:` in YAML; read as `deployment.about` in code.
    about: DeploymentInfo = Field(alias="deployment")
    """Name, title, time zone and locale."""
    calendar: Calendar = Calendar()
    """The business calendar for working-time limits."""
    hierarchy: Hierarchy
    """The grid tree: levels and nodes."""
    departments: tuple[Department, ...] = ()
    """Functional departments (条) that handle events."""
    roles: dict[Name, Role]
    """Kinds of users by key (the key is also the demo user's name)."""
    choices: dict[Name, dict[Code, LabelType]] = {}
    """Shared dictionaries (code → label) that choice fields name."""
    registers: dict[Name, Register]
    """Registers (台账) by key: each becomes a table and a form."""
    categories: tuple[Category, ...] = ()
    """The event category tree (大类/小类) with departments and time limits."""
    workflows: dict[Name, Workflow] = {}
    """Lifecycles by key, named by registers."""
    limits: tuple[LimitRule, ...] = ()
    """Default time limits per state; categories override them."""
    reminders: tuple[Reminder, ...] = ()
    """Reminders sent before deadlines."""
    escalation: dict[Name, tuple[EscalationStep, ...]] = {}
    """Escalation ladders by name; `default` serves categories that name none."""
    schedules: tuple[Schedule, ...] = ()
    """Recurring duties (inspections, visits, reports)."""
    notifications: Notifications = Notifications()
    """Channels, message templates and who gets what."""
    assessment: Assessment | None = None
    """Periodic scoring (考核)."""
    dashboards: dict[Name, Dashboard] = {}
    """What leads the dashboard for a role (by role key); without, the usual order."""
    plugins: tuple[PluginType, ...] = ()
    """Plugins to load, each a module name or {module, settings}."""
    open311: Open311 | None = None
    """Public reporting over Open311 GeoReport v2 (off when absent)."""

    _nodes: tuple[Node, ...] = PrivateAttr(default=())
    _boundaries: dict[str, dict[str, Any]] = PrivateAttr(default_factory=dict)
    _root: Path = PrivateAttr(default=Path("."))
    _source_hash: str = PrivateAttr(default="")
    _with_children: frozenset[str] | None = PrivateAttr(default=None)
    _source_files: dict[str, bytes] = PrivateAttr(default_factory=dict)

    @property
    def root(self) -> Path:
        """The deployment folder it was loaded from."""
        return self._root

    @property
    def source_files(self) -> dict[str, bytes]:
        """Every file the deployment was read from, by name relative to its folder."""
        return dict(self._source_files)

    @property
    def source_hash(self) -> str:
        """SHA-256 over every file the deployment was read from: its config version."""
        return self._source_hash

    @property
    def nodes(self) -> tuple[Node, ...]:
        """Every grid node, parents before children."""
        return self._nodes

    @property
    def boundaries(self) -> dict[str, dict[str, Any]]:
        """GeoJSON geometry per node code, for nodes that have one."""
        return self._boundaries

    def all_categories(self) -> Iterator[tuple[Category, Category | None]]:
        """Every category of the tree with its parent, depth first."""
        for top in self.categories:
            yield from top.walk()

    def record_levels(self, register: str) -> tuple[str, ...]:
        """The levels whose nodes may hold records of ``register`` (see `attach_to`)."""
        attach = self.registers[register].attach_to
        if attach is None:
            return (self.hierarchy.levels[-1].key,)
        if isinstance(attach, str):
            return (attach,)
        if isinstance(attach, Leaves):
            return self.hierarchy.below(attach.leaves)
        return tuple(attach)

    def holds_records(self, register: str, code: str, level: str) -> bool:
        """Whether records of ``register`` may sit on node ``code`` of ``level``."""
        if level not in self.record_levels(register):
            return False
        if not isinstance(self.registers[register].attach_to, Leaves):
            return True
        if self._with_children is None:
            self._with_children = frozenset(n.parent for n in self._nodes if n.parent)
        return code not in self._with_children

    def record_place(self, register: str) -> str:
        """Where records of ``register`` sit, in words for a refusal."""
        attach = self.registers[register].attach_to
        if isinstance(attach, Leaves):
            return f"a node without children at or below {attach.leaves}"
        return "a " + " or ".join(self.record_levels(register))

    def record_nodes(self, register: str) -> list[Node]:
        """The nodes that may hold records of ``register``, parents first."""
        return [n for n in self._nodes if self.holds_records(register, n.code, n.level)]

    def department(self, code: str) -> Department | None:
        """The department with ``code``, if any."""
        return next((d for d in self.departments if d.code == code), None)


__all__ = [
    "SPECIAL_TARGETS", "SYSTEM_FIELDS", "TOP_LEVEL_KEYS", "VERBS", "Assessment", "Calendar",
    "Category", "Dashboard", "Department", "Deployment", "DeploymentInfo", "EscalationStep",
    "FieldSpec", "Hierarchy", "Leaves", "Level", "LimitRule", "Node", "Notifications", "Open311",
    "Queue", "Register", "Reminder", "Role", "Rule", "Schedule", "State", "Target", "Transition",
    "Workflow",
]
