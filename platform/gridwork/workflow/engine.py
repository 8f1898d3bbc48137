"""Take an action on a record: one transaction holding the state change, its checks, its
actions, timers and history, then every automatic step the new state allows."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError

from ..config.models import Transition, Workflow
from ..forms.inputs import is_blank
from ..forms.messages import REQUIRED, message
from ..forms.steps import create_fields, transition_fields
from ..clock import Clock
from ..hierarchy import HasGrants, covers
from ..runtime import Runtime
from ..storage import Schema
from . import actions, history, stays, supervision
from .actors import Actor, holds_node, with_verb
from .dispatch import route
from .history import Change, Kind
from .errors import Conflict, Forbidden, NotFound
from .inputs import (
    NOT_ASKED,
    SETTABLE,
    category_errors,
    clean_fields,
    place_error,
    raise_if,
    split,
    system_columns,
    unique_clashes,
)
from .permissions import guard_holds, in_scope
from .records import (
    Record,
    department_ids,
    insert_record,
    load_record,
    node_row,
    set_deadline,
    write_record,
)
from .switches import switches_at
from .transaction import transaction

TRACKED = ("category", "severity", "department", "assignee", "priority")
"""System values whose changes history records beside the fields."""


@dataclass(frozen=True)
class Available:
    """An action a user may take now: the button and the fields it asks for."""

    name: str
    label: str
    to: str
    require: tuple[str, ...]
    optional: tuple[str, ...] = ()

    @property
    def asks(self) -> tuple[str, ...]:
        """Everything its form takes: the required values, then the optional ones."""
        return (*self.require, *(n for n in self.optional if n not in self.require))


@dataclass
class _Run:
    """What one engine call works with."""

    conn: Connection
    runtime: Runtime
    name: str
    workflow: Workflow
    now: dt.datetime
    functions: dict[str, Callable[..., Any]]

    @property
    def schema(self) -> Schema:
        """The deployment's tables."""
        return self.runtime.schema


def _run(conn: Connection, runtime: Runtime, register: str, now: dt.datetime) -> _Run:
    """The call's workflow and the expression functions on its clock."""
    spec = runtime.deployment.registers.get(register)
    name = spec.workflow if spec is not None else None
    if name is None:
        raise NotFound(f"register '{register}' has no workflow")
    return _Run(conn, runtime, name, runtime.deployment.workflows[name], now,
                runtime.functions_at(now))


def available_actions(conn: Connection, runtime: Runtime, user: Actor, register: str,
                      record_id: int, *, clock: Clock,
                      record: Record | None = None) -> list[Available]:
    """The transitions ``user`` may take on the record now, in config order (``record``:
    the record as the caller just read it, so it is not read again)."""
    schema = runtime.schema
    run = _run(conn, runtime, register, clock())
    if record is None:
        record = load_record(conn, schema, register, record_id)
    locale = runtime.locale
    found: list[Available] = []
    for transition in run.workflow.transitions:
        if record.state not in transition.from_ or any(a.name == transition.name for a in found):
            continue
        if in_scope(conn, schema, user, record, transition) and guard_holds(
                transition, record.scope(), run.functions):
            label = transition.label.text(locale) if transition.label else transition.name
            found.append(Available(transition.name, label, transition.to, transition.require,
                                   transition.optional))
    return found


def take_action(conn_or_engine: Connection | Engine, runtime: Runtime, user: Actor,
                register: str, record_id: int, action: str, *, version: int,
                values: Mapping[str, Any] | None = None, comment: str | None = None,
                clock: Clock, within: HasGrants | None = None) -> Record:
    """Take ``action`` on the record as ``user`` and return the record as it ends up.

    Raises NotFound (also for a record outside ``within``'s scope, when given: where the
    caller may see records, so that one they may not see is as one that does not exist),
    Conflict (``version`` is stale; nothing changed), Forbidden (not this user's to take,
    in this state, or its guard fails) or Invalid (field errors).
    """
    given, schema = dict(values or {}), runtime.schema
    with transaction(conn_or_engine) as conn:
        run = _run(conn, runtime, register, clock())
        # One read, locked, so that a concurrent action on the same version waits for this
        # one and then finds its version gone.
        record = load_record(conn, schema, register, record_id, lock=True)
        if within is not None and not covers(
                within, record.node_id, record.node_path, record.department_id,
                by_department="department" in schema.table(register).c):
            raise NotFound(f"no {register} #{record_id} in your area")
        if record.version != version:
            raise Conflict(f"{register} #{record_id} was changed by someone else; reload it")
        # The step works on the version it makes (the one its notices are keyed by); the
        # row gets it with the step's one write.
        record = record.but(version=version + 1, updated_at=run.now)
        transition = next((t for t in run.workflow.transitions
                           if t.name == action and record.state in t.from_), None)
        if transition is None or not in_scope(conn, schema, user, record, transition):
            raise Forbidden(f"'{action}' is not yours to take on {register} #{record_id}")
        # The guard is asked before the fields are checked (a move that cannot apply says
        # so, not which fields it lacks) and again on the clean values.
        guarded = transition.guard is not None
        if guarded and not guard_holds(transition, {**record.scope(), **given},
                                       run.functions):
            raise Forbidden(f"'{action}' does not apply to {register} #{record_id} now")
        changes, scope = _checked(run, user, record, transition, given, comment)
        if guarded and not guard_holds(transition, scope, run.functions):
            raise Forbidden(f"'{action}' does not apply to {register} #{record_id} now")
        record = _move(run, record, transition, user.id, changes, frozenset(given), comment,
                       stored=version)
        return _follow(run, record)


def create_record(conn_or_engine: Connection | Engine, runtime: Runtime, user: Actor,
                  register: str, node_code: str, values: Mapping[str, Any], *,
                  clock: Clock) -> Record:
    """Create a record at a node in its workflow's initial state (version 1), with its
    history row, timers and automatic steps; raises Forbidden or Invalid."""
    schema = runtime.schema
    with transaction(conn_or_engine) as conn:
        run = _run(conn, runtime, register, clock())
        new = _new(conn, runtime, user, register, node_code, values, run.functions,
                   ("category", "severity", "priority"))
        state = run.workflow.initial_state
        assignee = reporter_assignee(run.workflow, user)
        # The first stay's plan comes before the row, so that the row is written once,
        # deadline included, and its timers after it.
        values = (schema.values(register, defaultdict(lambda: None, new.columns))
                  if runtime.deadlines.reads_values else {})
        plan = stays.plan_entry(conn, schema, runtime.deadlines, run.name, state, run.now,
                                node_path=new.node_path, category=new.columns.get("category"),
                                severity=new.columns.get("severity"), values=values)
        record = _insert_new(conn, schema, register, new, state=state, round=1, version=1,
                             reporter=user.id, assignee=assignee, created_at=run.now,
                             updated_at=run.now,
                             deadline=plan.deadline if plan is not None else None)
        history.write(conn, schema, Change(Kind.CREATED, register, record.id, run.now,
                                           actor=user.id, to_state=state, round=1,
                                           after=new.after | ({"assignee": assignee}
                                                              if assignee else {})))
        if plan is not None:
            stays.write_plan(conn, schema, record, plan, record.round, run.now)
        return _follow(run, record)


def reporter_assignee(workflow: Workflow, user: Actor) -> int | None:
    """Whom a new record is assigned to before any step: its reporter, when a first step
    is for the assignee only and the reporter holds one of its roles (a grid worker logs
    a patrol, then completes it); else nobody, and routing or an `assign` action decides."""
    roles = {grant.role for grant in user.grants}
    steps = workflow.assignee_steps(workflow.initial_state)
    return user.id if any(roles.intersection(step.by) for step in steps) else None


def create_entry(conn_or_engine: Connection | Engine, runtime: Runtime, user: Actor,
                 register: str, node_code: str, values: Mapping[str, Any], *,
                 clock: Clock) -> Record:
    """Create a record of a register without a workflow (a resident, an enterprise, a
    facility) with the checks `create_record` makes and its `create` history row; return
    it as stored. Raises NotFound, Forbidden or Invalid."""
    spec = runtime.deployment.registers.get(register)
    if spec is None or spec.workflow is not None:
        raise NotFound(f"register '{register}' is not one without a workflow")
    now, schema = clock(), runtime.schema
    with transaction(conn_or_engine) as conn:
        new = _new(conn, runtime, user, register, node_code, values,
                   runtime.functions_at(now), ("category", "severity"))
        record = _insert_new(conn, schema, register, new, version=1, reporter=user.id,
                             created_at=now, updated_at=now)
        history.write(conn, schema, Change(Kind.CREATED, register, record.id, now,
                                           actor=user.id, after=new.after))
        return record


@dataclass(frozen=True)
class _NewRecord:
    clean: dict[str, Any]
    """The field values as the form model cleaned them."""
    columns: dict[str, Any]
    """The row's field and system columns, node included."""
    after: dict[str, Any]
    """The given values as the `create` history row keeps them."""
    node_code: str
    """The code of the record's node."""
    node_path: str
    """The path of the record's node."""


def _insert_new(conn: Connection, schema: Schema, register: str, new: _NewRecord,
                **system: Any) -> Record:
    """Insert a checked new record and return it as stored. A unique value another
    transaction stored since the check is a field error too (422), not a database error."""
    row = {**new.columns, **system}
    where = {"node_code": new.node_code, "node_path": new.node_path}
    if not any(spec.unique for spec in schema.deployment.registers[register].fields):
        return insert_record(conn, schema, register, row, **where)
    # A failed statement aborts a PostgreSQL transaction, so the clash is looked for after
    # a savepoint; SQLite undoes the statement alone and the transaction goes on.
    undo = nullcontext() if conn.dialect.name == "sqlite" else conn.begin_nested()
    try:
        with undo:
            return insert_record(conn, schema, register, row, **where)
    except IntegrityError:
        raise_if(unique_clashes(conn, schema, register, new.clean))
        raise


def _new(conn: Connection, runtime: Runtime, user: Actor, register: str, node_code: str,
         values: Mapping[str, Any], functions: Mapping[str, Callable[..., Any]],
         system_names: tuple[str, ...]) -> _NewRecord:
    """Check a new record: the user may create it at the node, the node is of the
    register's level, its fields, category and unique values are good; Forbidden or
    Invalid (every problem at once) when not."""
    deployment, schema = runtime.deployment, runtime.schema
    spec = deployment.registers[register]
    node = node_row(conn, schema.system("nodes"), node_code)
    allowed = with_verb(deployment, user, "create", register).grants
    if node is None or not any(holds_node(g, node.id, node.path) for g in allowed):
        raise Forbidden(f"may not create {register} records at '{node_code}'")
    errors: dict[str, list[str]] = {}
    wrong_place = place_error(deployment, register, node_code, node.level)
    if wrong_place is not None:
        errors["node"] = [wrong_place]
    asked = create_fields(deployment, register)
    fields, system = split(spec, values, system_names, errors, asked)
    columns: dict[str, Any] = {}
    if "priority" in system_names:
        columns |= system_columns(conn, schema, {"priority": system.get("priority")}, errors)
    category, severity, problems = category_errors(
        schema, spec, system.get("category"), system.get("severity"))
    if spec.categorized:
        columns |= {"category": category, "severity": severity}
    clean, field_errors = clean_fields(conn, runtime, register, fields, {
        "category": category, "severity": severity, "node": node_code}, functions, user,
        only=asked)
    raise_if({**errors, **problems, **field_errors,
              **unique_clashes(conn, schema, register, clean)})
    return _NewRecord(clean, {**schema.columns(register, clean), **columns, "node": node.id},
                      {k: v for k, v in clean.items() if v is not None}, node_code, node.path)


def _checked(run: _Run, user: Actor, record: Record, transition: Transition,
             given: dict[str, Any], comment: str | None,
             ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Column changes for the given values, and the record's values with them; Invalid
    when a given or required value is missing or bad."""
    schema, spec = run.schema, run.schema.deployment.registers[record.register]
    # An action changes only what it asks for: any other value (a field, the department,
    # the assignee) would let it do what the user's role may not.
    asks = (*transition.require, *transition.optional)
    errors: dict[str, list[str]] = {name: [message(NOT_ASKED)] for name in given
                                    if name not in asks}
    fields, system = split(spec, {n: v for n, v in given.items() if n in asks},
                           SETTABLE, errors)
    columns = system_columns(run.conn, schema, system, errors)
    shown = transition_fields(spec, transition)
    clean: dict[str, Any] = {}
    field_errors: dict[str, list[str]] = {}
    # The form is asked only when it can say something that counts below: a value given
    # or asked, a computed field, or a rule whose message names a required value.
    if fields or shown or any(s.computed is not None for s in spec.fields) or any(
            rule.field in transition.require for rule in spec.rules):
        clean, field_errors = clean_fields(run.conn, run.runtime, record.register,
                                           {**record.values, **fields}, record.scope(),
                                           run.functions, user, record.values, only=shown)
    for name in (*fields, *transition.require):
        if name in field_errors:
            errors[name] = field_errors[name]
    scope = {**record.scope(), **{n: clean.get(n) for n in fields}, **system}
    for name in transition.require:
        value = comment if name == "comment" else scope.get(name)
        if is_blank(value) and name not in errors:
            errors[name] = [message(REQUIRED)]
    if not errors:
        form = run.runtime.forms[record.register].gridwork_form
        errors = form.broken_rules(transition.rules, {**scope, "comment": comment},
                                   run.functions)
    raise_if(errors)
    computed = {s.name: clean.get(s.name) for s in spec.fields if s.computed is not None}
    changed = {n: clean.get(n) for n in fields} | {
        n: v for n, v in computed.items() if v != record.values.get(n)}
    return schema.columns(record.register, changed) | columns, scope | computed


def _move(run: _Run, record: Record, transition: Transition, actor: int | None,
          changes: dict[str, Any], given: frozenset[str], comment: str | None, *,
          stored: int | None = None) -> Record:
    """Apply one transition: actions, then the state change with its timers and deadline in
    one write of the record, supervision, history. ``stored``: the version the row still
    holds, when ``record`` carries the new one (the step a person takes moves the version
    on; the automatic steps after it do not)."""
    step = actions.Step(run.conn, run.schema, run.name, record, transition, actor, run.now,
                        comment, run.functions, run.runtime, given, dict(changes))
    step.changes["state"] = transition.to
    if transition.new_round:
        step.changes["round"] = record.round + 1
    actions.run(step)
    columns = dict(step.changes)
    if columns["state"] != record.state or transition.new_round:
        columns["deadline"] = _enter(run, _ahead(run, record, columns), record.state,
                                     renewed=transition.new_round)
    moved = _write(run, record, columns, stored=stored)
    if run.workflow.states[transition.to].final:
        supervision.close(run.conn, run.schema, moved, run.now)
    before, after = _diff(record, moved)
    history.write(run.conn, run.schema, Change(
        Kind.MOVED, record.register, record.id, run.now, actor=actor, action=transition.name,
        from_state=record.state, to_state=moved.state, round=moved.round, comment=comment,
        before=before, after=after))
    return moved


def _ahead(run: _Run, record: Record, columns: Mapping[str, Any]) -> Record:
    """The record as ``columns`` will leave it, as far as its plan reads it (state, round,
    category, severity and, for an ``until`` limit, its fields)."""
    values = record.values
    if run.runtime.deadlines.reads_values:
        values = run.schema.values(record.register, {
            **run.schema.columns(record.register, record.values), **columns})
    return record.but(state=columns.get("state", record.state),
                      round=columns.get("round", record.round),
                      category=columns.get("category", record.category),
                      severity=columns.get("severity", record.severity), values=values)


def _write(run: _Run, record: Record, columns: Mapping[str, Any], *,
           stored: int | None = None) -> Record:
    """Write the record's changed columns (and its version) with one statement and return
    it as it is now."""
    moved = write_record(run.conn, run.schema, record, {
        **columns, "version": record.version, "updated_at": run.now},
        stored=record.version if stored is None else stored)
    if moved is None:  # the row is locked for this transaction: only a bug gets here
        raise Conflict(f"{record.register} #{record.id} was changed by someone else; "
                       "reload it")
    return moved


def replan(conn: Connection, runtime: Runtime, register: str, record_id: int, *,
           clock: Clock) -> Record:
    """After an edit of a record of a workflow, its current stay's timers and deadline
    follow the values as they are now (a new category or severity, a changed date its
    limit runs until)."""
    schema = runtime.schema
    run = _run(conn, runtime, register, clock())
    record = load_record(conn, schema, register, record_id)
    if record.state is None:
        return record
    set_deadline(conn, schema, record,
                 stays.replan(conn, schema, runtime.deadlines, run.name, record, run.now))
    return load_record(conn, schema, register, record_id)


def _enter(run: _Run, record: Record, from_state: str | None, *,
           renewed: bool = False) -> dt.datetime | None:
    """Write the timers of the record's (new) state, or new round; return its deadline."""
    return stays.enter(run.conn, run.schema, run.runtime.deadlines, run.name, record,
                       from_state, run.now, renewed=renewed)


def _follow(run: _Run, record: Record) -> Record:
    """Take the automatic steps the record's states allow, each state at most once."""
    seen: set[str] = set()
    while record.state is not None and record.state not in seen:
        seen.add(record.state)
        auto = run.workflow.states[record.state].auto
        switches = run.workflow.switches if auto is None else switches_at(
            run.conn, run.schema, run.name, record.node_path)
        if auto is None or (auto.if_ is not None and not switches.get(auto.if_, False)) or (
                auto.unless is not None and switches.get(auto.unless, False)):
            break
        transition = next((t for t in run.workflow.transitions
                           if t.name == auto.transition and record.state in t.from_), None)
        if transition is None:
            break
        changes, scope = _routed(run, record, transition)
        if changes is None or not guard_holds(transition, scope, run.functions) or any(
                is_blank(scope.get(name)) for name in transition.require):
            break
        record = _move(run, record, transition, None, changes, frozenset(changes), None)
    return record


def _routed(run: _Run, record: Record, transition: Transition,
            ) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """For a step that dispatches, the department and assignee routing picks (None when no
    rule matches); for others, no changes."""
    scope = record.scope()
    dispatches = "department" in transition.require or any(
        "dispatch" in action for action in transition.actions)
    if not dispatches:
        return {}, scope
    found = route(run.conn, run.runtime, run.workflow, record, scope, run.functions)
    if found is None:
        return None, scope
    changes: dict[str, Any] = {
        "department": department_ids(run.conn, run.schema)[found.department]}
    scope["department"] = found.department
    if found.assignee is not None:
        changes["assignee"] = scope["assignee"] = found.assignee
    return changes, scope


def _diff(before: Record, after: Record) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields and tracked system values a step changed: their old and new values."""
    old = {**before.values, **{n: getattr(before, n) for n in TRACKED}}
    new = {**after.values, **{n: getattr(after, n) for n in TRACKED}}
    names = [n for n in new if new[n] != old.get(n)]
    return {n: old.get(n) for n in names}, {n: new[n] for n in names}
