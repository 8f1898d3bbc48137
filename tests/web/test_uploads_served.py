"""Served photos are only ever shown as the image they are: `nosniff`, a file name, no
scripts; a photo that is also a page (a JPEG/HTML polyglot) is refused when it is sent."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

from PIL import Image
from starlette.testclient import TestClient
from web_support import token


def _jpeg(colour: tuple[int, int, int] = (200, 80, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 6), colour).save(out, "JPEG")
    return out.getvalue()


def _event(client: TestClient, **values: Any) -> dict[str, Any]:
    grid = re.search(r'<option value="(\w+)" selected>', client.get("/registers/event/new").text)
    assert grid
    return {"csrf": token(client), "node": grid.group(1), "category": "dispute_neighbour",
            "title": "楼上漏水", "description": "楼上漏水到楼下", "source": "patrol",
            "address": "一单元 302", **values}


def test_a_photo_is_served_as_an_image_only(make_client: Callable[..., TestClient]) -> None:
    client = make_client("community", "grid_worker")
    photo = _jpeg()
    failed = client.post("/registers/event/new", data=_event(client, title=""),
                         files=[("photos", ("scene.jpg", photo, "image/jpeg"))])
    kept = re.search(r'name="photos" value="([0-9a-f]{64}\.jpg)" checked', failed.text)
    assert kept
    preview = client.get(f"/uploads/{kept.group(1)}")
    saved = client.post("/registers/event/new", data=_event(client, photos=kept.group(1)),
                        follow_redirects=False)
    assert saved.status_code == 303
    served = client.get(f"{saved.headers['location']}/photos/{kept.group(1)}")
    for response in (preview, served):
        assert response.status_code == 200 and response.content == photo
        assert response.headers["content-type"] == "image/jpeg"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-disposition"] == f'inline; filename="{kept.group(1)}"'
        assert "sandbox" in response.headers["content-security-policy"]


def test_a_jpeg_that_is_also_a_page_is_refused(make_client: Callable[..., TestClient]) -> None:
    client = make_client("community", "grid_worker")
    jpeg = _jpeg()
    page = b"<html><script>alert(1)</script></html>"
    polyglot = jpeg[:2] + b"\xff\xfe" + (len(page) + 2).to_bytes(2, "big") + page + jpeg[2:]
    response = client.post("/registers/event/new", data=_event(client),
                           files=[("photos", ("scene.jpg", polyglot, "image/jpeg"))])
    assert response.status_code == 422
    assert "只接受 JPEG、PNG 或 WebP 图片" in response.text
    assert not re.search(r'name="photos" value="[0-9a-f]{64}\.jpg"', response.text)
