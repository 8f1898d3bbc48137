"""Drive a shipped deployment through `/api/v1`: a workflow-suite world whose users hold
API tokens, and whose create/act/actions go over HTTP instead of calling the engine."""

from __future__ import annotations

import io
import sys
import zlib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from PIL import Image
from starlette.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow"))

from workflow_support import START, World, populate
from support import runtime_of

from gridwork.auth import create_token
from gridwork.config import Deployment
from gridwork.storage import build_schema, make_engine, migrate
from gridwork.web import create_app
from gridwork.web.api_shapes import plain

SECRET = "api-test-secret-" + "x" * 20


@dataclass(frozen=True)
class ApiRecord:
    """A record as the API answers it, with the attributes the lifecycle script reads."""

    register: str
    id: int
    state: str | None
    version: int
    round: int
    department: str | None
    assignee: int | None
    deadline: str | None
    body: dict[str, Any]

    @classmethod
    def of(cls, body: dict[str, Any]) -> ApiRecord:
        """From a record's JSON."""
        return cls(body["register"], body["id"], body["state"], body["version"],
                   body.get("round") or 1, body.get("department"), body.get("assignee"),
                   body.get("deadline"), body)


def build_world(url: str, deployment: Deployment) -> World:
    """Migrate ``url`` to ``deployment`` and add the workflow suite's users."""
    migrate(url, deployment, echo=lambda _: None)
    engine = make_engine(url)
    at, far, names = populate(engine, deployment)
    return World(engine, deployment, build_schema(deployment), at, far, names)


def make_tokens(world: World) -> dict[str, str]:
    """An API token for every user of the world."""
    with world.engine.begin() as conn:
        return {name: create_token(conn, world.schema, name, START)[1]
                for name in world.usernames}


def photo_bytes(name: str, kind: str = "PNG") -> bytes:
    """A small image of its own colour for each ``name`` (so each gets its own id)."""
    seed = zlib.crc32(name.encode())
    out = io.BytesIO()
    Image.new("RGB", (8, 6), (seed & 255, seed >> 8 & 255, seed >> 16 & 255)).save(out, kind)
    return out.getvalue()


def bearer(token: str) -> dict[str, str]:
    """The header that carries ``token``."""
    return {"Authorization": f"Bearer {token}"}


@dataclass
class HttpWorld(World):
    """A world whose users act through the API (one TestClient on the world's deployment)."""

    tokens: dict[str, str] | None = None
    client: TestClient | None = None

    @classmethod
    def over(cls, world: World, tokens: dict[str, str], data_dir: Path) -> HttpWorld:
        """``world`` driven over HTTP, with the same database, deployment and clock."""
        made = cls(**{f.name: getattr(world, f.name) for f in fields(World)}, tokens=tokens)
        made.client = TestClient(create_app(runtime_of(made.deployment), engine=made.engine,
                                            clock=made.clock, secret=SECRET,
                                            data_dir=data_dir)).__enter__()
        return made

    def close(self) -> None:
        """Stop the client's event loop."""
        if self.client is not None:
            self.client.__exit__(None, None, None)

    def get(self, who: str, path: str, **params: Any) -> Any:
        """GET ``/api/v1{path}`` as ``who``; the response."""
        assert self.client is not None and self.tokens is not None
        return self.client.get(f"/api/v1{path}", params=params, headers=bearer(self.tokens[who]))

    def post(self, who: str, path: str, body: dict[str, Any]) -> Any:
        """POST JSON to ``/api/v1{path}`` as ``who``; the response."""
        assert self.client is not None and self.tokens is not None
        return self.client.post(f"/api/v1{path}", json=plain(body),
                                headers=bearer(self.tokens[who]))

    def upload(self, who: str, register: str, field: str, content: bytes,
               filename: str = "photo.png") -> Any:
        """Send a photo to ``/api/v1/uploads`` as ``who``; the response."""
        assert self.client is not None and self.tokens is not None
        return self.client.post("/api/v1/uploads", data={"register": register, "field": field},
                                files={"file": (filename, content, "image/png")},
                                headers=bearer(self.tokens[who]))

    def with_uploads(self, who: str, register: str, values: dict[str, Any]) -> dict[str, Any]:
        """``values`` with every photo (named by the scripts, like `exit.jpg`) sent first
        and replaced by its upload id, as a client does."""
        sent = dict(values)
        for spec in self.deployment.registers[register].fields:
            if spec.type in ("photo", "file") and sent.get(spec.name):
                ids = []
                for name in sent[spec.name]:
                    response = self.upload(who, register, spec.name, photo_bytes(name))
                    assert response.status_code == 201, response.text
                    ids.append(response.json()["id"])
                sent[spec.name] = ids
        return sent

    def create(self, who: str, register: str, values: dict[str, Any],  # type: ignore[override]
               node: str | None = None) -> ApiRecord:
        level = (self.deployment.registers[register].attach_to
                 or self.deployment.hierarchy.levels[-1].key)
        response = self.post(who, f"/registers/{register}/records",
                             {"node": node or self.at[level],
                              "values": self.with_uploads(who, register, values)})
        assert response.status_code == 201, response.text
        return ApiRecord.of(response.json())

    def act(self, who: str, record: Any, action: str,  # type: ignore[override]
            values: dict[str, Any] | None = None, comment: str | None = None) -> ApiRecord:
        """Take ``action`` over HTTP, after checking the record offers it to ``who``."""
        self.clock.tick(minutes=30)
        assert action in self.actions(who, record)
        response = self.post(who, f"/registers/{record.register}/records/{record.id}/actions/"
                             f"{action}", {"version": record.version,
                                           "values": self.with_uploads(who, record.register,
                                                                       values or {}),
                                           "comment": comment})
        assert response.status_code == 200, response.text
        return ApiRecord.of(response.json())

    def actions(self, who: str, record: Any) -> list[str]:
        """Names of the actions the API offers ``who`` on the record now."""
        response = self.get(who, f"/registers/{record.register}/records/{record.id}")
        if response.status_code == 404:
            return []
        assert response.status_code == 200, response.text
        return [a["name"] for a in response.json()["actions"]]

    def read(self, who: str, record: Any) -> dict[str, Any]:
        """The record's JSON as ``who`` sees it."""
        response = self.get(who, f"/registers/{record.register}/records/{record.id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body
