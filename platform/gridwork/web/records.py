"""Reading and writing one register's records, always within the user's scope, with history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Row, Select, Table, insert, select, update

from ..auth import User
from ..hierarchy import HasGrants, scope_filter
from ..workflow import Conflict, inputs
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
          verb: str = "view") -> Row[Any] | None:
    """One record, or None when it does not exist or lies outside where the user may
    ``verb`` it."""
    table, query = scoped(site, user, register, verb)
    return conn.execute(query.where(table.c.id == record_id)).first()


def scope_node_ids(conn: Connection, site: Site, user: User,
                   granted: HasGrants | None = None) -> list[int]:
    """The ids of the nodes the user's territorial grants (or just ``granted``) cover."""
    nodes = site.schema.system("nodes")
    return list(conn.execute(select(nodes.c.id).where(scope_filter(granted or user, nodes))
                             .order_by(nodes.c.path)).scalars())


def row_values(site: Site, register: str, row: Row[Any] | None) -> dict[str, Any]:
    """A stored record's field values by field name."""
    return {} if row is None else site.schema.values(register, row._mapping)


def unique_clashes(conn: Connection, site: Site, register: str, clean: dict[str, Any],
                   record_id: int | None) -> dict[str, list[str]]:
    """Unique fields whose value another record already holds, in the user's language."""
    return {name: [site.t(text) for text in texts] for name, texts in
            inputs.unique_clashes(conn, site.schema, register, clean, record_id).items()}


def update_record(conn: Connection, site: Site, user: User, register: str, old: Row[Any],
                  clean: dict[str, Any], system: dict[str, Any]) -> None:
    """Change a record's fields and write an `edit` history row with what changed; raise
    Conflict when someone changed the record since ``old`` was read."""
    before = row_values(site, register, old)
    changes: dict[str, Any] = {**system, "updated_at": site.clock(), "version": old.version + 1}
    changes |= site.schema.columns(register, {
        field.name: clean.get(field.name) for field in site.deployment.registers[register].fields})
    table = site.schema.table(register)
    changed_rows = conn.execute(update(table).where(
        table.c.id == old.id, table.c.version == old.version).values(changes)).rowcount
    if changed_rows != 1:
        raise Conflict(f"{register} #{old.id} was changed by someone else")
    new = {**clean, **{name: system[name] for name in ("category", "severity") if name in system}}
    was = {**before, **{name: getattr(old, name, None) for name in ("category", "severity")}}
    changed = [name for name, value in new.items() if was.get(name) != value]
    _history(conn, site, user, register, old.id, "edit",
             {name: was.get(name) for name in changed},
             {name: new[name] for name in changed}, getattr(old, "state", None))


def _history(conn: Connection, site: Site, user: User, register: str, record_id: int,
             action: str, before: dict[str, Any] | None, after: dict[str, Any],
             state: str | None) -> None:
    # An edit leaves the record where it is: from and to are its state, so the history
    # still replays, and the stay's start is still the row that entered it.
    conn.execute(insert(site.schema.system("history")).values(
        register=register, record=record_id, actor=user.id, at=site.clock(), action=action,
        from_state=state, to_state=state, before=None if before is None else _plain(before),
        after=_plain(after)))


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """Values as JSON can hold them."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, (dt.date, dt.datetime)):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        elif isinstance(value, tuple):
            value = list(value)
        out[name] = value
    return out
