"""A register's list page and the CSV/Excel export of what it shows."""

from __future__ import annotations

import tempfile
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import func
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ..auth import may
from ..config.models import FieldSpec
from .exporter import raw_table
from ..storage.tabular import write_table
from .access import require
from ..workflow import overdue_clause
from .display import Names, category_labels, show, state_label, system_labels, when
from .export_table import labelled_table
from .listing import PAGE_SIZE, filtered, node_choices, read_filters
from .records import row_values, scope_node_ids
from .respond import page
from .site import Site
from .names import choice_options
from .widgets import mask

LIST_COLUMNS = 5
EXPORT_TYPES = {"csv": "text/csv; charset=utf-8",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def list_columns(site: Site, register: str) -> list[FieldSpec]:
    """The fields a list shows: the title field first, then the next few plain ones."""
    spec = site.deployment.registers[register]
    title = spec.title or spec.fields[0].name
    plain = [f for f in spec.fields if site.schema.field_type(f).listed and f.show_if is None]
    ordered = sorted(plain, key=lambda f: f.name != title)
    return ordered[:LIST_COLUMNS]


async def register_list(request: Request) -> Response:
    """Filter, sort and page through a register's records within the user's scope."""
    register = request.path_params["register"]
    site, user = require(request, register)
    spec = site.deployment.registers[register]
    filters = read_filters(site, register, request.query_params)
    unmask = may(site.deployment, user, "unmask", register)
    table, query = filtered(site, user, register, filters, unmask)
    columns = list_columns(site, register)
    with site.engine.connect() as conn:
        total = conn.execute(query.with_only_columns(func.count()).order_by(None)).scalar_one()
        pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
        filters.page = min(filters.page, pages)
        overdue = overdue_clause(site.deployment, register, table, site.clock())
        rows = conn.execute(query.add_columns(overdue.label("_overdue")).limit(PAGE_SIZE)
                            .offset((filters.page - 1) * PAGE_SIZE)).all()
        names = Names.load(conn, site, register, rows)
        scope = scope_node_ids(conn, site, user)
    nodes = site.nodes()
    items = []
    categories = category_labels(site) if spec.categorized else {}
    for row in rows:
        values = row_values(site, register, row)
        deadline = getattr(row, "deadline", None)
        items.append({"id": row.id, "node": nodes[row.node].name if row.node in nodes else "",
                      "state": state_label(site, register, getattr(row, "state", None)),
                      "category": categories.get(getattr(row, "category", None) or "", ""),
                      "deadline": when(site, deadline),
                      "overdue": bool(row._overdue),
                      "created": when(site, row.created_at),
                      "cells": [show(site, f, values.get(f.name), names, unmask)
                                for f in columns]})
    workflow = site.deployment.workflows.get(spec.workflow or "")
    states = [(key, site.label(s.label, key)) for key, s in workflow.states.items()] \
        if workflow else []
    choice_filters = [(f, site.label(f.label, f.name), choice_options(site, f))
                      for f in spec.fields if f.name in filters.choices]
    return page(request, site, user, [f"list-{register}.html", "list.html"],
                register=register, register_label=site.label(spec.label, register),
                filters=filters, items=items, total=total, pages=pages,
                columns=[(f.name, site.label(f.label, f.name)) for f in columns],
                node_options=node_choices(site, scope), states=states,
                categories=list(categories.items()),
                choice_filters=choice_filters, system=system_labels(site),
                can_create=may(site.deployment, user, "create", register),
                can_export=may(site.deployment, user, "export", register))


async def register_export(request: Request) -> Response:
    """The filtered list, every page of it, as a CSV or Excel file."""
    register, kind = request.path_params["register"], request.path_params["kind"]
    if kind not in EXPORT_TYPES:
        raise HTTPException(404)
    site, user = require(request, register, "export")
    spec = site.deployment.registers[register]
    unmask = may(site.deployment, user, "unmask", register)
    _table, query = filtered(site, user, register, read_filters(site, register, request.query_params),
                             unmask)
    raw = request.query_params.get("raw") == "1"
    with site.engine.connect() as conn, tempfile.TemporaryDirectory() as folder:
        rows = conn.execute(query).all()
        if raw:
            header, cells = raw_table(conn, site.deployment, site.schema, register, rows,
                                      None if unmask else partial(_masked, site))
        else:
            header, cells = labelled_table(conn, site, register, rows, unmask=unmask,
                                           base_url=str(request.base_url))
        path = Path(folder) / f"{register}.{kind}"
        write_table(path, header, cells)
        content = path.read_bytes()
    filename = quote(f"{site.label(spec.label, register)}.{kind}")
    return Response(content, media_type=EXPORT_TYPES[kind], headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{filename}"})


def _masked(site: Site, spec: FieldSpec, value: Any) -> Any:
    """A personal value hidden from a reader without `unmask`."""
    return mask(str(value)) if site.schema.personal(spec) else value
