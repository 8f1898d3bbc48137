"""Reading one register's records, always within the user's scope (the workflow package
writes them)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, Select, Table, select

from ..auth import User
from ..hierarchy import HasGrants, scope_filter
from ..workflow import Record, read_record
from ..workflow.actors import with_verb
from .site import Site


def scoped(site: Site, user: User, register: str,
           verb: str = "view") -> tuple[Table, Select[Any]]:
    """The register's table and a SELECT of the records the user may ``verb``: within the
    areas of the grants whose role holds that verb for the register, not of all grants."""
    table = site.schema.table(register)
    granted = with_verb(site.deployment, user, verb, register)
    return table, select(table).where(scope_filter(granted, table))


def fetch(conn: Connection, site: Site, user: User, register: str, record_id: int,
          verb: str = "view") -> Record | None:
    """One record, or None when it does not exist or lies outside where the user may
    ``verb`` it."""
    return read_record(conn, site.schema, register, record_id,
                       within=with_verb(site.deployment, user, verb, register))


def scope_node_ids(conn: Connection, site: Site, user: User,
                   granted: HasGrants | None = None) -> list[int]:
    """The ids of the nodes the user's territorial grants (or just ``granted``) cover."""
    nodes = site.schema.system("nodes")
    return list(conn.execute(select(nodes.c.id).where(scope_filter(granted or user, nodes))
                             .order_by(nodes.c.path)).scalars())


def row_values(site: Site, register: str, row: Row[Any] | None) -> dict[str, Any]:
    """A stored record's field values by field name."""
    return {} if row is None else site.schema.values(register, row._mapping)
