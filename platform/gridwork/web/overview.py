"""Counts over exactly a user's scope, for the dashboard, the statistics and the map.

Every number is one SQL aggregate over the register's scoped SELECT (`records.scoped`),
narrowed to a node's subtree; "open" and "overdue" are the engine's own clauses
(`workflow.open_clause`, `workflow.overdue_clause`), so a number and the list it links to
(`listing.filtered`) count the same records.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    Table,
    and_,
    case,
    false,
    func,
    not_,
    null,
    or_,
    select,
)

from ..auth import User
from ..hierarchy import child_owner, subtree_ids
from ..workflow import open_clause, overdue_clause
from ..workflow.actors import with_verb
from . import handling
from .display import category_labels, state_label
from .records import scoped
from .site import NodeInfo, Site

STATUSES = ("open", "overdue", "due_today", "closed")
"""What the dashboard counts per workflow register, in the order it shows them."""
PERIODS = ("day", "week", "month", "quarter")
MAX_BUCKETS = 400
"""Periods one table may have: a year of days; more is refused with a message."""


class BadParameter(ValueError):
    """A query parameter refused: its name, and what to write instead."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


def day_start(site: Site, day: dt.date) -> dt.datetime:
    """Midnight of ``day`` in the deployment's time zone."""
    return dt.datetime.combine(day, dt.time(), site.runtime.zone)


def today(site: Site) -> dt.date:
    """The deployment's date now."""
    return site.clock().astimezone(site.runtime.zone).date()


def month_start(site: Site) -> dt.date:
    """The first day of this month: the dashboard's period for "closed"."""
    return today(site).replace(day=1)


def status_clause(site: Site, register: str, table: Table, status: str,
                  since: dt.date | None = None) -> ColumnElement[bool]:
    """SQL: the records of a dashboard status. ``closed`` is not open (a final state),
    last changed on or after ``since``; ``due_today`` is open with its deadline between now
    and midnight."""
    deployment, now = site.deployment, site.clock()
    if status == "open":
        return open_clause(deployment, register, table)
    if status == "overdue":
        return overdue_clause(deployment, register, table, now)
    if status == "due_today" and "deadline" in table.c:
        midnight = day_start(site, today(site) + dt.timedelta(days=1))
        return and_(open_clause(deployment, register, table), table.c.deadline >= now,
                    table.c.deadline < midnight)
    if status == "closed" and "state" in table.c and deployment.registers[register].workflow:
        closed = and_(table.c.state.is_not(None), not_(open_clause(deployment, register, table)))
        return closed if since is None else and_(closed,
                                                  table.c.updated_at >= day_start(site, since))
    return false()


def on_time_clause(table: Table) -> ColumnElement[bool]:
    """SQL: a closed record finished by its deadline (or had none)."""
    if "deadline" not in table.c:
        return table.c.id.is_not(None)
    return or_(table.c.deadline.is_(None), table.c.updated_at <= table.c.deadline)


def within_node(site: Site, table: Table, node: NodeInfo | None) -> ColumnElement[bool]:
    """SQL: records at ``node`` or below it (everything when None)."""
    if node is None:
        return table.c.id.is_not(None)
    return table.c.node.in_(subtree_ids(site.schema.system("nodes"), node.path))


@dataclass
class RegisterCounts:
    """One workflow register's numbers at one node."""

    name: str
    label: str
    total: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    states: list[tuple[str, str, int]] = field(default_factory=list)
    """(state key, label, count), in workflow order."""
    categories: list[tuple[str, str, int]] = field(default_factory=list)
    """(code, label, count): the five most frequent."""
    trend: list[tuple[dt.date, dt.date, int]] = field(default_factory=list)
    """(first day, last day, records created), week by week, oldest first."""
    children: list[dict[str, Any]] = field(default_factory=list)


def scoped_at(site: Site, user: User, register: str,
              node: NodeInfo | None) -> tuple[Table, Select[Any]]:
    """The register's table and its records the user may view at or below ``node``; no
    second subtree condition when every grant's area already lies there (the district
    user at their district), which spares the database a second join per query."""
    table, query = scoped(site, user, register)
    if node is None or all(
            g.node_path is not None and g.node_path.startswith(node.path)
            and (g.department is None or "department" not in table.c)
            for g in with_verb(site.deployment, user, "view", register).grants):
        return table, query
    return table, query.where(within_node(site, table, node))


def register_counts(conn: Connection, site: Site, user: User, register: str,
                    node: NodeInfo | None, children: list[NodeInfo],
                    weeks: int = 8) -> RegisterCounts:
    """The dashboard's numbers for one register: four statuses, states, top categories,
    the weekly trend and the child nodes' table, all from one aggregate query grouped by
    child, state and category (a few hundred groups), so the records are read once."""
    spec = site.deployment.registers[register]
    table, query = scoped_at(site, user, register, node)
    found = RegisterCounts(register, site.label(spec.label, register))
    sub = query.subquery()
    by_state = "state" in table.c and bool(spec.workflow)
    monday = today(site) - dt.timedelta(days=today(site).weekday())
    starts = [monday - dt.timedelta(weeks=weeks - 1 - i) for i in range(weeks)]
    edges = [day_start(site, d) for d in starts + [monday + dt.timedelta(days=7)]]
    closed = status_clause(site, register, sub, "closed")
    measures = {
        **{s: status_clause(site, register, sub, s, month_start(site) if s == "closed" else None)
           for s in STATUSES},
        "closed_all": closed, "on_time": and_(closed, on_time_clause(sub)),
        **{f"week{i}": and_(sub.c.created_at >= edges[i], sub.c.created_at < edges[i + 1])
           for i in range(weeks)}}
    source: Any = sub
    keys: list[Any] = []
    if children:
        # Each node's child once (a few thousand rows), not each record's; kept apart from
        # the records' query, so the database hashes a few hundred groups instead of
        # sorting a million rows to group them.
        owner = child_owner(site.schema.system("nodes"), [c.path for c in children])
        source = sub.join(owner, owner.c.id == sub.c.node)
        keys.append(owner.c.child)
    if by_state:
        keys.append(sub.c.state.label("state"))
    if "category" in table.c:
        keys.append(sub.c.category.label("category"))
    groups = conn.execute(select(*keys, func.count().label("total"),
                                 *(func.count().filter(c).label(k)
                                   for k, c in measures.items()))
                          .select_from(source).group_by(*keys)).all()
    sums: dict[str, int] = {k: 0 for k in ("total", *measures)}
    states: dict[str, int] = {}
    categories: dict[str, int] = {}
    per_child = [{k: 0 for k in ("total", "open", "overdue", "closed", "on_time")}
                 for _ in children]
    for group in groups:
        row = group._mapping
        for key in sums:
            sums[key] += int(row[key])
        if by_state:
            states[row["state"]] = states.get(row["state"], 0) + int(row["total"])
        if "category" in row and row["category"] is not None:
            categories[row["category"]] = categories.get(row["category"], 0) + int(row["total"])
        if children and row["child"] >= 0:
            child = per_child[row["child"]]
            for key, measure in (("total", "total"), ("open", "open"), ("overdue", "overdue"),
                                 ("closed", "closed_all"), ("on_time", "on_time")):
                child[key] += int(row[measure])
    found.total = sums["total"]
    found.statuses = {s: sums[s] for s in STATUSES}
    if by_state:
        assert spec.workflow is not None
        found.states = [(key, site.label(s.label, key), states.get(key, 0))
                        for key, s in site.deployment.workflows[spec.workflow].states.items()]
    if categories:
        labels = category_labels(site)
        top = sorted(categories.items(), key=lambda item: (-item[1], item[0]))[:5]
        found.categories = [(code, labels.get(code, code), n) for code, n in top]
    found.trend = [(d, d + dt.timedelta(days=6), sums[f"week{i}"])
                   for i, d in enumerate(starts)]
    found.children = [{"node": child, **counted, "on_time_rate":
                       counted["on_time"] / counted["closed"] if counted["closed"] else None}
                      for child, counted in zip(children, per_child, strict=True)]
    return found


def children_of(site: Site, node: NodeInfo) -> list[NodeInfo]:
    """The nodes one level below ``node``, by path."""
    return [n for n in site.nodes().values()
            if n.depth == node.depth + 1 and n.path.startswith(node.path)]


def top_nodes(site: Site, user: User) -> list[NodeInfo]:
    """The nodes of the user's territorial grants, none below another."""
    nodes = site.nodes()
    own = sorted({nodes[g.node].path: nodes[g.node] for g in user.grants
                  if g.node is not None and g.node in nodes}.values(), key=lambda n: n.path)
    return [n for n in own if not any(o is not n and n.path.startswith(o.path) for o in own)]


def may_see_node(site: Site, user: User, node: NodeInfo) -> bool:
    """Whether ``node`` lies at or below one of the user's grants."""
    return any(node.path.startswith(top.path) for top in top_nodes(site, user))


def period_edges(site: Site, period: str, first: dt.date,
                 last: dt.date) -> list[tuple[dt.date, dt.datetime, dt.datetime]]:
    """The periods covering ``first``..``last`` (days in the deployment's zone): (first day,
    start, end) each; BadParameter for an unknown period or too many of them."""
    if period not in PERIODS:
        raise BadParameter("period", f"period must be one of {', '.join(PERIODS)}")
    if last < first:
        raise BadParameter("to", "'to' is before 'from'")
    if period == "week":
        day = first - dt.timedelta(days=first.weekday())
    elif period == "month":
        day = first.replace(day=1)
    elif period == "quarter":
        day = first.replace(day=1, month=(first.month - 1) // 3 * 3 + 1)
    else:
        day = first
    starts = []
    while day <= last:
        starts.append(day)
        if len(starts) > MAX_BUCKETS:
            raise BadParameter("period", f"more than {MAX_BUCKETS} periods: choose a longer period "
                             "or a shorter range")
        day = _next(day, period)
    return [(d, day_start(site, d), day_start(site, _next(d, period))) for d in starts]


def _next(day: dt.date, period: str) -> dt.date:
    if period == "day":
        return day + dt.timedelta(days=1)
    if period == "week":
        return day + dt.timedelta(days=7)
    months = 1 if period == "month" else 3
    month = day.month - 1 + months
    return day.replace(year=day.year + month // 12, month=month % 12 + 1, day=1)


KEYS = ("category", "node", "period", "state")
"""What a statistics table may be broken down by."""


@dataclass(frozen=True)
class StatsQuery:
    """One statistics table asked for: a register, its breakdown and its period."""

    register: str
    by: tuple[str, ...]
    level: str
    period: str
    first: dt.date
    last: dt.date


def read_stats_query(site: Site, user: User, params: Any, viewable: list[str]) -> StatsQuery:
    """The table a query string asks for, with defaults (the first workflow register, by
    category, the level below the user's node, by month over the last year); BadParameter
    saying what to write instead for anything else."""
    registers = [r for r in viewable if site.deployment.registers[r].workflow] or viewable
    register = params.get("register") or (registers[0] if registers else "")
    if register not in viewable:
        raise BadParameter("register", f"register must be one of: {', '.join(viewable)}")
    by = tuple(k.strip() for k in (params.get("by") or "category").split(",") if k.strip())
    wrong = [k for k in by if k not in KEYS]
    if wrong or not by:
        raise BadParameter("by", f"by must be a comma-separated list of {', '.join(KEYS)}")
    levels = [lv.key for lv in site.deployment.hierarchy.levels]
    tops = top_nodes(site, user)
    below = min((n.depth for n in tops), default=-1) + 1
    level = params.get("level") or levels[min(max(below, 0), len(levels) - 1)]
    if level not in levels:
        raise BadParameter("level", f"level must be one of: {', '.join(levels)}")
    period = params.get("period") or "month"
    now = today(site)
    try:
        last = dt.date.fromisoformat(params["to"]) if params.get("to") else now
        first = (dt.date.fromisoformat(params["from"]) if params.get("from")
                 else (last.replace(day=1) - dt.timedelta(days=335)).replace(day=1))
    except ValueError:
        raise BadParameter("from", "from and to are dates written YYYY-MM-DD") from None
    period_edges(site, period, first, last)  # refuses an unknown period or too many
    return StatsQuery(register, by, level, period, first, last)


def stats_rows(conn: Connection, site: Site, user: User, ask: StatsQuery) -> list[dict[str, Any]]:
    """Rows ``{keys…, count, overdue, closed, on_time_rate, median_working_hours}`` of the
    records the user may view, created in the period, grouped in SQL by the asked keys. A
    node key is each record's ancestor at ``level`` (records above that level are left
    out), summed from the SQL groups by record node."""
    register = ask.register
    table, query = scoped(site, user, register)
    edges = period_edges(site, ask.period, ask.first, ask.last)
    query = query.where(table.c.created_at >= edges[0][1], table.c.created_at < edges[-1][2])
    sub = query.subquery()
    columns: list[Any] = []
    for key in ask.by:
        if key == "period":
            columns.append(case(*((sub.c.created_at < end, i) for i, (_d, _s, end)
                                  in enumerate(edges)), else_=len(edges) - 1).label("period"))
        elif key == "node":
            columns.append(sub.c.node.label("node"))
        elif key in sub.c:
            columns.append(sub.c[key].label(key))
    closed = status_clause(site, register, sub, "closed")
    flags = select(*columns, case((status_clause(site, register, sub, "overdue"), 1),
                                  else_=0).label("overdue"),
                   case((closed, 1), else_=0).label("closed"),
                   case((and_(closed, on_time_clause(sub)), 1), else_=0).label("on_time")
                   ).subquery()
    keys = [flags.c[c.name] for c in columns]
    groups = [dict(row._mapping) for row in conn.execute(
        select(*keys, func.count().label("count"),
               *(func.sum(flags.c[m]).label(m) for m in ("overdue", "closed", "on_time")))
        .group_by(*keys))]
    nodes = site.nodes()
    at_level = {n.id: n for n in nodes.values() if n.level == ask.level}
    depth = next((n.depth for n in at_level.values()), None)
    labels = _key_labels(site, register)
    summed: dict[tuple[Any, ...], dict[str, int]] = {}
    for group in groups:
        key = []
        for name in ask.by:
            value = group.get(name)
            if name == "node":
                node = nodes.get(value)
                if node is None or depth is None or node.depth < depth:
                    break
                owner = site.node_by_code(node.path.strip("/").split("/")[depth])
                if owner is None:
                    break
                value = owner.code
            elif name == "period":
                value = edges[value][0].isoformat()
            key.append(value)
        else:
            sums = summed.setdefault(tuple(key), {"count": 0, "overdue": 0, "closed": 0,
                                                  "on_time": 0})
            for measure in sums:
                sums[measure] += int(group[measure] or 0)
    medians = _medians(conn, site, register, sub, ask, columns, edges, depth)
    rows = []
    for key, sums in sorted(summed.items(), key=lambda item: tuple(str(k) for k in item[0])):
        row: dict[str, Any] = {}
        for name, value in zip(ask.by, key, strict=True):
            row[name] = value
            row[f"{name}_label"] = labels[name](value)
        rows.append({**row, "count": sums["count"], "overdue": sums["overdue"],
                     "closed": sums["closed"],
                     "on_time_rate": round(sums["on_time"] / sums["closed"], 4)
                     if sums["closed"] else None,
                     "median_working_hours": medians.get(key)})
    return rows


def _medians(conn: Connection, site: Site, register: str, sub: Any, ask: StatsQuery,
             columns: list[Any], edges: list[tuple[dt.date, dt.datetime, dt.datetime]],
             depth: int | None) -> dict[tuple[Any, ...], float]:
    """The median handling time in working hours of the closed records per key of the
    table (a node key is the record's ancestor at the asked level, found in SQL)."""
    source: Any = sub
    keyed: list[Any] = []
    by_name = {c.name: c for c in columns}
    for name in ask.by:
        if name != "node":
            keyed.append(by_name.get(name, null().label(name)))
            continue
        if depth is None:
            return {}
        nodes = site.schema.system("nodes")
        deepest = max(n.depth for n in site.nodes().values())
        owner, chain, own = handling.owner_at_depth(nodes, depth, deepest)
        source = source.join(chain, own.c.id == sub.c.node)
        keyed.append(owner.label("node"))
    done = (select(sub.c.id, sub.c.created_at.label("created"),
                   sub.c.updated_at.label("closed"), *keyed).select_from(source)
            .where(status_clause(site, register, sub, "closed")).subquery("done"))
    codes = {n.id: n.code for n in site.nodes().values()}
    found = {}
    for key, hours in handling.median_working_hours(conn, site, done, list(ask.by),
                                                            edges[0][0], today(site)).items():
        named = tuple(codes.get(value) if name == "node" else
                      edges[value][0].isoformat() if name == "period" else value
                      for name, value in zip(ask.by, key, strict=True))
        found[named] = hours
    return found


def _key_labels(site: Site, register: str) -> dict[str, Any]:
    categories = category_labels(site)

    def node_name(code: Any) -> str:
        node = site.node_by_code(code) if code else None
        return node.name if node else ""
    return {"category": lambda code: categories.get(code or "", code or ""),
            "state": lambda key: state_label(site, register, key) if key else "",
            "node": node_name, "period": lambda day: day}
