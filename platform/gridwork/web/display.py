"""Stored values as people read them: labels for codes, names for ids, masked personal data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from ..config.models import FieldSpec
from .site import Site
from .widgets import choice_options, mask, record_title_column


@dataclass
class Names:
    """Names for the ids a page shows, read once per page."""

    users: dict[int, str]
    titles: dict[str, dict[int, str]]

    @classmethod
    def load(cls, conn: Connection, site: Site, register: str,
             rows: Iterable[Any]) -> Names:
        """Names of the users and referenced records that ``rows`` point to."""
        rows = list(rows)
        users = site.schema.system("users")
        user_ids = {getattr(row, "reporter", None) for row in rows}
        titles: dict[str, dict[int, str]] = {}
        for spec in site.deployment.registers[register].fields:
            if spec.type not in ("user", "reference"):
                continue
            ids = {getattr(row, spec.name) for row in rows} - {None}
            if spec.type == "user":
                user_ids |= ids
            elif spec.type == "reference" and spec.register_name and ids:
                table = site.schema.table(spec.register_name)
                column = table.c[record_title_column(site, spec.register_name)]
                titles.setdefault(spec.register_name, {}).update(
                    conn.execute(select(table.c.id, column).where(table.c.id.in_(ids))).all())
        user_ids -= {None}
        names = dict(conn.execute(select(users.c.id, users.c.display_name)
                                  .where(users.c.id.in_(user_ids))).all()) if user_ids else {}
        return cls(names, titles)


def show(site: Site, spec: FieldSpec, value: Any, names: Names, unmask: bool) -> str:
    """One field's stored value as text (photos and points are drawn by the template)."""
    if value is None or value == [] or value == "":
        return ""
    if spec.is_personal and not unmask:
        return mask(str(value))
    if spec.type in ("choice", "multichoice"):
        labels = dict(choice_options(site, spec))
        codes = value if isinstance(value, list) else [value]
        return "、".join(labels.get(str(code), str(code)) for code in codes)
    if spec.type == "boolean":
        return site.t("Yes") if value else site.t("No")
    if spec.type == "node":
        node = site.nodes().get(value)
        return node.name if node else str(value)
    if spec.type == "user":
        return names.users.get(value, str(value))
    if spec.type == "reference":
        return names.titles.get(spec.register_name or "", {}).get(value) or f"#{value}"
    if spec.type == "department":
        department = site.deployment.department(str(value))
        return site.label(department.name, str(value)) if department else str(value)
    if spec.type == "geo_point":
        return f"{value[0]:.6f}, {value[1]:.6f}"
    kind = site.runtime.field_types.get(spec.type)
    if kind is not None and kind.display is not None:
        return kind.display(value)
    return when(site, value) if isinstance(value, dt.date) else str(value)


def when(site: Site, value: dt.date | None) -> str:
    """A date, or an instant in the deployment's time zone to the minute."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        zone = site.runtime.zone
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def state_label(site: Site, register: str, state: str | None) -> str:
    """A workflow state's name."""
    workflow = site.deployment.registers[register].workflow
    if not state or not workflow:
        return state or ""
    spec = site.deployment.workflows[workflow].states.get(state)
    return site.label(spec.label, state) if spec else state


def category_labels(site: Site) -> dict[str, str]:
    """Every category's name by code, subcategories as `大类 / 小类`."""
    labels: dict[str, str] = {}
    for category, parent in site.deployment.all_categories():
        own = site.label(category.label, category.code)
        labels[category.code] = f"{labels[parent.code]} / {own}" if parent else own
    return labels


def photos(value: Any) -> list[str]:
    """A photo field's stored references as a list."""
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def system_labels(site: Site) -> Mapping[str, str]:
    """Names of the columns every record has."""
    return {"node": site.t("Area"), "state": site.t("State"), "category": site.t("Category"),
            "severity": site.t("Severity"), "created_at": site.t("Created"),
            "updated_at": site.t("Updated")}
