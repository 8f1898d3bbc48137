"""Dispatch: routing rules pick the handling department by category, place and values, and
the user of a role at the record's grid (or at the grid holding its point) to follow it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from ..config import Deployment
from ..config.models import Workflow
from ..config.models.workflows import RoutingRule
from ..hierarchy import ancestor_codes, locate
from ..storage import Schema
from .errors import PluginFailed
from .records import Record

if TYPE_CHECKING:
    from ..runtime import Runtime

log = logging.getLogger("gridwork.plugins")


@dataclass(frozen=True)
class Route:
    """Where dispatch sends a record."""

    department: str
    """The handling department's code."""
    assignee: int | None
    """The user who follows it up, when the rule names a role and someone holds it there."""


Strategy = Callable[[Connection, Schema, Record, RoutingRule], Route | None]
"""A plugin's routing: a Route, or None to fall back to the rule's own fields."""



def category_lineage(deployment: Deployment, category: str | None) -> list[str]:
    """The category's code and its ancestors' codes, nearest first."""
    parents = {c.code: p for c, p in deployment.all_categories()}
    found: list[str] = []
    while category is not None and category in parents:
        found.append(category)
        parent = parents[category]
        category = parent.code if parent is not None else None
    return found


def category_department(deployment: Deployment, category: str | None) -> str | None:
    """The department a category (or its nearest ancestor that names one) is handled by."""
    by_code = {c.code: c for c, _ in deployment.all_categories()}
    for code in category_lineage(deployment, category):
        if by_code[code].department is not None:
            return by_code[code].department
    return None


def route(conn: Connection, runtime: Runtime, workflow: Workflow, record: Record,
          values: Mapping[str, Any], functions: Mapping[str, Callable[..., Any]]) -> Route | None:
    """The first matching rule's route, or None: the record waits for a person to dispatch."""
    schema, deployment = runtime.schema, runtime.deployment
    lineage = category_lineage(deployment, record.category)
    for rule in workflow.routing:
        if rule.category and not set(rule.category) & set(lineage):
            continue
        if rule.under and not set(rule.under) & set(ancestor_codes(record.node_path)):
            continue
        if rule.where is not None and not _holds(rule.where, values, functions):
            continue
        if rule.strategy is not None:
            chosen = _strategy(conn, runtime, record, rule)
            if chosen is not None:
                return chosen
        department = rule.department or category_department(deployment, record.category)
        if department is None:
            continue
        assignee = None
        if rule.assign is not None:
            assignee = assignee_for(conn, schema, rule.assign, record, values)
        return Route(department, assignee)
    return None


def _strategy(conn: Connection, runtime: Runtime, record: Record, rule: RoutingRule,
              ) -> Route | None:
    """The rule's strategy's route; PluginFailed (traceback logged) when a plugin's raises."""
    assert rule.strategy is not None
    offered = runtime.strategies
    schema = runtime.schema
    if rule.strategy not in offered:
        raise LookupError(f"no routing strategy '{rule.strategy}'")
    plugin, strategy = offered[rule.strategy]
    try:
        return strategy(conn, schema, record, rule)  # type: ignore[no-any-return]
    except Exception as err:
        log.exception("plugin %s: routing strategy '%s' failed on %s #%s", plugin,
                      rule.strategy, record.register, record.id)
        raise PluginFailed(plugin, f"routing strategy '{rule.strategy}'", err) from err


def assignee_for(conn: Connection, schema: Schema, role: str, record: Record,
                 values: Mapping[str, Any]) -> int | None:
    """A user holding ``role`` at the grid that holds the record's point, else at the
    record's node; the nearest ancestor's holder when nobody holds it there."""
    path = record.node_path
    point = _point(schema, record.register, values)
    if point is not None:
        located = locate(schema.deployment, *point)
        if located is not None:
            nodes = schema.system("nodes")
            found = conn.execute(select(nodes.c.path).where(nodes.c.code == located)).scalar()
            path = found or path
    codes = ancestor_codes(path)
    nodes, grants = schema.system("nodes"), schema.system("grants")
    query = (select(grants.c.user).join(nodes, nodes.c.id == grants.c.node)
             .where(grants.c.role == role, nodes.c.code.in_(codes))
             .order_by(nodes.c.depth.desc(), grants.c.user).limit(1))
    return conn.execute(query).scalar()


def _point(schema: Schema, register: str, values: Mapping[str, Any],
           ) -> tuple[float, float] | None:
    """The record's first point on the map, if it has one."""
    for spec in schema.deployment.registers[register].fields:
        if schema.field_type(spec).located and values.get(spec.name) is not None:
            lat, lon = values[spec.name]
            return float(lat), float(lon)
    return None


def _holds(condition: Any, values: Mapping[str, Any],
           functions: Mapping[str, Callable[..., Any]]) -> bool:
    try:
        return bool(condition.evaluate(values, functions))
    except Exception:  # noqa: BLE001 - a rule whose condition cannot be evaluated does not match
        return False
