"""Stored values as people read them: labels for codes, names for ids, masked personal data."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping
from typing import Any

from ..config.models import FieldSpec
from .names import Names
from .site import Site
from .widgets import mask


def show(site: Site, spec: FieldSpec, value: Any, names: Names, unmask: bool) -> str:
    """One field's stored value as text (photos and points are drawn by the template)."""
    if value is None or value == [] or value == "":
        return ""
    if site.schema.personal(spec) and not unmask:
        return mask(str(value))
    return site.schema.field_type(spec).display(spec, value, names)


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
