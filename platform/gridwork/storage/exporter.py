"""`gridwork export`: write a register's records to CSV/XLSX in the shape import reads back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Row, select

from ..config import Deployment
from ..config.models import FieldSpec
from ..hierarchy import HasGrants, scope_filter
from .schema import Schema, build_schema
from .tabular import write_table

SYSTEM_OUT = ("created_at", "updated_at")
WORKFLOW_OUT = ("state", "category", "severity")


def export_file(engine: Engine, deployment: Deployment, register: str, path: Path, *,
                schema: Schema | None = None, user: HasGrants | None = None) -> int:
    """Write the records of ``register`` (those ``user`` may see, if given); return the count."""
    schema = schema or build_schema(deployment)
    spec = deployment.registers[register]
    table = schema.table(register)
    nodes, users = schema.system("nodes"), schema.system("users")
    extra = SYSTEM_OUT + (WORKFLOW_OUT if spec.workflow else ())
    header = ["id", "node", *(f.name for f in spec.fields), *extra]
    query = (select(table, nodes.c.code.label("node_code"))
             .join(nodes, nodes.c.id == table.c.node).order_by(table.c.id))
    if user is not None:
        query = query.where(scope_filter(user, table))
    with engine.connect() as conn:
        codes = dict(conn.execute(select(nodes.c.id, nodes.c.code)).all())
        names = dict(conn.execute(select(users.c.id, users.c.username)).all())

        def rows() -> Iterator[list[Any]]:
            for row in conn.execute(query):
                yield [row.id, row.node_code,
                       *(_out(f, row, codes, names) for f in spec.fields),
                       *(_plain(getattr(row, c)) for c in extra)]
        return write_table(path, header, rows())


def _out(spec: FieldSpec, row: Row[Any], codes: dict[int, str], names: dict[int, str]) -> Any:
    if spec.type == "geo_point":
        lat, lon = getattr(row, f"{spec.name}_lat"), getattr(row, f"{spec.name}_lon")
        return None if lat is None else f"{lat}, {lon}"
    value = getattr(row, spec.name)
    if value is None:
        return None
    if spec.type == "node":
        return codes.get(value)
    if spec.type == "user":
        return names.get(value)
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return _plain(value)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value
