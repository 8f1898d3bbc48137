"""`gridwork export`: write a register's records to CSV/XLSX, as people read them (the
deployment's labels) or raw, in the shape `gridwork import` reads back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Row, select

from ..config import Deployment
from ..config.models import FieldSpec
from ..hierarchy import HasGrants, scope_filter
from .schema import Schema, build_schema
from .tabular import write_table

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
            from ..runtime import Runtime, utc_now
            from ..web.export_table import labelled_table
            from ..web.site import Site

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
    nodes, users = schema.system("nodes"), schema.system("users")
    extra = SYSTEM_OUT + (WORKFLOW_OUT if spec.workflow else ())
    header = ["id", "node", *(f.name for f in spec.fields), *extra]
    codes = dict(conn.execute(select(nodes.c.id, nodes.c.code)).all())
    names = dict(conn.execute(select(users.c.id, users.c.username)).all())

    def cell(field: FieldSpec, row: Row[Any]) -> Any:
        value = raw_value(field, row, codes, names)
        return value if shown is None or value is None else shown(field, value)

    def cells() -> Iterator[list[Any]]:
        for row in rows:
            yield [row.id, codes.get(row.node), *(cell(f, row) for f in spec.fields),
                   *(_plain(getattr(row, c)) for c in extra)]
    return header, cells()


def raw_value(spec: FieldSpec, row: Row[Any], codes: dict[int, str],
              names: dict[int, str]) -> Any:
    """One field of ``row`` as an import reads it: codes for nodes, usernames for users."""
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
