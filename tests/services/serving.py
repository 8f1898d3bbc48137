"""Real `gridwork serve` processes for the load and fault tests: the community deployment
migrated with its demo users and an API token, a server subprocess on a free port (stopped,
or killed with SIGKILL), and HTTP clients that keep what each request answered."""

from __future__ import annotations

import datetime as dt
import http.client
import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine, func, select

from gridwork.auth import create_token
from gridwork.config import Deployment, load_deployment
from gridwork.storage import build_schema, make_engine, migrate
from gridwork.demo.seed import seed_demo

ROOT = Path(__file__).resolve().parents[2]
COMMUNITY = ROOT / "configs" / "community"
PLATFORM = ROOT / "platform"
GRID = "330106001001001"
"""The demo grid, where the demo grid worker reports events."""
STARTUP = 300
"""Seconds a server may take to answer its first request (a busy CI machine is slow)."""

_DEPLOYMENT: list[Deployment] = []


def community() -> Deployment:
    """The community deployment (loaded once)."""
    if not _DEPLOYMENT:
        _DEPLOYMENT.append(load_deployment(COMMUNITY))
    return _DEPLOYMENT[0]


def prepare(url: str, *, records: int = 9) -> str:
    """Migrate the community deployment onto ``url``, seed its demo users (password `demo`)
    and about ``records`` records; return an API token of the demo grid worker."""
    deployment = community()
    migrate(url, deployment, echo=lambda _line: None)
    engine = make_engine(url)
    try:
        seed_demo(engine, deployment, records=records, echo=lambda _line: None)
        with engine.begin() as conn:
            _made, secret = create_token(conn, build_schema(deployment), "grid_worker",
                                         dt.datetime.now(dt.UTC), name="load")
    finally:
        engine.dispose()
    return secret


def free_port() -> int:
    """A TCP port nobody listens on at the moment."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """`gridwork serve` of the community deployment on ``url``, in a subprocess."""

    def __init__(self, url: str, log: Path, *, workers: int = 1,
                 env: dict[str, str] | None = None) -> None:
        self.url, self.log_path, self.workers = url, log, workers
        self.env = {**os.environ, "PYTHONPATH": str(PLATFORM),
                    "GRIDWORK_SECRET_KEY": "load-test-secret", **(env or {})}
        self.env.pop("GRIDWORK_BROKER_URL", None)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> Server:
        """Start the server and wait until it answers."""
        self._log = self.log_path.open("ab")
        command = [sys.executable, "-m", "gridwork", "serve", str(COMMUNITY), "--db",
                   self.url, "--port", str(self.port)]
        if self.workers > 1:
            command += ["--workers", str(self.workers)]
        self.process = subprocess.Popen(command, env=self.env, stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        waited = 0.0
        while True:
            assert self.process.poll() is None, f"the server exited:\n{self.output()}"
            try:
                with urllib.request.urlopen(self.base + "/signin", timeout=10):
                    return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                assert waited < STARTUP, f"the server did not answer:\n{self.output()}"
                time.sleep(0.2)
                waited += 0.2

    def kill(self) -> None:
        """SIGKILL the server (and its worker processes): no shutdown of any kind."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(30)
        self._close()

    def stop(self) -> None:
        """Stop the server as Ctrl+C would."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(30)
        self._close()

    def output(self) -> str:
        """What the server printed so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace") \
            if self.log_path.exists() else ""

    def _close(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


@contextmanager
def serving(url: str, log: Path, **options: Any) -> Iterator[Server]:
    """A started server, stopped afterwards."""
    server = Server(url, log, **options)
    try:
        yield server.start()
    finally:
        server.stop()


@dataclass(frozen=True)
class Answer:
    """What one request got: its status (0: no HTTP answer at all) and JSON or text."""

    title: str
    status: int
    body: Any
    retry_after: str | None = None

    @property
    def record_id(self) -> int | None:
        """The id of the record a 201 created."""
        return int(self.body["id"]) if self.status == 201 else None


def create(base: str, token: str, title: str) -> Answer:
    """Report an event at the demo grid through the API."""
    body = json.dumps({"node": GRID, "values": {
        "category": "hazard_gas", "title": title, "description": "load test",
        "address": "1 Test Road", "source": "patrol"}}).encode()
    request = urllib.request.Request(base + "/api/v1/registers/event/records", data=body,
                                     headers={"Authorization": f"Bearer {token}",
                                              "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return Answer(title, response.status, json.loads(response.read()))
    except urllib.error.HTTPError as err:
        text = err.read().decode("utf-8", "replace")
        return Answer(title, err.code, text, err.headers.get("Retry-After"))
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError,
            http.client.HTTPException) as err:
        # No answer, or one cut short (the server killed mid-body): not acknowledged.
        return Answer(title, 0, repr(err))


def burst(base: str, token: str, prefix: str, *, clients: int = 8, each: int = 25,
          stop: threading.Event | None = None) -> list[Answer]:
    """``clients`` threads each creating ``each`` events one after another (titles
    ``prefix-client-n``), all starting together; every answer. A client stops early once
    ``stop`` is set."""
    answers: list[Answer] = []
    start = threading.Barrier(clients)

    def client(k: int) -> None:
        start.wait()
        for n in range(each):
            if stop is not None and stop.is_set():
                return
            answers.append(create(base, token, f"{prefix}-{k}-{n}"))

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def stored(engine: Engine, prefix: str) -> dict[str, tuple[int, int]]:
    """Events titled ``prefix-…``: title → (id, number of `create` history rows)."""
    schema = build_schema(community())
    events, history = schema.table("event"), schema.system("history")
    creates = (select(history.c.record, func.count().label("n"))
               .where(history.c.register == "event", history.c.action == "create")
               .group_by(history.c.record).subquery())
    with engine.connect() as conn:
        rows = conn.execute(
            select(events.c.title, events.c.id, func.coalesce(creates.c.n, 0))
            .outerjoin(creates, creates.c.record == events.c.id)
            .where(events.c.title.like(f"{prefix}-%"))).all()
    return {title: (int(record), int(count)) for title, record, count in rows}


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Keep a redirect as the answer (a 303 after signing in is the success)."""

    def redirect_request(self, *args: Any) -> None:
        return None


def sign_in(base: str, username: str, password: str = "demo") -> int:
    """Open the sign-in page and sign in as a browser would; the status of the POST (0 when
    there was no HTTP answer)."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect)
    try:
        with opener.open(base + "/signin", timeout=120) as response:
            html = response.read().decode()
        match = re.search(r'name="csrf" value="([^"]+)"', html)
        assert match is not None, "the sign-in page has its CSRF token"
        data = urllib.parse.urlencode({"username": username, "password": password,
                                       "csrf": match.group(1), "next": "/"}).encode()
        with opener.open(base + "/signin", data=data, timeout=120) as response:
            return int(response.status)
    except urllib.error.HTTPError as err:
        return err.code
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return 0
