"""Which fields each step's form takes: the new-record form, the edit form, and each
transition's form.

Fields a transition asks for (`require`, `optional`) or sets (`set:`) belong to that
step — a handling result, a satisfaction rating — so the new-record form leaves them out
unless the register lists them in `create:`, and the edit form leaves them out unless
the new-record form takes them: an edit corrects what was reported, it does not handle.
"""

from __future__ import annotations

from collections.abc import Collection

from ..config.expressions import Expression
from ..config.models import Deployment, Register, Transition


def transition_fields(register: Register, transition: Transition) -> tuple[str, ...]:
    """The register's fields a transition's form shows: those it requires, then its optional
    ones."""
    names = (*transition.require, *transition.optional)
    return tuple(name for name in dict.fromkeys(names) if register.field(name) is not None)


def create_fields(deployment: Deployment, register_name: str) -> tuple[str, ...]:
    """The fields, in form order, the form for a new record of ``register_name`` takes."""
    register = deployment.registers[register_name]
    if register.create is not None:
        return tuple(spec.name for spec in register.fields if spec.name in register.create)
    later = _step_fields(deployment, register)
    return tuple(spec.name for spec in register.fields
                 if spec.name not in later and not _reads_only(register, spec.computed, later))


def edit_fields(deployment: Deployment, register_name: str) -> tuple[str, ...]:
    """The fields, in form order, the form editing a record of ``register_name`` takes."""
    register = deployment.registers[register_name]
    later = _step_fields(deployment, register).keys() - set(register.create or ())
    return tuple(spec.name for spec in register.fields
                 if spec.name not in later and not _reads_only(register, spec.computed, later))


def taken_by(deployment: Deployment, register_name: str, field: str) -> tuple[str, ...]:
    """The transitions that ask for or set ``field`` (none for a field no step takes)."""
    register = deployment.registers[register_name]
    return tuple(_step_fields(deployment, register).get(field, ()))


def _reads_only(register: Register, computed: Expression | None,
                later: Collection[str]) -> bool:
    """Whether a computed field reads fields, and only ones a later step takes."""
    if computed is None:
        return False
    read = [name for name, _ in computed.names if register.field(name) is not None]
    return bool(read) and all(name in later for name in read)


def _step_fields(deployment: Deployment, register: Register) -> dict[str, list[str]]:
    """Fields some transition of the register's workflow asks for or sets, each with the
    names of those transitions."""
    workflow = deployment.workflows.get(register.workflow) if register.workflow else None
    names: dict[str, list[str]] = {}
    for transition in workflow.transitions if workflow is not None else ():
        taken = [*transition.require, *transition.optional]
        for action in transition.actions:
            settings = action.get("set")
            if isinstance(settings, dict):
                taken.extend(settings)
        for name in dict.fromkeys(taken):
            names.setdefault(name, []).append(transition.name)
    return names
