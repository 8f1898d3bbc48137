"""Metrics as SQL aggregates per subject and period: one GROUP BY per metric over the
records, history (and duties) of the period, never a Python loop over rows.

Each metric kind is a query of the rows it counts — (subject, record, x) — that the
aggregate reads and that a sheet's links list (`counted`), so a number and the records
behind it come from one place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Connection,
    Float,
    Integer,
    Select,
    Table,
    and_,
    case,
    cast,
    func,
    literal,
    not_,
    or_,
    select,
)

from ..config import Deployment
from ..config.models.outputs import Metric, Subject
from ..storage import Schema
from ..storage.history_kinds import Kind
from ..storage.system import DutyState
from .periods import Period
from .subjects import node_owner
from ..config.sql import NotInSQL, condition

RECORD_KINDS = ("count", "sum", "average", "rate")
"""Metrics over the records created in the period."""
DUTY_KINDS = ("coverage", "misses")
"""Metrics over a schedule's duty rows: due in the period (coverage), missed in it (misses)."""
RATIOS = ("rate", "on_time", "coverage")
"""Metrics that are a share of what was counted (null when nothing was)."""


class CannotAssess(ValueError):
    """A metric this deployment asks for that the engine cannot compute (yet)."""


@dataclass(frozen=True)
class Value:
    """A metric's number for one subject, with the count it was taken over."""

    value: float | None
    counted: int


def check_runnable(deployment: Deployment, schema: Schema) -> None:
    """Raise CannotAssess naming every metric that cannot be computed, and why."""
    assessment = deployment.assessment
    if assessment is None:
        raise CannotAssess(f"{deployment.about.name} has no 'assessment:' section to compute")
    problems = []
    for key, metric in assessment.metrics.items():
        try:
            _check(deployment, schema, key, metric)
        except (NotInSQL, CannotAssess) as err:
            problems.append(f"assessment.metrics.{key}: {err}")
    if problems:
        raise CannotAssess("; ".join(problems))


def _check(deployment: Deployment, schema: Schema, key: str, metric: Metric) -> None:
    if metric.kind in DUTY_KINDS or metric.kind == "change":
        return
    table = schema.table(metric.register_name or "")
    for expression in (metric.where, metric.of):
        if expression is not None:
            condition(expression, table)
    if metric.kind == "on_time" and not deployment.registers[metric.register_name or ""].workflow:
        raise CannotAssess(f"'on_time' needs a register with a workflow; "
                           f"'{metric.register_name}' has none")


def values(conn: Connection, deployment: Deployment, schema: Schema, metric: Metric,
           subject: Subject, period: Period) -> dict[int, Value]:
    """The metric for every subject of the set that has rows in the period; a subject
    missing from the result counted nothing."""
    if metric.kind == "change":
        base = _base(deployment, metric)
        return changes(base, values(conn, deployment, schema, base, subject, period),
                       values(conn, deployment, schema, base, subject, period.previous()))
    rows = counted_rows(deployment, schema, metric, subject, period)
    if rows is None:
        return {}
    found = rows.subquery()
    if metric.kind in ("count", "overdue", "misses"):
        measure = func.count()
    elif metric.kind == "average":
        measure = func.avg(cast(found.c.x, Float))
    else:  # sum, and the numerator of a ratio
        measure = func.sum(cast(found.c.x, Float))
    query = select(found.c.subject, measure, func.count()).group_by(found.c.subject)
    result = {}
    for subject_id, measured, count in conn.execute(query):
        if metric.kind in RATIOS:
            value = None if not count else round(float(measured or 0) / count, 6)
        else:
            value = None if measured is None else round(float(measured), 6)
        result[subject_id] = Value(value, int(count))
    return result


def changes(base: Metric, now: dict[int, Value], before: dict[int, Value]) -> dict[int, Value]:
    """A `change` metric from its base metric's values in the period and the one before:
    the difference for every subject that counted something in either (None when either
    side is None, e.g. a rate with nothing to count); counted: this period's count."""
    nothing = empty(base)
    found = {}
    for who in now.keys() | before.keys():
        a = now[who].value if who in now else nothing
        b = before[who].value if who in before else nothing
        found[who] = Value(None if a is None or b is None else round(a - b, 6),
                           now[who].counted if who in now else 0)
    return found


def empty(metric: Metric, deployment: Deployment | None = None) -> float | None:
    """A metric's number for a subject with nothing counted (a change: nothing in either
    period, so no change where its base metric counts from zero)."""
    if metric.kind == "change":
        assert deployment is not None
        return None if empty(_base(deployment, metric)) is None else 0.0
    return 0.0 if metric.kind in ("count", "sum", "overdue", "misses") else None


def _base(deployment: Deployment, metric: Metric) -> Metric:
    """The metric a `change` compares across periods."""
    assert deployment.assessment is not None and metric.metric is not None
    return deployment.assessment.metrics[metric.metric]


def counted_rows(deployment: Deployment, schema: Schema, metric: Metric, subject: Subject,
                 period: Period) -> Select[Any] | None:
    """SELECT subject, record, x: the rows a metric counts (x: the value summed or
    averaged, 1/0 for a ratio's numerator); None when the metric cannot apply to the
    subject set (e.g. departments of a register without a workflow) or lists no rows of
    its own (a change)."""
    if metric.kind == "change":
        return None
    if metric.kind in DUTY_KINDS:
        return _duties(schema, metric, subject, period)
    register = metric.register_name or ""
    table = schema.table(register)
    if metric.kind in RECORD_KINDS:
        return _records(schema, table, metric, subject, period)
    if metric.kind == "overdue":
        return _overdue(schema, table, register, metric, subject, period)
    return _on_time(deployment, schema, table, register, metric, subject, period)


def _attribute(table: Table, subject: Subject, schema: Schema, person: Any,
               query: Select[Any], columns: list[Any]) -> Select[Any] | None:
    """``query`` with a leading `subject` column, joined to whom each row belongs."""
    if subject.level is not None:
        owner = _owner(schema, subject.level)
        return (query.join(owner, owner.c.node == table.c.node)
                .with_only_columns(owner.c.subject.label("subject"), *columns))
    if subject.departments:
        if "department" not in table.c:
            return None
        return query.with_only_columns(table.c.department.label("subject"), *columns).where(
            table.c.department.is_not(None))
    if person is None:
        return None
    return query.with_only_columns(person.label("subject"), *columns).where(person.is_not(None))


def _records(schema: Schema, table: Table, metric: Metric, subject: Subject,
                   period: Period) -> Select[Any] | None:
    query = select(table.c.id).where(table.c.created_at >= period.start,
                                     table.c.created_at < period.end)
    if metric.where is not None:
        query = query.where(condition(metric.where, table))
    if metric.kind == "rate":
        assert metric.of is not None
        x: Any = case((condition(metric.of, table), 1), else_=0)
    elif metric.kind in ("sum", "average"):
        x = table.c[metric.field or ""]
        query = query.where(x.is_not(None))
    else:
        x = literal(1, Integer)
    return _attribute(table, subject, schema, table.c.reporter, query,
                      [table.c.id.label("record"), x.label("x")])


def _overdue(schema: Schema, table: Table, register: str, metric: Metric, subject: Subject,
             period: Period) -> Select[Any] | None:
    history = schema.system("history")
    query = (select(table.c.id).join(history, and_(history.c.register == register,
                                                   history.c.record == table.c.id))
             .where(history.c.kind == Kind.OVERDUE.value, history.c.at >= period.start,
                    history.c.at < period.end))
    if metric.where is not None:
        query = query.where(condition(metric.where, table))
    person = table.c.assignee if "assignee" in table.c else None
    return _attribute(table, subject, schema, person, query,
                      [table.c.id.label("record"), literal(1, Integer).label("x")])


def stays(deployment: Deployment, schema: Schema, register: str, state: str,
          period: Period | None = None) -> Select[Any]:
    """Every finished stay of the register's records in ``state``: record, the row that
    ended it (id, at, actor) and whether it ran late — an `overdue` row written during
    the stay, i.e. against the deadline that stood then, whatever was re-planned since.

    A stay runs from leaving the state (or the start) to the next time the record leaves
    it for a state that is not a pause (a pause and the return from it are one stay).
    With ``period``, only records that ended a stay in it are read."""
    history = schema.system("history")
    flow = deployment.workflows[deployment.registers[register].workflow or ""]
    paused = [name for name, spec in flow.states.items() if spec.paused]
    leaves = and_(history.c.from_state == state, history.c.to_state.is_not(None),
                  history.c.to_state != state,
                  not_(history.c.to_state.in_(paused)) if paused else literal(True),
                  history.c.kind != Kind.OVERDUE.value)
    late = and_(history.c.kind == Kind.OVERDUE.value,
                history.c.after["state"].as_string() == state)
    is_leave = case((leaves, 1), else_=0)
    moves = (select(history.c.record, history.c.id, history.c.at, history.c.actor,
                    is_leave.label("leave"), case((late, 1), else_=0).label("late"),
                    func.coalesce(func.sum(is_leave).over(
                        partition_by=history.c.record, order_by=history.c.id,
                        rows=(None, -1)), 0).label("stay"))
             .where(history.c.register == register, or_(leaves, late)))
    if period is not None:
        ended_in = history.alias("ended_in")
        moves = moves.where(history.c.record.in_(select(ended_in.c.record).where(
            ended_in.c.register == register, ended_in.c.from_state == state,
            ended_in.c.at >= period.start, ended_in.c.at < period.end)))
    steps = moves.subquery()
    ended = case((steps.c.leave == 1, steps.c.id))
    grouped = (select(steps.c.record, func.max(ended).label("ended"),
                      func.max(steps.c.late).label("late"))
               .group_by(steps.c.record, steps.c.stay).subquery())
    return (select(grouped.c.record, grouped.c.ended, grouped.c.late, history.c.at,
                   history.c.actor)
            .join(history, history.c.id == grouped.c.ended))


def _on_time(deployment: Deployment, schema: Schema, table: Table, register: str,
             metric: Metric, subject: Subject, period: Period) -> Select[Any] | None:
    ended = stays(deployment, schema, register, metric.state or "", period).subquery()
    query = (select(table.c.id).join(ended, ended.c.record == table.c.id)
             .where(ended.c.at >= period.start, ended.c.at < period.end))
    if metric.where is not None:
        query = query.where(condition(metric.where, table))
    return _attribute(table, subject, schema, ended.c.actor, query,
                      [table.c.id.label("record"), (1 - ended.c.late).label("x")])


def _duties(schema: Schema, metric: Metric, subject: Subject,
            period: Period) -> Select[Any] | None:
    """A schedule's duties: for coverage those due in the period and not dropped (x: done),
    for misses those that went overdue in it. The `record` column is the duty's id."""
    duties = schema.system("duties")
    query = select(duties.c.id).where(duties.c.schedule == metric.schedule)
    if metric.kind == "coverage":
        query = query.where(duties.c.due_at >= period.start, duties.c.due_at < period.end,
                            duties.c.state != DutyState.DROPPED)
        x: Any = case((duties.c.state == DutyState.DONE, 1), else_=0)
    else:
        query = query.where(duties.c.missed_at >= period.start, duties.c.missed_at < period.end)
        x = literal(1, Integer)
    columns = [duties.c.id.label("record"), x.label("x")]
    if subject.level is not None:
        owner = _owner(schema, subject.level)
        return (query.join(owner, owner.c.node == duties.c.node)
                .with_only_columns(owner.c.subject.label("subject"), *columns))
    if subject.departments:
        return None
    return query.with_only_columns(duties.c.assignee.label("subject"), *columns).where(
        duties.c.assignee.is_not(None))


def _owner(schema: Schema, level: str) -> Any:
    """The node → subject mapping as a CTE built once per query: joined by a range over
    paths row by row, it would cost each record a scan of the tree."""
    return node_owner(schema, level).cte(f"owner_{level}").prefix_with("MATERIALIZED")
