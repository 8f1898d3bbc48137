"""A register's list: filters from the query string turned into SQL within the user's scope.

The same filters serve the page and its CSV/Excel export, so an export holds exactly
the records the list shows (every page of them).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, false, func, or_
from starlette.datastructures import QueryParams

from ..assessment.view import counted_records
from ..auth import User
from ..config.models import FieldSpec
from ..hierarchy import subtree_ids
from ..workflow import overdue_clause
from .overview import status_clause
from .params import page_number
from .records import scoped
from .site import Site
from .widgets import node_options

PAGE_SIZE = 20
"""Records a list page shows: a phone screen or two."""


@dataclass
class Filters:
    """The list's filters as chosen, ready to show in the filter form again."""

    node: str = ""
    state: str = ""
    category: str = ""
    q: str = ""
    start: str = ""
    end: str = ""
    choices: dict[str, str] = field(default_factory=dict)
    sort: str = "-id"
    page: int = 1
    overdue: bool = False
    status: str = ""
    """``open``, ``due_today`` or ``closed`` (see `overview.status_clause`): what the
    dashboard's numbers link to."""
    since: str = ""
    """With ``status=closed``: closed (last changed) on or after this day."""
    counted: str = ""
    """A score sheet's number (`PERIOD/SUBJECTS/KEY/METRIC`): only the records it counted."""

    def query_string(self, **changes: Any) -> str:
        """The query string of these filters with ``changes``, for links and exports."""
        values = {"node": self.node, "state": self.state, "category": self.category,
                  "q": self.q, "from": self.start, "to": self.end, "sort": self.sort,
                  **{f"f_{k}": v for k, v in self.choices.items()}, "page": self.page,
                  "overdue": "1" if self.overdue else "", "status": self.status,
                  "since": self.since, "counted": self.counted}
        values.update(changes)
        return str(QueryParams({k: v for k, v in values.items() if v not in ("", None)}))


def read_filters(site: Site, register: str, params: QueryParams) -> Filters:
    """The filters a query string asks for; unknown or malformed values are ignored."""
    choices = {spec.name: params.get(f"f_{spec.name}", "") for spec in choice_filters(site, register)}
    page = page_number(params.get("page"))
    return Filters(node=params.get("node", ""), state=params.get("state", ""),
                   category=params.get("category", ""), q=params.get("q", "").strip(),
                   start=params.get("from", ""), end=params.get("to", ""),
                   choices=choices, sort=params.get("sort", "-id"),
                   page=page, overdue=params.get("overdue") == "1",
                   status=params.get("status", ""), since=params.get("since", ""),
                   counted=params.get("counted", ""))


def filtered(site: Site, user: User, register: str, filters: Filters,
             unmask: bool) -> tuple[Table, Select[Any]]:
    """The register's table and a SELECT of the records in scope that match ``filters``."""
    table, query = scoped(site, user, register)
    spec = site.deployment.registers[register]
    if filters.overdue:
        query = query.where(overdue_clause(site.deployment, register, table, site.clock()))
    if filters.status:
        query = query.where(status_clause(site, register, table, filters.status,
                                          _date(filters.since)))
    if filters.counted:
        ids = counted_records(site.runtime, filters.counted, register)
        query = query.where(table.c.id.in_(ids) if ids is not None else false())
    if filters.node:
        node = site.node_by_code(filters.node)
        nodes = site.schema.system("nodes")
        query = query.where(table.c.node.in_(subtree_ids(nodes, node.path)) if node
                            else false())
    if filters.state and "state" in table.c:
        query = query.where(table.c.state == filters.state)
    if filters.category and "category" in table.c:
        query = query.where(_category(site, table, filters.category))
    for name, value in filters.choices.items():
        if value:
            query = query.where(table.c[name] == value)
    zone = site.runtime.zone
    for text, is_end in ((filters.start, False), (filters.end, True)):
        day = _date(text)
        if day is not None:
            edge = dt.datetime.combine(day + dt.timedelta(days=int(is_end)), dt.time(), zone)
            query = query.where(table.c.created_at < edge if is_end
                                else table.c.created_at >= edge)
    if filters.q:
        searched = [table.c[f.name] for f in spec.fields if site.schema.field_type(f).searched
                    and (unmask or not site.schema.personal(f))]
        pattern = f"%{filters.q.replace('%', '').replace('_', '')}%"
        query = query.where(or_(*(func.lower(c).like(pattern.lower()) for c in searched))
                            if searched else false())
    return table, query.order_by(*_order(site, register, table, filters.sort))


def _category(site: Site, table: Table, code: str) -> ColumnElement[bool]:
    """A category and every category below it."""
    below = {code}
    for category, parent in site.deployment.all_categories():
        if parent is not None and parent.code in below:
            below.add(category.code)
    return table.c.category.in_(below)


def choice_filters(site: Site, register: str) -> list[FieldSpec]:
    """The fields a list filters by: those holding one option, always shown."""
    fields = site.deployment.registers[register].fields
    kinds = [(spec, site.schema.field_type(spec)) for spec in fields]
    return [spec for spec, kind in kinds
            if "choices" in kind.options and not kind.many(spec) and spec.show_if is None]


def _order(site: Site, register: str, table: Table, sort: str) -> list[Any]:
    name = sort.lstrip("-")
    allowed = {"id", "created_at", "updated_at",
               *(c for c in ("state", "deadline") if c in table.c),
               *(f.name for f in site.deployment.registers[register].fields
                 if site.schema.field_type(f).sortable and f.computed is None)}
    column = table.c[name] if name in allowed else table.c.id
    first = column.desc() if sort.startswith("-") else column.asc()
    return [first, table.c.id.desc()]


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def node_choices(site: Site, scope: list[int]) -> list[tuple[str, str]]:
    """(code, indented name) of the nodes a user may filter by: their subtrees."""
    return node_options(site, scope)

