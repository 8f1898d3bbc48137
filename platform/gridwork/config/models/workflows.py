"""How events move: the category tree, workflows (states, transitions, switches), routing, queues."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from ..expressions import ExpressionType
from ..types import Code, DurationType, LabelType, Name
from .base import Model, OneOrMany, either
from .registers import Rule

LimitSpec = either(text=DurationType, number=DurationType, mapping=dict[Code, DurationType])
"""A time limit: one duration, or one per severity (`{general: 3wd, major: 1wd}`)."""


class Category(Model):
    """A node of the event category tree (大类/小类); children inherit what they leave out."""

    code: Code
    """Code unique in the whole tree."""
    label: LabelType
    """The category's name."""
    department: Code | None = None
    """The department that handles events of this category."""
    severities: tuple[Code, ...] | None = None
    """Severity codes allowed, from the `severity` choice list (e.g. general, major)."""
    limits: dict[Name, LimitSpec] = {}
    """Time limit per workflow state: `{accepting: 2wh, handling: {general: 3wd, major: 1wd}}`."""
    escalation: either(text=Name, mapping=dict[Code, Name]) | None = None  # type: ignore[valid-type]
    """The escalation ladder (a key of `escalation:`), or one per severity
    (`{general: default, major: major_hazard}`); default: `default`."""
    children: tuple[Category, ...] = ()
    """Subcategories (小类)."""

    def walk(self, parent: Category | None = None) -> list[tuple[Category, Category | None]]:
        """This category and all below it, each with its parent."""
        found: list[tuple[Category, Category | None]] = [(self, parent)]
        for child in self.children:
            found.extend(child.walk(self))
        return found


class AutoStep(Model):
    """A transition the system takes by itself as soon as a record enters the state."""

    transition: Name
    """Name of a transition that starts from this state."""
    if_: Annotated[Name | None, Field(alias="if")] = None
    """Only when this switch is on."""
    unless: Name | None = None
    """Only when this switch is off."""


class State(Model):
    """A state of a workflow."""

    label: LabelType
    """The state's name as users see it."""
    initial: bool = False
    """New records start here (exactly one state)."""
    final: bool = False
    """Records here are done."""
    paused: bool = False
    """Time limits stop while a record is here (e.g. waiting for the reporter)."""
    auto: AutoStep | None = None
    """A transition the system takes on entering the state."""


class Transition(Model):
    """A move from one or more states to another, taken by people of given roles."""

    name: Name
    """The action's key (the API's action name)."""
    label: LabelType | None = None
    """The button's text; default the name."""
    from_: Annotated[OneOrMany[Name], Field(alias="from")]
    """The state(s) it leaves."""
    to: Name
    """The state it enters."""
    by: OneOrMany[Name] = ()
    """Roles that may take it; empty for one only the system takes (see a state's `auto`)."""
    scope: Literal["subtree", "assigned", "department"] = "subtree"
    """Who among those roles: anyone whose scope holds the record, only its assignee,
    or staff of its handling department. A new record whose first state has a step for
    the assignee only is assigned to its reporter when they hold one of that step's roles
    (a grid worker logs a patrol, then completes it)."""
    require: OneOrMany[Name] = ()
    """Fields that must be filled to take it (`comment` for a written reason)."""
    optional: OneOrMany[Name] = ()
    """Fields its form also shows and takes, which may be left empty."""
    rules: Annotated[tuple[Rule, ...], Field(alias="validate")] = ()
    """Checks across the record's fields made when it is taken, as a register's `validate`."""
    guard: ExpressionType | None = None
    """Allowed only when this expression holds (for the system's `auto` steps too)."""
    actions: tuple[dict[str, Any], ...] = ()
    """Effects, each `{action: argument}`: `assign: ROLE`, `notify: [TARGET…]`,
    `set: {FIELD: VALUE}` (literal values), `supervise: true`, `start_timer: NAME`,
    `stop_timer: NAME`, `dispatch: true` (plugins add more)."""
    new_round: bool = False
    """Starts a new round of handling (二次处理); earlier rounds stay in the history."""


class RoutingRule(Model):
    """Where dispatch sends a record; the first matching rule wins."""

    category: OneOrMany[Code] = ()
    """Categories (with their subcategories) the rule applies to; empty: all."""
    under: OneOrMany[Code] = ()
    """Node codes whose subtrees the rule applies to; empty: everywhere."""
    where: ExpressionType | None = None
    """Only records for which this expression holds."""
    department: Code | None = None
    """Handling department; default: the category's."""
    assign: Name | None = None
    """Role whose user at the record's grid (or the grid holding its point) is assigned."""
    strategy: Name | None = None
    """A routing strategy from a plugin, tried before the fields above."""


class Queue(Model):
    """A work queue (待分发, 待接受…): records in given states for given roles."""

    label: LabelType
    """The queue's name in the navigation."""
    states: OneOrMany[Name] = ()
    """States whose records it lists."""
    roles: OneOrMany[Name]
    """Roles that see it."""
    assigned: Literal["any", "me", "my_department"] = "any"
    """Which records: all in scope, those assigned to the user, or to the user's department."""
    overdue: bool = False
    """Only records past their deadline."""


class Workflow(Model):
    """A lifecycle: states, the transitions between them, switches, routing and queues."""

    label: LabelType
    """The workflow's name."""
    states: dict[Name, State]
    """States by key."""
    transitions: tuple[Transition, ...]
    """Moves between states."""
    switches: dict[Name, bool] = {}
    """On/off switches the states' `auto` steps and limits refer to, e.g.
    auto_dispatch (自动分发), revisit (是否回访), auto_archive (自动归档)."""
    routing: tuple[RoutingRule, ...] = ()
    """Dispatch rules; the first that matches wins."""
    queues: dict[Name, Queue] = {}
    """Work queues by key."""

    @model_validator(mode="after")
    def _one_initial(self) -> Workflow:
        initial = [name for name, state in self.states.items() if state.initial]
        if len(initial) != 1:
            found = ", ".join(initial) if initial else "none"
            raise ValueError(f"a workflow needs exactly one initial state (found: {found})")
        return self

    @property
    def initial_state(self) -> str:
        """The state new records start in."""
        return next(name for name, state in self.states.items() if state.initial)

    def assignee_steps(self, state: str) -> tuple[Transition, ...]:
        """The steps out of ``state`` that people take, and only the record's assignee."""
        return tuple(t for t in self.transitions
                     if state in t.from_ and t.by and t.scope == "assigned")
