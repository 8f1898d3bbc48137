"""A register's records as a table to export, as people read them: the labels of the
deployment's locale for columns, states, categories and choices, and photos as links."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, Row

from ..config.models import FieldSpec
from .display import Names, category_labels, photos, show, state_label, system_labels, when
from .records import row_values
from .site import Site

WORKFLOW_COLUMNS = ("state", "category", "severity")


def labelled_table(conn: Connection, site: Site, register: str, rows: Sequence[Row[Any]], *,
                   unmask: bool, base_url: str = "") -> tuple[list[str], Iterator[list[Any]]]:
    """The header and rows; personal values masked unless ``unmask``, photos as links
    under ``base_url`` (the site's address, or nothing for links from its root)."""
    spec = site.deployment.registers[register]
    extra = [c for c in WORKFLOW_COLUMNS if c in site.schema.table(register).c]
    words = system_labels(site)
    header = [site.t("No."), words["node"], *(site.label(f.label, f.name) for f in spec.fields),
              *(words[c] for c in extra), words["created_at"], words["updated_at"]]
    names = Names.load(conn, site, register, rows)
    nodes, categories = site.nodes(), category_labels(site)
    severities = site.deployment.choices.get("severity", {})
    prefix = base_url.rstrip("/")

    def value(field: FieldSpec, row: Row[Any], stored: Any) -> str:
        if site.schema.field_type(field).files:
            return "\n".join(f"{prefix}/registers/{register}/{row.id}/photos/{ref}"
                             for ref in photos(stored))
        return show(site, field, stored, names, unmask)

    def system(column: str, code: str | None) -> str:
        if not code:
            return ""
        if column == "state":
            return state_label(site, register, code)
        if column == "category":
            return categories.get(code, code)
        label = severities.get(code)
        return site.label(label, code) if label is not None else code

    def cells() -> Iterator[list[Any]]:
        for row in rows:
            values = row_values(site, register, row)
            node = nodes.get(row.node)
            yield [row.id, node.name if node else "",
                   *(value(f, row, values.get(f.name)) for f in spec.fields),
                   *(system(c, getattr(row, c)) for c in extra),
                   when(site, row.created_at), when(site, row.updated_at)]
    return header, cells()
