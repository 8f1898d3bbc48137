"""The figures of one workflow step: lifecycles per second through `take_action` against a
hand-written raw-SQL lifecycle doing the same writes (the ceiling, measured in the same
run on the same database), SQL statements per step, a profile of one lifecycle, and
SpiffWorkflow (a BPMN engine) on the same six steps as a peer when it is installed.

A lifecycle is six steps — report, dispatch, accept, feedback, revisit, archive — each one
transaction with a version check and a history row; entering a state with a time limit
writes its timers (and leaving it cancels them), and dispatch puts a notice in the outbox.
"""

from __future__ import annotations

import contextlib
import cProfile
import datetime as dt
import io
import json
import pstats
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, event, insert, select, update

INPROCESS_GOAL = 0.3
"""Lifecycles per second through `take_action` as a share of the raw-SQL ceiling's."""
STATEMENTS_GOAL = 5
"""SQL statements per `take_action`, on average over a lifecycle's steps."""
STEPS = ("dispatch", "accept", "feedback", "revisit", "archive")
"""The actions after the report, in order."""
_AT = dt.datetime(2026, 6, 1, 1, 0, tzinfo=dt.UTC)
"""A Monday morning in Shanghai, so that every deadline falls in a year with holiday data."""

DEPLOYMENT = """\
deployment:
  name: lifecycle
  title: {zh: 流程基准, en: Lifecycle bench}
  timezone: Asia/Shanghai
  locale: zh
calendar:
  working_days: mon-fri
  hours: ["08:30-12:00", "13:30-17:30"]
  holidays: cn
hierarchy:
  levels:
    - {key: street, label: 街道}
    - {key: grid, label: 网格}
  nodes:
    - {code: S1, name: 东街道, level: street}
    - {code: S1G1, name: 第一网格, level: grid, parent: S1}
departments:
  - {code: cg, name: 城管局, level: street}
roles:
  grid_worker: {label: 网格员, at: grid, can: [view, create]}
  dispatcher: {label: 街道干部, at: street, can: [view]}
  dept_staff: {label: 部门人员, department: "*", can: [view]}
registers:
  event:
    label: 事件
    workflow: event_flow
    fields:
      - {name: title, type: text, required: true}
      - {name: result, type: textarea}
workflows:
  event_flow:
    label: 事件流程
    states:
      dispatching: {label: 待分发, initial: true}
      accepting: {label: 待接受}
      handling: {label: 处理中}
      revisiting: {label: 待回访}
      archiving: {label: 待归档}
      archived: {label: 已归档, final: true}
    transitions:
      - {name: dispatch, from: dispatching, to: accepting, by: dispatcher,
         require: [department], actions: [{notify: [department]}]}
      - {name: accept, from: accepting, to: handling, by: dept_staff, scope: department}
      - {name: feedback, from: handling, to: revisiting, by: dept_staff, scope: department,
         require: [result]}
      - {name: revisit, from: revisiting, to: archiving, by: grid_worker}
      - {name: archive, from: archiving, to: archived, by: dispatcher}
limits:
  - {state: dispatching, within: 2wh}
  - {state: accepting, within: 4wh}
  - {state: handling, within: 3wd}
reminders:
  - {before: 25%, notify: assignee, states: [handling]}
notifications:
  channels:
    inbox: {type: inbox}
"""

_USERS = (("grid_worker", "S1G1", None), ("dispatcher", "S1", None),
          ("dept_staff", None, "cg"))


@dataclass
class World:
    """The lifecycle deployment migrated into a database, with one user per role."""

    engine: Engine
    runtime: Any
    users: dict[str, Any]
    url: str
    clock: Callable[[], dt.datetime] = field(default_factory=lambda: _Clock())


@contextlib.contextmanager
def world(url: str | None = None) -> Iterator[World]:
    """The lifecycle deployment in a temporary SQLite file, or in the (scratch) PostgreSQL
    database at ``url``."""
    from ..config import load_deployment
    from ..runtime import Runtime
    from ..storage import make_engine, migrate
    from ..workflow import load_user

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "lifecycle"
        root.mkdir()
        (root / "deployment.yaml").write_text(DEPLOYMENT, encoding="utf-8")
        deployment = load_deployment(root)
        where = url or f"sqlite:///{root / 'lifecycle.sqlite3'}"
        migrate(where, deployment, echo=lambda _line: None)
        runtime = Runtime.build(deployment)
        engine = make_engine(where)
        schema = runtime.schema
        users, grants = schema.system("users"), schema.system("grants")
        nodes, departments = schema.system("nodes"), schema.system("departments")
        try:
            with engine.begin() as conn:
                for role, node, department in _USERS:
                    node_id = conn.execute(select(nodes.c.id).where(
                        nodes.c.code == node)).scalar()
                    dept_id = conn.execute(select(departments.c.id).where(
                        departments.c.code == department)).scalar()
                    user = conn.execute(insert(users).values(
                        username=role, display_name=role, active=True, created_at=_AT,
                        department=dept_id).returning(users.c.id)).scalar_one()
                    conn.execute(insert(grants).values(
                        user=user, role=role, node=node_id, department=dept_id,
                        scope=deployment.roles[role].scope))
            with engine.connect() as conn:
                found = {role: load_user(conn, schema, role) for role, _n, _d in _USERS}
            yield World(engine, runtime, found, where)
        finally:
            engine.dispose()


def lifecycle(w: World, n: int, clock: Callable[[], dt.datetime]) -> None:
    """Report a record and take it through the five actions, as their roles would."""
    from ..workflow import create_record, take_action

    record = create_record(w.engine, w.runtime, w.users["grid_worker"], "event", "S1G1",
                           {"title": f"event {n}"}, clock=clock)
    given: dict[str, dict[str, Any]] = {"dispatch": {"department": "cg"},
                                        "feedback": {"result": "done"}}
    who = {"dispatch": "dispatcher", "accept": "dept_staff", "feedback": "dept_staff",
           "revisit": "grid_worker", "archive": "dispatcher"}
    for action in STEPS:
        record = take_action(w.engine, w.runtime, w.users[who[action]], "event", record.id,
                             action, version=record.version, values=given.get(action),
                             clock=clock)
    assert record.state == "archived", record.state


@contextlib.contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements run on ``engine`` while the block runs (BEGIN included: on
    SQLite a write transaction begins with a statement of its own)."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def statements_per_step(w: World) -> dict[str, int]:
    """The statements each `take_action` of one lifecycle runs."""
    from ..workflow import create_record, take_action

    clock = w.clock
    record = create_record(w.engine, w.runtime, w.users["grid_worker"], "event", "S1G1",
                           {"title": "counted"}, clock=clock)
    given: dict[str, dict[str, Any]] = {"dispatch": {"department": "cg"},
                                        "feedback": {"result": "done"}}
    who = {"dispatch": "dispatcher", "accept": "dept_staff", "feedback": "dept_staff",
           "revisit": "grid_worker", "archive": "dispatcher"}
    counts: dict[str, int] = {}
    for action in STEPS:
        with counting(w.engine) as seen:
            record = take_action(w.engine, w.runtime, w.users[who[action]], "event",
                                 record.id, action, version=record.version,
                                 values=given.get(action), clock=clock)
        counts[action] = len([s for s in seen if not s.lstrip().upper().startswith("BEGIN")])
    return counts


class _Clock:
    """Time moving on a minute per reading, from a fixed Monday."""

    def __init__(self) -> None:
        self.now = _AT

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(minutes=1)
        return self.now


class Raw:
    """The ceiling: the writes of a lifecycle through the engine, by hand, with the database
    driver's own SQL on one connection — each step a transaction (``BEGIN IMMEDIATE`` on
    SQLite, as the engine's) with an update under a version check, a history row, the old
    state's timers cancelled and the new one's written, and dispatch's outbox row."""

    STEPS = (("dispatch", "dispatching", "accepting", True, True),
             ("accept", "accepting", "handling", True, True),
             ("feedback", "handling", "revisiting", True, False),
             ("revisit", "revisiting", "archiving", False, False),
             ("archive", "archiving", "archived", False, False))

    def __init__(self, engine: Engine, table: str, ids: dict[str, int]) -> None:
        self.sqlite = engine.dialect.name == "sqlite"
        self.table = table
        self.engine = engine
        self.connection = engine.raw_connection()
        self.ids = ids

    def close(self) -> None:
        """Give the connection back."""
        self.connection.close()

    def _sql(self, statement: str) -> str:
        statement = statement.replace("event (", f"{self.table} (").replace(
            "FROM event", f"FROM {self.table}").replace("UPDATE event", f"UPDATE {self.table}")
        return statement if self.sqlite else statement.replace("?", "%s")

    def _at(self, when: dt.datetime) -> Any:
        return str(when.astimezone(dt.UTC).replace(tzinfo=None)) if self.sqlite else when

    def _history(self, cursor: Any, record: int, at: Any, actor: int, kind: str, action: str,
                 before: str | None, after: str, values: dict[str, Any]) -> None:
        json_ = "?" if self.sqlite else "CAST(? AS json)"
        cursor.execute(self._sql(
            "INSERT INTO history (register, record, at, actor, kind, action, from_state, "
            f"to_state, round, after) VALUES ('event', ?, ?, ?, ?, ?, ?, ?, 1, {json_})"),
            (record, at, actor, kind, action, before, after,
             json.dumps(values, ensure_ascii=False)))

    def _timer(self, cursor: Any, record: int, state: str, due: Any) -> None:
        cursor.execute(self._sql(
            "INSERT INTO timers (register, record, kind, state, round, step, due_at) "
            "VALUES ('event', ?, 'deadline', ?, 1, 0, ?)"), (record, state, due))

    def create(self, connection: Any, n: int, now: dt.datetime) -> int:
        """Report a record (one transaction on ``connection``, a driver connection)."""
        ids, at, due = self.ids, self._at(now), self._at(now + dt.timedelta(hours=4))
        cursor = connection.cursor()
        if self.sqlite:
            cursor.execute("BEGIN IMMEDIATE")
        cursor.execute(self._sql(
            "INSERT INTO event (node, title, state, round, version, reporter, created_at, "
            "updated_at, deadline) VALUES (?, ?, 'dispatching', 1, 1, ?, ?, ?, ?) "
            "RETURNING id"), (ids["node"], f"raw {n}", ids["grid_worker"], at, at, due))
        record = int(cursor.fetchone()[0])
        self._history(cursor, record, at, ids["grid_worker"], "created", "create", None,
                      "dispatching", {"title": f"raw {n}"})
        self._timer(cursor, record, "dispatching", due)
        connection.commit()
        cursor.close()
        return record

    def move(self, connection: Any, record: int, version: int, now: dt.datetime) -> bool:
        """Take the record at ``version`` one step on (one transaction); False when its
        version moved on."""
        action, before, after, cancels, plans = self.STEPS[version - 1]
        ids, at, due = self.ids, self._at(now), self._at(now + dt.timedelta(hours=4))
        sql, cursor = self._sql, connection.cursor()
        if self.sqlite:
            cursor.execute("BEGIN IMMEDIATE")
        cursor.execute(sql("SELECT state, version FROM event WHERE id = ?"
                           + ("" if self.sqlite else " FOR UPDATE")), (record,))
        state, found = cursor.fetchone()
        if found != version or state != before:
            connection.rollback()
            return False
        cursor.execute(sql("UPDATE event SET state = ?, version = ?, updated_at = ?, "
                           "deadline = ?, department = coalesce(?, department), "
                           "result = coalesce(?, result) WHERE id = ? AND version = ?"),
                       (after, version + 1, at, due if plans else None,
                        ids["department"] if action == "dispatch" else None,
                        "done" if action == "feedback" else None, record, version))
        if cancels:
            cursor.execute(sql("UPDATE timers SET cancelled_at = ? WHERE register = 'event' "
                               "AND record = ? AND state = ? AND fired_at IS NULL "
                               "AND cancelled_at IS NULL"), (at, record, before))
        if plans:
            self._timer(cursor, record, after, due)
        if action == "dispatch":
            cursor.execute(sql("INSERT INTO outbox (channel, recipient, subject, body, "
                               "register, record, cause, created_at, due_at, status, "
                               "sent_at, key) VALUES ('inbox', ?, 'notice', '', 'event', ?, "
                               "'transition', ?, ?, 'sent', ?, ?)"),
                           (ids["dept_staff"], record, at, at, at, f"raw-{record}"))
        self._history(cursor, record, at, ids["dispatcher"], "moved", action, before, after,
                      {"state": after})
        connection.commit()
        cursor.close()
        return True

    def lifecycle(self, n: int, now: dt.datetime) -> None:
        """Report one record and take it through the five steps."""
        record = self.create(self.connection, n, now)
        for version in range(1, len(self.STEPS) + 1):
            assert self.move(self.connection, record, version, now)


def _raw_ids(w: World) -> dict[str, int]:
    with w.engine.connect() as conn:
        return _ids(conn, w.runtime)


def _ids(conn: Connection, runtime: Any) -> dict[str, int]:
    """The ids the raw lifecycle writes: the grid node, the department, the users."""
    schema = runtime.schema
    nodes, departments = schema.system("nodes"), schema.system("departments")
    users = schema.system("users")
    return {"node": conn.execute(select(nodes.c.id).where(nodes.c.code == "S1G1")).scalar_one(),
            "department": conn.execute(select(departments.c.id)).scalar_one(),
            **{role: conn.execute(select(users.c.id).where(users.c.username == role)
                                  ).scalar_one() for role, _n, _d in _USERS}}


def _rate(run: Callable[[int], None], n: int) -> float:
    start = time.perf_counter()
    for k in range(n):
        run(k)
    return n / (time.perf_counter() - start)


def _profile(run: Callable[[], None], top: int = 25) -> list[str]:
    """The top functions by cumulative time over ``run``."""
    profiler = cProfile.Profile()
    profiler.runcall(run)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    return [line for line in out.getvalue().splitlines() if line.strip()][-top:]


def spiff_rate(w: World, n: int) -> float | None:
    """SpiffWorkflow lifecycles per second on the same six steps, each step one transaction
    that reads the workflow's stored JSON with its version, runs the step, writes the JSON
    back with a version check and adds a history row; None when it is not installed."""
    try:
        from SpiffWorkflow.serializer.json import JSONSerializer  # type: ignore[import-untyped]
        from SpiffWorkflow.specs.Simple import Simple  # type: ignore[import-untyped]
        from SpiffWorkflow.specs.WorkflowSpec import WorkflowSpec  # type: ignore[import-untyped]
        from SpiffWorkflow.util.task import TaskState  # type: ignore[import-untyped]
        from SpiffWorkflow.workflow import Workflow  # type: ignore[import-untyped]
    except ImportError:
        return None
    from sqlalchemy import Column, Integer, MetaData, Table, Text

    spec = WorkflowSpec("event_flow", addstart=True)
    previous = spec.start
    for name in ("report", *STEPS):
        task = Simple(spec, name)
        task.manual = True
        previous.connect(task)
        previous = task
    serializer = JSONSerializer()
    table = Table("bench_spiff", MetaData(), Column("id", Integer, primary_key=True),
                  Column("version", Integer, nullable=False), Column("doc", Text))
    history = w.runtime.schema.system("history")
    table.create(w.engine)

    def one(_k: int) -> None:
        workflow = Workflow(spec)
        workflow.run_all(halt_on_manual=True)
        with w.engine.begin() as conn:
            key = conn.execute(insert(table).values(version=1, doc=workflow.serialize(
                serializer)).returning(table.c.id)).scalar_one()
        for _step in range(6):
            with w.engine.begin() as conn:
                version, doc = conn.execute(select(table.c.version, table.c.doc).where(
                    table.c.id == key)).one()
                workflow = Workflow.deserialize(serializer, doc)
                task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
                task.run()
                workflow.run_all(halt_on_manual=True)
                assert conn.execute(update(table).where(
                    table.c.id == key, table.c.version == version).values(
                    version=version + 1, doc=workflow.serialize(serializer))).rowcount == 1
                conn.execute(insert(history).values(
                    register="spiff", record=key, at=_AT, kind="moved", action=task.task_spec.name,
                    round=1))
        assert workflow.is_completed()

    try:
        one(-1)
        return _rate(one, n)
    finally:
        table.drop(w.engine)


def lifecycle_inprocess(url: str | None = None, n: int = 300) -> dict[str, Any]:
    """Lifecycles per second through `take_action` as a ratio to the raw-SQL ceiling; with
    SpiffWorkflow's rate beside it, SQL statements per step and a profile of one lifecycle."""
    with world(url) as w:
        raw = Raw(w.engine, w.runtime.schema.table("event").name, _raw_ids(w))
        clock = _Clock()
        try:
            lifecycle(w, -1, clock)  # warm: compiled statements, templates, pools
            raw.lifecycle(-1, _AT)
            # Taken in turns, best of two each, so that a busy moment of the machine
            # does not fall on one side only.
            ours = _rate(lambda k: lifecycle(w, k, clock), n)
            ceiling = _rate(lambda k: raw.lifecycle(k, _AT), n)
            ours = max(ours, _rate(lambda k: lifecycle(w, n + k, clock), n))
            ceiling = max(ceiling, _rate(lambda k: raw.lifecycle(n + k, _AT), n))
        finally:
            raw.close()
        counts = statements_per_step(w)
        profile = _profile(lambda: lifecycle(w, 10 * n, clock))
        backend = w.engine.dialect.name
        spiff = spiff_rate(w, n)
    ratio = ours / ceiling
    return {"name": "lifecycle_inprocess", "ratio": round(ratio, 4), "ceiling": INPROCESS_GOAL,
            "goal": f">= {INPROCESS_GOAL}", "ok": ratio >= INPROCESS_GOAL, "database": backend,
            "lifecycles_per_second": round(ours, 1),
            "ceiling_per_second": round(ceiling, 1),
            "ms_per_step": round(1000 / ours / 6, 3),
            "spiffworkflow_per_second": round(spiff, 1) if spiff is not None else
            "not installed (pip install SpiffWorkflow)",
            "statements_per_step": counts, "lifecycles": 2 * n,
            "profile_one_lifecycle": profile}


def statements_figure(url: str | None = None) -> dict[str, Any]:
    """SQL statements per `take_action`, on average over a lifecycle (BEGIN not counted),
    as the ratio of the ceiling (`STATEMENTS_GOAL`) to it: ≥ 1.0 meets the goal."""
    with world(url) as w:
        counts = statements_per_step(w)
        backend = w.engine.dialect.name
    mean = sum(counts.values()) / len(counts)
    return {"name": "statements_per_step", "ratio": round(STATEMENTS_GOAL / mean, 4),
            "ceiling": STATEMENTS_GOAL, "goal": ">= 1.0", "ok": mean <= STATEMENTS_GOAL,
            "statements_per_step": round(mean, 2), "database": backend, "per_action": counts}


HTTP_GOAL = 0.5
"""Lifecycles per second through the JSON API as a share of the bare endpoints'."""
HTTP_CLIENTS = 4
_ROOT_ENV = "GRIDWORK_BENCH_ROOT"
_GIVEN: dict[str, dict[str, Any]] = {"dispatch": {"department": "cg"},
                                     "feedback": {"result": "done"}}
_WHO = {"dispatch": "dispatcher", "accept": "dept_staff", "feedback": "dept_staff",
        "revisit": "grid_worker", "archive": "dispatcher"}


def lifecycle_http(url: str | None = None, each: int = 25) -> dict[str, Any]:
    """4 clients each taking ``each`` lifecycles through the JSON API of `gridwork serve`,
    against a bare Starlette app whose endpoints make the same six raw transactions (the
    ceiling, in the same run on the same database); goal ≥ 0.5 and no 5xx."""
    import sys

    from ..auth import create_token
    from .load_bench import _server

    with world(url) as w:
        with w.engine.begin() as conn:
            tokens = {role: create_token(conn, w.runtime.schema, role,
                                         dt.datetime.now(dt.UTC), name="bench")[1]
                      for role in w.users}
        deployment_root = Path(w.runtime.deployment.root)
        serve = [sys.executable, "-m", "gridwork", "serve", str(deployment_root),
                 "--db", w.url]
        with _server(serve, w.url) as port:
            ours = _http_lifecycles(port, each, tokens, bare=False)
        bare = [sys.executable, "-m", "uvicorn", "--factory", f"{__name__}:bare_app",
                "--log-level", "warning"]
        with _server(bare, w.url, {_ROOT_ENV: str(deployment_root)}) as port:
            ceiling = _http_lifecycles(port, each, tokens, bare=True)
        backend = w.engine.dialect.name
    ratio = ours["per_second"] / ceiling["per_second"]
    return {"name": "lifecycle_http_4_clients", "ratio": round(ratio, 4),
            "ceiling": HTTP_GOAL, "goal": f">= {HTTP_GOAL}",
            "ok": ratio >= HTTP_GOAL and ours["5xx"] == 0, "database": backend,
            "lifecycles_per_second": round(ours["per_second"], 1),
            "ceiling_per_second": round(ceiling["per_second"], 1),
            "errors_5xx": ours["5xx"], "statuses": ours["statuses"],
            "lifecycles": HTTP_CLIENTS * each}


def _http_lifecycles(port: int, each: int, tokens: dict[str, str], *,
                     bare: bool) -> dict[str, Any]:
    """``HTTP_CLIENTS`` clients each taking ``each`` records through the lifecycle."""
    import http.client
    from collections import Counter

    from .load_bench import _together

    statuses: Counter[int] = Counter()
    done = [0]

    def post(conn: http.client.HTTPConnection, path: str, body: dict[str, Any],
             role: str) -> dict[str, Any] | None:
        headers = {"Content-Type": "application/json"}
        if not bare:
            headers["Authorization"] = f"Bearer {tokens[role]}"
        conn.request("POST", path, body=json.dumps(body), headers=headers)
        response = conn.getresponse()
        answer = response.read()
        statuses[response.status] += 1
        return json.loads(answer) if 200 <= response.status < 300 else None

    def client(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        records = "/records" if bare else "/api/v1/registers/event/records"
        for n in range(each):
            made = post(conn, records, {"n": k * each + n} if bare else {
                "node": "S1G1", "values": {"title": f"http {k}-{n}"}}, "grid_worker")
            if made is None:
                continue
            record, version = made["id"], made["version"]
            for action in STEPS:
                path = (f"{records}/{record}/step" if bare
                        else f"{records}/{record}/actions/{action}")
                moved = post(conn, path, {"version": version, "values": _GIVEN.get(action, {})},
                             _WHO[action])
                if moved is None:
                    break
                version = moved["version"]
            else:
                done[0] += 1
        conn.close()

    seconds = _together(client, HTTP_CLIENTS)
    return {"per_second": done[0] / seconds, "statuses": dict(statuses),
            "5xx": sum(n for status, n in statuses.items() if status >= 500)}


def bare_app() -> Any:
    """The ceiling of `lifecycle_http`: a Starlette app whose two endpoints make `Raw`'s
    transactions (report; one step at a version), with no checks at all."""
    import os

    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from ..config import load_deployment
    from ..runtime import Runtime
    from ..storage import make_engine
    from .load_bench import _DB_ENV

    runtime = Runtime.build(load_deployment(Path(os.environ[_ROOT_ENV])))
    engine = make_engine(os.environ[_DB_ENV])
    with engine.connect() as conn:
        ids = _ids(conn, runtime)
    raw = Raw(engine, runtime.schema.table("event").name, ids)
    raw.close()  # each request takes a pooled connection of its own

    def create(body: dict[str, Any]) -> JSONResponse:
        connection = engine.raw_connection()
        try:
            record = raw.create(connection, int(body.get("n", 0)), dt.datetime.now(dt.UTC))
        finally:
            connection.close()
        return JSONResponse({"id": record, "version": 1}, status_code=201)

    def step(record: int, body: dict[str, Any]) -> JSONResponse:
        version = int(body["version"])
        connection = engine.raw_connection()
        try:
            moved = raw.move(connection, record, version, dt.datetime.now(dt.UTC))
        finally:
            connection.close()
        if not moved:
            return JSONResponse({"error": "stale"}, status_code=409)
        return JSONResponse({"id": record, "version": version + 1})

    async def records(request: Request) -> JSONResponse:
        return await run_in_threadpool(create, json.loads(await request.body()))

    async def steps(request: Request) -> JSONResponse:
        return await run_in_threadpool(step, int(request.path_params["id"]),
                                       json.loads(await request.body()))

    return Starlette(routes=[Route("/records", records, methods=["POST"]),
                             Route("/records/{id}/step", steps, methods=["POST"])])
