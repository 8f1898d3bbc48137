"""Fixtures for the browser suite: each deployment served by uvicorn in a thread, and Chromium.

Chromium is the system's (`/usr/bin/chromium`, the Debian package): never downloaded by
`playwright install`.
"""

from __future__ import annotations

import datetime as dt
import socket
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import Engine
from support import CONFIGS, ROOT, quick_passwords, runtime_of

from gridwork.config import Deployment, load_deployment
from gridwork.storage import make_engine, migrate
from gridwork.demo.seed import seed_demo
from gridwork.web import create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = ROOT / "test-artifacts"


def png(width: int = 48, height: int = 32) -> bytes:
    """A small striped PNG, made here so the suite needs no image files."""
    rows = b"".join(b"\0" + b"".join(bytes((40 + x * 4 % 200, 110, 140 + y * 3 % 100))
                                      for x in range(width)) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless system Chromium, shared by the suite."""
    if not CHROMIUM.exists():
        pytest.skip("the Debian package chromium is not installed (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., str]]:
    """Serve a shipped deployment or a folder (migrated, seeded with ``records`` demo
    records, the demo users' password quick to check, then ``prepare``d) on a free port;
    return its base URL."""
    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(name: str, records: int = 60,
              prepare: Callable[[Engine, Deployment, Path], None] | None = None) -> str:
        folder = CONFIGS / name  # a shipped deployment's name, or a folder's path
        deployment = load_deployment(folder)
        url = f"sqlite:///{tmp_path / folder.name}.sqlite3"
        migrate(url, deployment, echo=lambda _: None)
        engine = make_engine(url)
        seed_demo(engine, deployment, records=records, echo=lambda _: None)
        quick_passwords(engine, deployment)
        if prepare is not None:
            prepare(engine, deployment, tmp_path)
        app = create_app(runtime_of(deployment), engine=engine, secret="browser-" + "x" * 24,
                         data_dir=tmp_path / "data",
                         clock=lambda: dt.datetime.now(dt.UTC))
        port = _free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                               log_level="warning", lifespan="off"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.02)
        servers.append((server, thread))
        return f"http://127.0.0.1:{port}"
    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(timeout=10)
