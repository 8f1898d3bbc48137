"""`gridwork export`: write a register's records to CSV/XLSX, as people read them (the
deployment's labels) or raw, in the shape `gridwork import` reads back."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, Row, select

from ..config import Deployment
from ..config.models import FieldSpec
from ..hierarchy import HasGrants, scope_filter
from ..storage.columns import choice_codes
from ..storage.schema import Schema, build_schema
from ..storage.tabular import plain, write_table

if TYPE_CHECKING:
    from ..forms import FieldType

SYSTEM_OUT = ("created_at", "updated_at")
WORKFLOW_OUT = ("state", "category", "severity")


def export_file(engine: Engine, deployment: Deployment, register: str, path: Path, *,
                schema: Schema | None = None, user: HasGrants | None = None,
                raw: bool = False, base_url: str = "") -> int:
    """Write the records of ``register`` (those ``user`` may see, if given); return the count.

    Raw files name columns and values by their keys and codes; the others use the labels of
    the deployment's locale and give photos as links under ``base_url``.
    """
    schema = schema or build_schema(deployment)
    table = schema.table(register)
    query = select(table).order_by(table.c.id)
    if user is not None:
        query = query.where(scope_filter(user, table))
    with engine.connect() as conn:
        rows = conn.execute(query).all()
        if raw:
            header, cells = raw_table(conn, deployment, schema, register, rows)
        else:
            from ..clock import utc_now
            from ..runtime import Runtime
            from .export_table import labelled_table
            from .site import Site

            site = Site(Runtime.build(deployment, schema=schema), engine, utc_now,
                        deployment.root / deployment.about.data_dir)
            header, cells = labelled_table(conn, site, register, rows, unmask=True,
                                           base_url=base_url)
        return write_table(path, header, cells)


def raw_table(conn: Connection, deployment: Deployment, schema: Schema, register: str,
              rows: Sequence[Row[Any]],
              shown: Callable[[FieldSpec, Any], Any] | None = None,
              ) -> tuple[list[str], Iterator[list[Any]]]:
    """The header and rows of a raw export; ``shown(spec, value)``, when given, may hide a
    value (a personal one the reader may not see)."""
    spec = deployment.registers[register]
    extra = SYSTEM_OUT + (WORKFLOW_OUT if spec.workflow else ())
    header = ["id", "node", *(f.name for f in spec.fields), *extra]
    codes = Codes.load(conn, schema)
    kinds = [(field, schema.field_type(field)) for field in spec.fields]

    def cell(field: FieldSpec, kind: FieldType, row: Row[Any]) -> Any:
        value = kind.from_row(field, row._mapping)
        if value is None:
            return None
        value = kind.export_cell(field, value, codes)
        return value if shown is None or value is None else shown(field, value)

    def cells() -> Iterator[list[Any]]:
        for row in rows:
            yield [row.id, codes.nodes.get(row.node), *(cell(f, k, row) for f, k in kinds),
                   *(plain(getattr(row, c)) for c in extra)]
    return header, cells()


@dataclass
class Codes:
    """What a raw export writes for ids: node codes and usernames, as an import reads them."""

    nodes: dict[int, str]
    users: dict[int, str]
    timezone: zoneinfo.ZoneInfo

    @classmethod
    def load(cls, conn: Connection, schema: Schema) -> Codes:
        """Every node's code and user's name, read once per export."""
        nodes, users = schema.system("nodes"), schema.system("users")
        return cls(dict(conn.execute(select(nodes.c.id, nodes.c.code)).all()),
                   dict(conn.execute(select(users.c.id, users.c.username)).all()),
                   schema.deployment.about.zone)

    def t(self, text: str) -> str:
        """Raw files keep gridwork's own words."""
        return text

    def choices(self, spec: FieldSpec) -> list[tuple[str, str]]:
        """Raw files name options by code."""
        return [(code, code) for code in choice_codes(spec, {}) or []]

    def node_name(self, node_id: int) -> str | None:
        """Raw files name nodes by code."""
        return self.nodes.get(node_id)

    def node_code(self, node_id: int) -> str | None:
        """The code of a node."""
        return self.nodes.get(node_id)

    def username(self, user_id: int) -> str | None:
        """The username of a user."""
        return self.users.get(user_id)

    def user_name(self, user_id: int) -> str | None:
        """Raw files name users by username."""
        return self.users.get(user_id)

    def record_title(self, register: str, record_id: int) -> str | None:
        """Raw files name records by id."""
        return str(record_id)

    def department_name(self, code: str) -> str | None:
        """Raw files name departments by code."""
        return code
