"""Where demo workflow records sit and what they hold, so that a demo user can act on each.

An open record is only useful in a demo when somebody who can sign in may take a step on
it: the seeder picks, for the record's state, a transition and a demo user allowed to take
it, then a node inside that user's reach (and the user as assignee where the step is for
the assignee). Fields that a later step fills (a handling result, a revisit's
satisfaction) stay empty until the record's state lies past such a step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..config import Deployment
from ..config.models import Transition, Workflow
from ..workflow.actors import may


@dataclass(frozen=True)
class DemoGrant:
    """A demo user's grant, with codes where the database keeps ids."""

    role: str
    scope: str
    node: str | None
    department: str | None


@dataclass(frozen=True)
class DemoUser:
    """A demo user and where they may act."""

    username: str
    id: int
    grants: tuple[DemoGrant, ...]


@dataclass(frozen=True)
class Placement:
    """Where an open record goes and whom it is assigned to, for one step somebody may take."""

    transition: str
    user: str
    nodes: tuple[str, ...]
    assignee: int | None


class Reach:
    """Which nodes of the tree lie under which: a grant's reach over a register's places."""

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self._parent = {n.code: n.parent for n in deployment.nodes}
        self._lines: dict[str, frozenset[str]] = {}

    def line(self, code: str) -> frozenset[str]:
        """The node and its ancestors."""
        found = self._lines.get(code)
        if found is None:
            chain: list[str] = []
            at: str | None = code
            while at is not None:
                chain.append(at)
                at = self._parent.get(at)
            found = self._lines[code] = frozenset(chain)
        return found

    def sees(self, grant: DemoGrant, node: str, department: str | None,
             by_department: bool) -> bool:
        """Whether the grant covers a record at ``node`` of ``department``, as the scope
        filter decides (a departmental grant sees its department's records anywhere)."""
        if grant.department is not None and by_department:
            return department == grant.department
        if grant.node is None:
            return False
        if grant.scope == "node":
            return node == grant.node
        return grant.node in self.line(node)


def step_fields(workflow: Workflow) -> dict[str, set[str]]:
    """Field → the states whose transitions ask for it or set it."""
    fields: dict[str, set[str]] = {}
    for transition in workflow.transitions:
        names = set(transition.require)
        for action in transition.actions:
            values = action.get("set")
            if isinstance(values, Mapping):
                names.update(values)
        for name in names:
            fields.setdefault(name, set()).add(transition.to)
    return fields


def reaching(workflow: Workflow) -> dict[str, set[str]]:
    """State → the states it can lead to (itself included)."""
    onward: dict[str, set[str]] = {state: set() for state in workflow.states}
    for transition in workflow.transitions:
        for origin in transition.from_:
            onward.setdefault(origin, set()).add(transition.to)
    found: dict[str, set[str]] = {}
    for state in workflow.states:
        seen, frontier = {state}, [state]
        while frontier:
            for nxt in onward.get(frontier.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    frontier.append(nxt)
        found[state] = seen
    return found


def filled_in(workflow: Workflow, state: str) -> Callable[[str], bool]:
    """Whether a field holds a value in ``state``: a field a step asks for only once the
    record has passed such a step."""
    asked, onward = step_fields(workflow), reaching(workflow)

    def filled(name: str) -> bool:
        targets = asked.get(name)
        return targets is None or any(state in onward[target] for target in targets)
    return filled


def guard_holds(transition: Transition, scope: Mapping[str, Any],
                functions: Mapping[str, Callable[..., Any]]) -> bool:
    """Whether the transition's guard holds on the record's values (unevaluable: no)."""
    if transition.guard is None:
        return True
    try:
        return bool(transition.guard.evaluate(scope, functions))
    except Exception:  # noqa: BLE001 - a guard that fails on these values forbids the step
        return False


def placements(deployment: Deployment, reach: Reach, register: str, state: str,
               scope: Mapping[str, Any], places: list[str], users: list[DemoUser],
               functions: Mapping[str, Callable[..., Any]],
               by_department: bool) -> list[Placement]:
    """Every (step, demo user) that could act on a record in ``state`` with these values."""
    workflow = deployment.workflows[deployment.registers[register].workflow or ""]
    department = scope.get("department")
    found: list[Placement] = []
    for transition in workflow.transitions:
        if state not in transition.from_ or not transition.by:
            continue
        if not guard_holds(transition, scope, functions):
            continue
        for user in users:
            viewing = [g for g in user.grants if may(deployment, g.role, "view", register)]
            acting = [g for g in user.grants if g.role in transition.by]
            if not acting or not viewing:
                continue
            if transition.scope == "department" and not any(
                    g.department is not None and g.department == department for g in acting):
                continue
            judge = viewing if transition.scope != "subtree" else [
                g for g in acting if g in viewing]
            nodes = tuple(node for node in places
                          if any(reach.sees(g, node, department, by_department) for g in judge))
            if nodes:
                assignee = user.id if transition.scope == "assigned" else None
                found.append(Placement(transition.name, user.username, nodes, assignee))
    return found
