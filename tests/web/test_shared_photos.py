"""Photos in an S3-compatible object store (`GRIDWORK_STORAGE_URL`): two web servers on one
database, each with its own data folder, serve the photos the other received — through the
pages and through the API. The store is moto's standalone server, started here."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from starlette.testclient import TestClient
from web_support import sign_in, token
from support import runtime_of

from gridwork.auth import create_token
from gridwork.config import Deployment
from gridwork.storage import build_schema, make_engine
from gridwork.web import create_app

BUCKET = "photos"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def object_store(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A moto S3 server on a free loopback port with an empty bucket, configured as the
    photo store; yields a boto3 client on it."""
    boto3 = pytest.importorskip("boto3")
    pytest.importorskip("moto.server")
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1",
                               "-p", str(port)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):  # wait (bounded) until it listens
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None, "moto's server stopped"
                _pause(server)
        endpoint = f"http://127.0.0.1:{port}"
        for name, value in (("AWS_ACCESS_KEY_ID", "testing"),
                            ("AWS_SECRET_ACCESS_KEY", "testing"),
                            ("AWS_DEFAULT_REGION", "us-east-1")):
            monkeypatch.setenv(name, value)
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        monkeypatch.setenv("GRIDWORK_STORAGE_URL", f"s3://{BUCKET}/gw?endpoint_url={endpoint}")
        yield client
    finally:
        server.terminate()
        server.wait()


def _pause(server: subprocess.Popen[bytes]) -> None:
    """Let the starting server run a little before asking again."""
    try:
        server.wait(timeout=0.05)
    except subprocess.TimeoutExpired:
        pass


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (12, 8), (30, 140, 90)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def two_servers(tmp_path: Path, seeded: Callable[[str], Path],
                deployments: dict[str, Deployment]) -> Iterator[Callable[[str], TestClient]]:
    """Two apps of the community deployment on one database, each with its own data folder;
    ``make("a"|"b")`` gives a new client of that app."""
    db = tmp_path / "shared.sqlite3"
    shutil.copy(seeded("community"), db)
    engine = make_engine(f"sqlite:///{db}")
    apps = {name: create_app(runtime_of(deployments["community"]), engine=engine,
                             clock=lambda: dt.datetime.now(dt.UTC),
                             secret="shared-secret-" + "x" * 20, data_dir=tmp_path / name)
            for name in ("a", "b")}
    clients: list[TestClient] = []

    def make(name: str) -> TestClient:
        clients.append(TestClient(apps[name]).__enter__())
        return clients[-1]
    yield make
    for client in clients:
        client.__exit__(None, None, None)
    engine.dispose()


def _event(client: TestClient, **values: Any) -> dict[str, Any]:
    grid = re.search(r'<option value="(\w+)" selected>', client.get("/registers/event/new").text)
    assert grid
    return {"csrf": token(client), "node": grid.group(1), "category": "dispute_neighbour",
            "title": "楼上漏水", "description": "楼上漏水到楼下", "source": "patrol",
            "address": "一单元 302", **values}


def test_each_server_serves_the_photos_the_other_received(
        object_store: Any, two_servers: Callable[[str], TestClient], tmp_path: Path) -> None:
    photo = _jpeg()
    first = two_servers("a")
    sign_in(first, "grid_worker")
    saved = first.post("/registers/event/new", data=_event(first),
                       files=[("photos", ("scene.jpg", photo, "image/jpeg"))],
                       follow_redirects=False)
    assert saved.status_code == 303, saved.text
    record = saved.headers["location"]
    reference = re.search(r"/photos/([0-9a-f]{64}\.jpg)", first.get(record).text)
    assert reference
    second = two_servers("b")
    sign_in(second, "grid_worker")
    served = second.get(f"{record}/photos/{reference.group(1)}")
    assert served.status_code == 200 and served.content == photo
    assert served.headers["x-content-type-options"] == "nosniff"
    keys = [item["Key"] for item in object_store.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert f"gw/{reference.group(1)}" in keys
    assert not (tmp_path / "a" / "uploads").exists() and not (tmp_path / "b" / "uploads").exists()


def test_an_api_upload_to_one_server_is_reported_through_the_other(
        object_store: Any, two_servers: Callable[[str], TestClient],
        deployments: dict[str, Deployment]) -> None:
    first, second = two_servers("a"), two_servers("b")
    site = first.app.state.site  # type: ignore[attr-defined]
    with site.engine.begin() as conn:
        secret = create_token(conn, build_schema(deployments["community"]), "grid_worker",
                              dt.datetime.now(dt.UTC))[1]
    auth = {"Authorization": f"Bearer {secret}"}
    sent = first.post("/api/v1/uploads", data={"register": "event", "field": "photos"},
                      files={"file": ("scene.jpg", _jpeg(), "image/jpeg")}, headers=auth)
    assert sent.status_code == 201, sent.text
    form = second.get("/api/v1/registers/event", headers=auth).json()
    assert any(f["name"] == "photos" for f in form["fields"])
    node = second.get("/api/v1/me", headers=auth).json()["nodes"][0]["code"]
    made = second.post("/api/v1/registers/event/records", headers=auth, json={
        "node": node, "values": {"title": "楼上漏水", "description": "楼上漏水到楼下",
                                 "source": "patrol", "address": "一单元 302",
                                 "category": "dispute_neighbour",
                                 "photos": [sent.json()["id"]]}})
    assert made.status_code == 201, made.text
    assert made.json()["values"]["photos"] == [sent.json()["id"]]
