"""Whether a user may take a transition on a record: role (``by``), scope and guard."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Connection

from ..config.models import Transition
from ..hierarchy import covers
from ..storage import Schema
from .actors import Actor, granted
from .records import Record


def in_scope(conn: Connection, schema: Schema, user: Actor, record: Record,
             transition: Transition) -> bool:
    """Whether the user holds one of the transition's roles with the record in its scope."""
    if not transition.by:
        return False
    grants = granted(user, transition.by)
    if not grants.grants:
        return False
    if transition.scope == "assigned":
        return record.assignee is not None and record.assignee == user.id
    if transition.scope == "department":
        return record.department_id is not None and any(
            g.department == record.department_id for g in grants.grants)
    return covers(grants, record.node_id, record.node_path, record.department_id,
                  by_department="department" in schema.table(record.register).c)


def guard_holds(transition: Transition, values: Mapping[str, Any],
                functions: Mapping[str, Callable[..., Any]]) -> bool:
    """Whether the transition's guard holds; one that cannot be evaluated does not."""
    if transition.guard is None:
        return True
    try:
        return bool(transition.guard.evaluate(values, functions))
    except Exception:  # noqa: BLE001 - a guard that fails on these values forbids the move
        return False
