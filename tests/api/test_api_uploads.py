"""Photos through the API: sent to `/api/v1/uploads`, checked as the pages check them (type by
content, the whole image decoded, the field's size limit), then named in `values` — so a
register whose photo is required (safety's hazard) can be reported through the API."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

from api_support import HttpWorld, photo_bytes
from PIL import Image

REGISTER = "hazard"
HAZARD = {"title": "安全出口堵塞", "description": "仓库安全出口被货物堵塞",
          "found_at": dt.datetime(2026, 5, 30, 10, 0).isoformat(), "rectify_mode": "on_spot",
          "category": "fire_exit", "severity": "general"}
REPORTER = "grid_inspector"


def polyglot() -> bytes:
    """A JPEG that decodes as one and carries a page in a comment segment."""
    jpeg = photo_bytes("polyglot", "JPEG")
    page = b"<html><body><script>alert(document.cookie)</script></body></html>"
    return jpeg[:2] + b"\xff\xfe" + (len(page) + 2).to_bytes(2, "big") + page + jpeg[2:]


def _report(world: HttpWorld, who: str, photos: Any) -> Any:
    return world.post(who, f"/registers/{REGISTER}/records",
                      {"node": world.at["grid"], "values": {**HAZARD, "photos": photos}})


def test_a_hazard_with_its_photo_is_reported_through_the_api(
        http: Callable[..., HttpWorld]) -> None:
    world = http("safety")
    missing = _report(world, REPORTER, [])
    assert missing.status_code == 422 and "photos" in missing.json()["errors"]
    first = world.upload(REPORTER, REGISTER, "photos", photo_bytes("front"), "front.png")
    second = world.upload(REPORTER, REGISTER, "photos", photo_bytes("side", "JPEG"), "side.jpg")
    assert first.status_code == second.status_code == 201, first.text
    assert first.json()["type"] == "image/png" and second.json()["type"] == "image/jpeg"
    ids = [first.json()["id"], second.json()["id"]]
    made = _report(world, REPORTER, ids)
    assert made.status_code == 201, made.text
    record = world.get(REPORTER, f"/registers/{REGISTER}/records/{made.json()['id']}").json()
    assert record["values"]["photos"] == ids


def test_an_upload_is_judged_by_its_whole_content_and_size(
        http: Callable[..., HttpWorld]) -> None:
    world = http("safety")
    for content, name in ((b"<html>not an image</html>", "scene.jpg"),
                          (polyglot(), "scene.jpg"),
                          (photo_bytes("cut", "JPEG")[:-40], "cut.jpg")):
        refused = world.upload(REPORTER, REGISTER, "photos", content, name)
        assert refused.status_code == 422
        assert refused.json() == {"errors": {"file": ["only JPEG, PNG or WebP images"]}}
    bomb = io.BytesIO()  # a few KB that would take hundreds of MB to decode
    Image.new("1", (9000, 8000)).save(bomb, "PNG")
    refused = world.upload(REPORTER, REGISTER, "photos", bomb.getvalue(), "bomb.png")
    assert refused.json() == {"errors": {"file": ["only JPEG, PNG or WebP images"]}}
    big = photo_bytes("big") + b"\0" * (5 * 1024 * 1024)
    refused = world.upload(REPORTER, REGISTER, "photos", big, "big.png")
    assert refused.json() == {"errors": {"file": ["larger than 5MB"]}}
    wrong = world.upload(REPORTER, REGISTER, "title", photo_bytes("x"))
    assert wrong.status_code == 422 and "field" in wrong.json()["errors"]
    unknown = world.upload(REPORTER, "nowhere", "photos", photo_bytes("x"))
    assert unknown.status_code == 422 and "register" in unknown.json()["errors"]


def test_uploads_need_a_token_and_a_multipart_body(http: Callable[..., HttpWorld]) -> None:
    world = http("safety")
    assert world.client is not None
    anonymous = world.client.post("/api/v1/uploads", data={"register": REGISTER,
                                                           "field": "photos"},
                                  files={"file": ("a.png", photo_bytes("a"), "image/png")})
    assert anonymous.status_code == 401
    assert world.client.post("/api/v1/uploads", json={}).status_code == 401
    as_json = world.post(REPORTER, "/uploads", {"register": REGISTER, "field": "photos"})
    assert as_json.status_code == 415
    assert world.client.get("/api/v1/uploads").status_code == 405


def test_only_the_sender_may_put_an_upload_in_a_record(http: Callable[..., HttpWorld]) -> None:
    world = http("safety")
    sent = world.upload(REPORTER, REGISTER, "photos", photo_bytes("mine")).json()["id"]
    other = next(name for name in world.usernames if name.startswith("grid_inspector_far"))
    refused = _report(world, other, [sent])
    assert refused.status_code == 422
    assert refused.json()["errors"]["photos"] == [
        f"no upload '{sent}' of yours: send it to /api/v1/uploads"]
    guessed = _report(world, REPORTER, ["0" * 64 + ".jpg"])
    assert guessed.status_code == 422
    assert _report(world, REPORTER, sent).status_code == 201
