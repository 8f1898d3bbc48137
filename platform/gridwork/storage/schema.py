"""SQLAlchemy metadata built once from a deployment: system tables plus one table per register."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, ForeignKey, Index, Integer, MetaData, String, Table

from .. import plugins
from ..config import Deployment
from ..config.models import FieldSpec, Register
from ..config.plugin_checks import deployment_manager
from .columns import register_table_name
from .system import CODE, DUTY_LINK, SYSTEM_TABLES, add_system_tables
from .types import UTCDateTime

if TYPE_CHECKING:
    from ..forms import FieldType

NAMING = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s",
    "pk": "pk_%(table_name)s",
}
WORKFLOW_COLUMNS = ("state", "category", "severity", "department", "assignee", "priority",
                    "round", "deadline")


@dataclass(frozen=True)
class Schema:
    """The database a deployment needs: its metadata and each register's table."""

    deployment: Deployment
    metadata: MetaData
    registers: dict[str, Table]
    field_types: Mapping[str, FieldType]
    """The field types the tables were built with, by name."""

    def table(self, register: str) -> Table:
        """The table of ``register``."""
        return self.registers[register]

    def system(self, name: str) -> Table:
        """A system table (nodes, users, history…)."""
        return self.metadata.tables[name]

    def field_type(self, spec: FieldSpec) -> FieldType:
        """The type of a register field."""
        return self.field_types[spec.type]

    def personal(self, spec: FieldSpec) -> bool:
        """Whether a field's values are masked for roles that may not see them in full."""
        return spec.personal if spec.personal is not None else self.field_type(spec).personal

    def values(self, register: str, row: Mapping[str, Any]) -> dict[str, Any]:
        """A register's field values from a row of its table (a mapping of columns)."""
        return {spec.name: self.field_types[spec.type].from_row(spec, row)
                for spec in self.deployment.registers[register].fields}

    def columns(self, register: str, values: Mapping[str, Any]) -> dict[str, Any]:
        """Column values for some of a register's field values (others pass unchanged)."""
        fields = self.deployment.registers[register]
        columns: dict[str, Any] = {}
        for name, value in values.items():
            spec = fields.field(name)
            if spec is None:
                columns[name] = value
            else:
                columns |= self.field_types[spec.type].to_columns(spec, value)
        return columns

    def owns(self, table_name: str) -> bool:
        """Whether a table of this name is gridwork's to create, change or drop."""
        return table_name in SYSTEM_TABLES or table_name.startswith("r_")


def build_schema(deployment: Deployment,
                 field_types: Mapping[str, FieldType] | None = None) -> Schema:
    """Build the metadata for ``deployment``; call once and keep the result (its runtime
    does). ``field_types`` are the deployment's (loaded from its plugins when not given)."""
    metadata = MetaData(naming_convention=NAMING)
    add_system_tables(metadata)
    types = dict(field_types if field_types is not None
                 else plugins.field_types(deployment_manager(deployment)))
    registers = {name: _register_table(metadata, name, register, deployment, types)
                 for name, register in deployment.registers.items()}
    return Schema(deployment, metadata, registers, types)


def _register_table(metadata: MetaData, name: str, register: Register,
                    deployment: Deployment, types: Mapping[str, FieldType]) -> Table:
    table_name = register_table_name(name)
    columns: list[Any] = [
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("node", Integer, ForeignKey("nodes.id"), nullable=False, index=True),
        Column("created_at", UTCDateTime, nullable=False, index=True),
        Column("updated_at", UTCDateTime, nullable=False),
        Column("version", Integer, nullable=False, default=1),
        Column("reporter", Integer, ForeignKey("users.id"), index=True),
    ]
    if register.workflow or register.categorized:
        columns += [Column("category", String(CODE), index=True), Column("severity", String(CODE))]
    if register.workflow:
        columns += [
            Column("state", String(CODE), index=True),
            Column("department", Integer, ForeignKey("departments.id"), index=True),
            Column("assignee", Integer, ForeignKey("users.id"), index=True),
            Column("priority", String(CODE)),
            Column("round", Integer, default=1),
            Column("deadline", UTCDateTime, index=True),
        ]
    if any(schedule.creates == name for schedule in deployment.schedules):
        columns.append(Column(DUTY_LINK, Integer, ForeignKey("duties.id"), index=True))
    # `gridwork check` has made sure no two fields (or a field and the engine) share a column.
    extras: list[Any] = []
    for spec in register.fields:
        parts = types[spec.type].columns(spec, table_name, deployment.choices)
        columns += parts.columns
        extras += parts.checks + parts.indexes
    table = Table(table_name, metadata, *columns, *extras)
    if register.workflow:
        Index(None, table.c.node, table.c.state)
    return table
