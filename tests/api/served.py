"""A shipped deployment served by uvicorn in a thread on a free port: migrated, seeded with
its demo users (password `demo`) and a few demo records, for clients that speak HTTP
themselves (schemathesis, the `georeport` Open311 client)."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from sqlalchemy import Engine
from support import CONFIGS

from gridwork.runtime import Runtime
from gridwork.auth import create_token
from gridwork.config import Deployment, load_deployment
from gridwork.storage import build_schema, make_engine, migrate
from gridwork.demo.seed import seed_demo
from gridwork.web import create_app


@dataclass(frozen=True)
class Served:
    """A running server: its base URL, deployment and database."""

    url: str
    deployment: Deployment
    engine: Engine

    def token(self, username: str, *, scopes: tuple[str, ...] = ("api",)) -> str:
        """A new API token of ``username`` (with these scopes)."""
        with self.engine.begin() as conn:
            return create_token(conn, build_schema(self.deployment), username,
                                dt.datetime.now(dt.UTC), scopes=scopes)[1]


@contextmanager
def served(name: str, folder: Path, *, records: int = 20,
           url: str | None = None) -> Iterator[Served]:
    """Serve the shipped deployment ``name`` with its files in ``folder`` and its database
    at ``url`` (default: a SQLite file there)."""
    deployment = load_deployment(CONFIGS / name)
    url = url or f"sqlite:///{folder / name}.sqlite3"
    migrate(url, deployment, echo=lambda _: None)
    engine = make_engine(url)
    seed_demo(engine, deployment, records=records, echo=lambda _: None)
    app = create_app(Runtime.build(deployment), engine=engine, secret="served-" + "x" * 24,
                     data_dir=folder / "data", clock=lambda: dt.datetime.now(dt.UTC))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield Served(f"http://127.0.0.1:{port}", deployment, engine)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        engine.dispose()
