"""gridwork plugin: the `nearest` routing strategy.

A routing rule with `strategy: nearest` sends a new event to the on-duty grid worker nearest
its point (by their last reported position, else their grid's centre), within the handling
department's area and a maximum distance; otherwise the rule's own fields apply.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from gridwork.plugins import hookimpl

__version__ = "0.1.0"


class Positions(BaseModel):
    """Where workers report where they are: a register with a point field (e.g. patrols)."""

    model_config = ConfigDict(extra="forbid")

    register_: str = Field(alias="register")
    """The register (pydantic reserves the plain name; the setting is `register`)."""
    field: str
    """A geo_point field of that register; the record's reporter is the worker."""
    within_minutes: Annotated[int, Field(gt=0)] = 120
    """A position older than this (before the event) is not used."""


class Settings(BaseModel):
    """Who counts as a worker, and how far the strategy looks."""

    model_config = ConfigDict(extra="forbid")

    role: str = "grid_worker"
    """The role of the workers events are routed to (held at a grid)."""
    max_km: Annotated[float, Field(gt=0)] = 3.0
    """Nobody further than this: the rule's own fields apply instead."""
    positions: Positions | None = None
    """Use last reported positions; without, every worker stands at their grid's centre."""


@hookimpl
def gridwork_routing_strategies(settings: Settings | None) -> dict[str, Any]:
    """The `nearest` strategy, with this deployment's settings (the defaults without).

    Its module, and the database layer it needs, load on the first routing: `gridwork
    check` and every command start load each plugin, and should stay quick."""
    chosen = settings or Settings()

    def nearest(conn: Any, schema: Any, record: Any, rule: Any) -> Any:
        from .nearest import Nearest

        return Nearest(chosen)(conn, schema, record, rule)

    return {"nearest": nearest}


@hookimpl
def gridwork_config_loaded(deployment: Any, settings: Settings | None) -> list[str]:
    """When a routing rule uses `nearest`: the role and the positions register the settings
    name must exist, and workers need grid boundaries or reported positions."""
    from gridwork.config.problems import unknown

    if not any(rule.strategy == "nearest" for workflow in deployment.workflows.values()
               for rule in workflow.routing):
        return []
    settings = settings or Settings()
    problems = []
    if settings.role not in deployment.roles:
        problems.append(unknown("role", settings.role, deployment.roles))
    if settings.positions is not None:
        spec = deployment.registers.get(settings.positions.register_)
        if spec is None:
            problems.append(unknown("register", settings.positions.register_,
                                    deployment.registers))
        elif getattr(spec.field(settings.positions.field), "type", None) != "geo_point":
            points = [f.name for f in spec.fields if f.type == "geo_point"]
            problems.append(unknown(f"point field of register '{settings.positions.register_}'",
                                    settings.positions.field, points))
    if settings.positions is None and not deployment.hierarchy.boundaries:
        problems.append("grid centres come from the hierarchy's 'boundaries:'; add them or "
                        "set 'positions'")
    return problems
