"""Demo records: values that look real, workflow records someone can act on, their timers.

Open workflow records are reported up to a week back and enter their state some time
after; their timers are then planned by the engine's own code (``stays.replan``) from that
history, so deadlines already passed are written due and the first sweep marks them
overdue and escalates, while the others remind and fall due in the days to come.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Connection, select

from ..config.models import FieldSpec, Register, Workflow
from ..runtime import Runtime
from ..workflow import history, stays
from ..workflow.records import insert_records, load_record, set_deadline
from .demo_values import DemoValues, Known
from ..storage.schema import Schema
from .seed_flow import DemoUser, Reach, filled_in, placements

_OPEN_SPREAD = dt.timedelta(days=7)
"""How far back open records were reported."""
_CLOSED_SPREAD = dt.timedelta(days=90)
"""How far back finished records were reported."""


class Records:
    """Fills registers with demo records, their history and their timers."""

    def __init__(self, conn: Connection, schema: Schema, values: DemoValues,
                 node_ids: dict[str, int], by_level: dict[str, list[str]],
                 on_branch: dict[str, str], users: dict[str, int],
                 demo: list[DemoUser]) -> None:
        self.conn, self.schema, self.values = conn, schema, values
        self.node_ids, self.by_level, self.on_branch, self.users = (
            node_ids, by_level, on_branch, users)
        self.demo = demo
        self.ids: dict[str, list[int]] = {}
        values.known = Known(self.ids, node_ids, by_level, users)
        d = self.deployment = schema.deployment
        departments = schema.system("departments")
        self.dept_ids: dict[str, int] = dict(conn.execute(
            select(departments.c.code, departments.c.id)).all())
        self.locale = d.about.locale
        resolved: dict[str, tuple[Any, Any]] = {}
        labels: dict[str, str] = {}
        for cat, parent in d.all_categories():  # parents first: children inherit
            above = resolved[parent.code] if parent else (None, None)
            resolved[cat.code] = (cat.severities or above[0], cat.department or above[1])
            labels[cat.code] = cat.label.text(self.locale)
        self.categories = [(cat.code, *resolved[cat.code]) for cat, _ in d.all_categories()
                           if not cat.children]
        self.category_labels = labels
        lowest = d.hierarchy.levels[-1].key
        self.reporter = next((users[k] for k, r in d.roles.items() if lowest in r.at), None)
        self.names = {n.code: n.name for n in d.nodes}
        self.parents = {n.code: n.parent for n in d.nodes}
        self.reach = Reach(d)
        runtime = Runtime.build(d, schema=schema)
        self.functions: dict[str, Callable[..., Any]] = runtime.functions_at(values.now)
        self.deadlines = runtime.deadlines

    def fill(self, name: str, count: int) -> int:
        """Insert about ``count`` records into register ``name``; return how many."""
        register = self.deployment.registers[name]
        places = [n.code for n in self.deployment.record_nodes(name)]
        if not places:
            return 0
        held = set(places)
        home = next((c for c in reversed(self.on_branch.values()) if c in held), places[0])
        workflow = self.deployment.workflows.get(register.workflow or "")
        rows, moves = [], []
        for i in range(count):
            if workflow is None:
                node = home if i % 10 == 0 else self.values.random.choice(places)
                row = self._row(register, node, lambda _: True, {}, self.values.now)
                rows.append(row)
                moves.append(None)
                continue
            made = self._workflow_row(name, register, workflow, i, places, home)
            if made is not None:
                rows.append(made[0])
                moves.append(made[1])
        if not rows:
            return 0
        ids = insert_records(self.conn, self.schema, name, rows)
        self.ids[name] = ids
        changes: list[history.Change] = []
        for record_id, row, move in zip(ids, rows, moves, strict=True):
            first = move[1] if move else row.get("state")
            changes.append(history.Change(
                history.Kind.SEEDED, name, record_id, row["created_at"], actor=self.reporter,
                action="create", to_state=first, round=1 if workflow else None))
            if move and move[1] != row["state"]:
                changes.append(history.Change(
                    history.Kind.SEEDED, name, record_id, row["updated_at"], action=move[0],
                    from_state=move[1], to_state=row["state"], round=1))
        history.write_many(self.conn, self.schema, changes)
        if workflow is not None:
            self._plan(name, workflow, ids, rows)
        return len(rows)

    def _workflow_row(self, name: str, register: Register, workflow: Workflow, i: int,
                      places: list[str], home: str
                      ) -> tuple[dict[str, Any], tuple[str, str]] | None:
        """A record in a state someone may act on (or a finished one), and the step that
        brought it there as (transition, state it came from)."""
        rnd, now = self.values.random, self.values.now
        system: dict[str, Any] = {"category": None, "severity": None, "department": None}
        if register.categorized and self.categories:
            code, severities, department = rnd.choice(self.categories)
            system |= {"category": code,
                       "severity": rnd.choice(severities) if severities else None,
                       "department": department}
        states = list(workflow.states)
        by_department = "department" in self.schema.table(name).c
        for attempt in range(len(states)):
            state = states[(i + attempt) % len(states)]
            final = workflow.states[state].final
            spread = _CLOSED_SPREAD if final else _OPEN_SPREAD
            reported = now - dt.timedelta(seconds=rnd.randint(1800, int(spread.total_seconds())))
            filled = filled_in(workflow, state)
            values = self._values(register, home, filled, system, reported, placed=True)
            scope = {**values, **system, "state": state, "round": 1, "assignee": None}
            assignee: int | None = None
            if final:
                node = home if i % 10 == 0 else rnd.choice(places)
            else:
                options = placements(self.deployment, self.reach, name, state, scope, places,
                                     self.demo, self.functions, by_department)
                if not options:
                    continue
                chosen = rnd.choice(options)
                node = home if home in chosen.nodes and i % 10 == 0 else rnd.choice(
                    chosen.nodes)
                assignee = chosen.assignee
            values = self._values(register, node, filled, system, reported, keep=values)
            entered = reported if state == workflow.initial_state else (
                reported + (now - reported) * rnd.uniform(0.2, 0.9)).replace(microsecond=0)
            row = self._columns(register, node, values, reported, entered)
            row |= {"category": system["category"], "severity": system["severity"],
                    "department": self.dept_ids.get(system["department"] or ""),
                    "state": state, "round": 1, "priority": None, "assignee": assignee,
                    "deadline": None}
            return row, _arrival(workflow, state)
        return None

    def _row(self, register: Register, node: str, filled: Callable[[str], bool],
             system: Mapping[str, Any], at: dt.datetime) -> dict[str, Any]:
        values = self._values(register, node, filled, system, at)
        return self._columns(register, node, values, at, at)

    def _columns(self, register: Register, node: str, values: dict[str, Any],
                 created: dt.datetime, updated: dt.datetime) -> dict[str, Any]:
        row: dict[str, Any] = {"node": self.node_ids[node], "created_at": created,
                               "updated_at": updated, "version": 1, "reporter": self.reporter}
        for spec in register.fields:
            value = values.get(spec.name)
            row |= self.schema.field_type(spec).to_columns(spec, value if value != () else None)
        return row

    def _values(self, register: Register, node: str, filled: Callable[[str], bool],
                system: Mapping[str, Any], reported: dt.datetime,
                keep: Mapping[str, Any] | None = None, placed: bool = False
                ) -> dict[str, Any]:
        """Field values in form order: shown fields only, step fields once reached; with
        ``keep``, only what depends on the node (places, points, titles) is made again;
        ``placed``: points wait for that second pass."""
        values: dict[str, Any] = {}
        title = register.title or register.fields[0].name
        for spec in register.fields:
            kind = self.schema.field_type(spec)
            if keep is not None and (not kind.placed or spec.computed is not None
                                     or keep.get(spec.name) is None):
                values[spec.name] = keep.get(spec.name)
            elif (spec.computed is not None or not filled(spec.name)
                    or not self._shown(spec, {**values, **system})):
                values[spec.name] = None
            elif keep is None and placed and kind.located:
                values[spec.name] = ()  # made once the node is known
            elif (spec.name == title and kind.placed and not kind.located
                  and "addr" not in spec.name):
                values[spec.name] = self._title(register, node, system.get("category"))
            else:
                values[spec.name] = self._value(spec, node, reported)
        if keep is None:
            self._settle(register, values)
        return values

    def _settle(self, register: Register, values: dict[str, Any]) -> None:
        """Values keep the register's equality rules (a birth date from the ID card);
        computed fields are computed."""
        self.values.settle(register, values)
        for spec in register.fields:
            if spec.computed is not None:
                try:
                    values[spec.name] = spec.computed.evaluate(values, self.functions)
                except Exception:  # noqa: BLE001 - what the engine could not compute stays empty
                    values[spec.name] = None

    def _shown(self, spec: FieldSpec, scope: Mapping[str, Any]) -> bool:
        if spec.show_if is None:
            return True
        try:
            return bool(spec.show_if.evaluate(scope, self.functions))
        except Exception:  # noqa: BLE001 - a condition that cannot be evaluated hides the field
            return False

    def _value(self, spec: FieldSpec, node: str, reported: dt.datetime) -> Any:
        self.values.reported = reported
        return self.values.value(spec, node)

    def _title(self, register: Register, node: str, category: str | None) -> str:
        """What a person would call the record: where, and what happened (or what it is)."""
        place = self.names.get(self.parents.get(node) or node, "")
        what = (self.category_labels[category] if category
                else register.label.text(self.locale))
        return f"{place}{what}"

    def _plan(self, name: str, workflow: Workflow, ids: list[int],
              rows: list[dict[str, Any]]) -> None:
        """Plan the open records' timers as the engine does, and write their deadlines."""
        now = self.values.now
        for record_id, row in zip(ids, rows, strict=True):
            if workflow.states[row["state"]].final:
                continue
            record = load_record(self.conn, self.schema, name, record_id)
            deadline = stays.replan(self.conn, self.schema, self.deadlines,
                                    self.deployment.registers[name].workflow or "", record, now)
            if deadline is not None:
                set_deadline(self.conn, self.schema, record, deadline)


def _arrival(workflow: Workflow, state: str) -> tuple[str, str]:
    """The step that brings a record into ``state`` (from a state that is not a pause), as
    (transition name, state it came from); a record in the first state was created there."""
    if state == workflow.initial_state:
        return "create", state
    for transition in workflow.transitions:
        origins = [s for s in transition.from_ if not workflow.states[s].paused]
        if transition.to == state and origins:
            return transition.name, origins[0]
    return "create", state
