"""The figures of `gridwork serve` under 8 concurrent clients: API creates per second against
a bare Starlette endpoint making the same inserts (the ceiling, measured in the same run),
and the p95 of the scoped list page over 100,000 records.

Both servers run as their own processes on loopback (as deployed), on a temporary SQLite
file of the bench deployment (see gridwork.tools.bench); the clients are threads of this process,
each on one keep-alive connection.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select

CLIENTS = 8
CREATE_GOAL = 0.5
"""API creates per second as a share of the bare endpoint's."""
LIST_CEILING = 1.0
"""Seconds for the p95 of the scoped list page."""
PASSWORD = "bench-password"
_DB_ENV = "GRIDWORK_BENCH_DB"
_AT = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def api_create_8_clients(each: int = 250) -> dict[str, Any]:
    """8 clients each creating ``each`` records through the API, against the bare
    endpoint's rate; goal ≥ 0.5 and no 5xx."""
    with _world(records=0) as (root, url, engine):
        grid = _first(engine, root, "grid")
        token = _token(engine, root)

        def api(k: int, n: int) -> dict[str, Any]:
            return {"node": grid[1], "values": {"name": f"api-{k}-{n}"}}

        def bare(k: int, n: int) -> dict[str, Any]:
            return {"node": grid[0], "name": f"bare-{k}-{n}"}

        with _server(_serve_command(root, url), url) as port:
            ours = _creates(port, "/api/v1/registers/place/records", api, each,
                            {"Authorization": f"Bearer {token}"})
        command = [sys.executable, "-m", "uvicorn", "--factory",
                   f"{__name__}:bare_app", "--log-level", "warning"]
        with _server(command, url) as port:
            ceiling = _creates(port, "/records", bare, each, {})
    ratio = ours["per_second"] / ceiling["per_second"]
    return {"name": "api_create_8_clients", "ratio": round(ratio, 4),
            "ceiling": CREATE_GOAL, "goal": f">= {CREATE_GOAL}", "ok": ratio >= CREATE_GOAL and ours["5xx"] == 0,
            "creates_per_second": round(ours["per_second"], 1),
            "ceiling_per_second": round(ceiling["per_second"], 1),
            "errors_5xx": ours["5xx"], "statuses": ours["statuses"],
            "creates": CLIENTS * each}


def list_page_p95_8_clients(records: int = 100_000, each: int = 25) -> dict[str, Any]:
    """The p95 of the list page as a street officer (a twentieth of ``records`` in scope),
    8 signed-in clients each opening it ``each`` times; ceiling 1 s."""
    with _world(records=records) as (root, url, _engine):
        with _server(_serve_command(root, url), url) as port:
            times: list[float] = []
            statuses: Counter[int] = Counter()

            def client(_k: int) -> None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
                cookie = _sign_in(conn, "street_officer")
                for _ in range(each):
                    start = time.perf_counter()
                    conn.request("GET", "/registers/place", headers={"Cookie": cookie})
                    response = conn.getresponse()
                    response.read()
                    times.append(time.perf_counter() - start)
                    statuses[response.status] += 1
                conn.close()

            _together(client)
    p95 = statistics.quantiles(times, n=20)[-1]
    return {"name": "list_page_p95_8_clients", "seconds": round(p95, 4),
            "ceiling": LIST_CEILING, "ok": p95 <= LIST_CEILING and set(statuses) == {200},
            "p95_ms": round(p95 * 1000, 1), "median_ms": round(statistics.median(times) * 1000, 1),
            "requests": len(times), "statuses": dict(statuses), "records": records}


def bare_app() -> Any:
    """The ceiling: one Starlette endpoint making the inserts an API create makes (the
    record and its history row, in one write transaction), with no checks at all."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route
    from sqlalchemy.engine import make_url

    from ..config import load_deployment
    from ..storage import build_schema, make_engine
    from ..workflow import history

    url = os.environ[_DB_ENV]
    root = Path(make_url(url).database or "").parent  # the deployment beside its database
    schema = build_schema(load_deployment(root))
    engine = make_engine(url)
    table = schema.table("place")

    def create(request: Request, body: dict[str, Any]) -> JSONResponse:
        now = dt.datetime.now(dt.UTC)
        with engine.begin() as conn:
            record_id = conn.execute(insert(table).values(
                node=body["node"], name=body["name"], created_at=now, updated_at=now,
                version=1).returning(table.c.id)).scalar_one()
            history.write(conn, schema, history.Change(history.Kind.CREATED, "place", record_id,
                                                       now, after={"name": body["name"]}))
        return JSONResponse({"id": record_id}, status_code=201)

    async def endpoint(request: Request) -> JSONResponse:
        from starlette.concurrency import run_in_threadpool

        return await run_in_threadpool(create, request, json.loads(await request.body()))

    return Starlette(routes=[Route("/records", endpoint, methods=["POST"])])


@contextmanager
def _world(records: int) -> Iterator[tuple[Path, str, Engine]]:
    """The bench deployment (5 streets × 10 communities × 20 grids) migrated into a
    temporary SQLite file, with a grid worker and a street officer, and ``records`` places
    spread over the grids."""
    from .bench import generate_tree
    from ..config import load_deployment
    from ..storage import build_schema, make_engine, migrate
    from ..storage.passwords import hash_password

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "bench"
        generate_tree(root, streets=5, communities=10, grids=20)
        deployment = load_deployment(root)
        url = f"sqlite:///{root / 'bench.sqlite3'}"
        migrate(url, deployment, echo=lambda _line: None)
        schema = build_schema(deployment)
        engine = make_engine(url)
        users, grants, nodes = (schema.system(n) for n in ("users", "grants", "nodes"))
        try:
            with engine.begin() as conn:
                for role, level in (("grid_worker", "grid"), ("street_officer", "street")):
                    user = conn.execute(insert(users).values(
                        username=role, display_name=role, active=True, created_at=_AT,
                        password_hash=hash_password(PASSWORD)).returning(users.c.id)
                    ).scalar_one()
                    node = conn.execute(select(nodes.c.id).where(nodes.c.level == level)
                                        .order_by(nodes.c.id)).scalars().first()
                    conn.execute(insert(grants).values(user=user, role=role, node=node,
                                                       scope="subtree"))
                _fill(conn, schema, records)
            yield root, url, engine
        finally:
            engine.dispose()


def _fill(conn: Any, schema: Any, records: int) -> None:
    nodes, table = schema.system("nodes"), schema.table("place")
    grids = conn.execute(select(nodes.c.id).where(nodes.c.level == "grid")
                         .order_by(nodes.c.id)).scalars().all()
    for start in range(0, records, 50_000):
        conn.execute(insert(table), [
            {"node": grids[i % len(grids)], "created_at": _AT, "updated_at": _AT,
             "version": 1, "name": f"p{i}"} for i in range(start, min(start + 50_000, records))])


def _first(engine: Engine, root: Path, level: str) -> tuple[int, str]:
    """The id and code of the first node of ``level``."""
    from ..config import load_deployment
    from ..storage import build_schema

    nodes = build_schema(load_deployment(root)).system("nodes")
    with engine.connect() as conn:
        row = conn.execute(select(nodes.c.id, nodes.c.code).where(nodes.c.level == level)
                           .order_by(nodes.c.id)).first()
    assert row is not None
    return int(row.id), str(row.code)


def _token(engine: Engine, root: Path) -> str:
    from ..auth import create_token
    from ..config import load_deployment
    from ..storage import build_schema

    with engine.begin() as conn:
        _made, secret = create_token(conn, build_schema(load_deployment(root)), "grid_worker",
                                     dt.datetime.now(dt.UTC), name="bench")
    return secret


def _serve_command(root: Path, url: str) -> list[str]:
    return [sys.executable, "-m", "gridwork", "serve", str(root), "--db", url]


@contextmanager
def _server(command: list[str], url: str, env: dict[str, str] | None = None) -> Iterator[int]:
    """Run ``command`` (a server taking ``--port``) on a free port until it answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    env = {**os.environ, **(env or {}), _DB_ENV: url, "GRIDWORK_SECRET_KEY": "bench"}
    env.pop("GRIDWORK_BROKER_URL", None)
    process = subprocess.Popen([*command, "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited: {' '.join(command)}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(30)


def _creates(port: int, path: str, body: Callable[[int, int], dict[str, Any]], each: int,
             headers: dict[str, str]) -> dict[str, Any]:
    """8 clients POSTing ``each`` bodies at ``path``: the statuses and 2xx per second."""
    statuses: Counter[int] = Counter()

    def client(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        for n in range(each):
            conn.request("POST", path, body=json.dumps(body(k, n)),
                         headers={"Content-Type": "application/json", **headers})
            response = conn.getresponse()
            response.read()
            statuses[response.status] += 1
        conn.close()

    seconds = _together(client)
    made = sum(n for status, n in statuses.items() if 200 <= status < 300)
    return {"per_second": made / seconds, "statuses": dict(statuses),
            "5xx": sum(n for status, n in statuses.items() if status >= 500)}


def _together(client: Callable[[int], None], clients: int = CLIENTS) -> float:
    """Run ``client(k)`` in ``clients`` threads started at once; the seconds until the last
    finished."""
    start = threading.Barrier(clients + 1)

    def run(k: int) -> None:
        start.wait()
        client(k)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began


def _sign_in(conn: http.client.HTTPConnection, username: str) -> str:
    """Sign in on ``conn`` as a browser would; the session cookie to send."""
    conn.request("GET", "/signin")
    response = conn.getresponse()
    html = response.read().decode()
    cookie = response.getheader("Set-Cookie", "").split(";")[0]
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    if match is None:
        raise RuntimeError("the sign-in page has no CSRF token")
    form = urllib.parse.urlencode({"username": username, "password": PASSWORD,
                                   "csrf": match.group(1), "next": "/"})
    conn.request("POST", "/signin", body=form, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    response = conn.getresponse()
    response.read()
    if response.status != 303:
        raise RuntimeError(f"signing in as {username} answered {response.status}")
    return str(response.getheader("Set-Cookie", cookie)).split(";")[0]
