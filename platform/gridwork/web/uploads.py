"""Photos sent with a form or the API: type judged by content, the whole file decoded, size
limited, stored by content hash in the data folder or in an S3-compatible object store.

A stored photo is referred to by ``<sha256>.<ext>``; the record keeps that reference. Naming
by hash means a photo kept across a re-rendered form (after a validation error) is stored
once. With ``GRIDWORK_STORAGE_URL`` set (``s3://bucket/prefix?endpoint_url=…``), every web
process reads and writes the same bucket, so each serves the photos another received;
without it, photos live under the data folder's ``uploads/``.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import warnings
from functools import cache
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.responses import Response

from ..config.models import FieldSpec

STORAGE_ENV = "GRIDWORK_STORAGE_URL"
DEFAULT_MAX_SIZE = 10 * 1024 * 1024
REFERENCE = re.compile(r"^[0-9a-f]{64}\.(jpg|png|webp)$")
MEDIA_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
PILLOW_FORMATS = {"jpg": ("JPEG", "MPO"), "png": ("PNG",), "webp": ("WEBP",)}
MARKUP = re.compile(rb"<(script|html|head|body|iframe|object|embed|svg|!doctype)[\s>/]",
                    re.IGNORECASE)
"""Markup a browser could run if it ever took the file for a page: no photo holds it."""
NOT_AN_IMAGE = "only JPEG, PNG or WebP images"
MAX_PIXELS = 64_000_000
"""Larger than any phone's photo; decoding more would take too much memory."""


class Store(Protocol):
    """Where photo files live: a folder, or a bucket that several servers share."""

    def exists(self, key: str) -> bool:
        """Whether ``key`` is stored."""

    def read(self, key: str) -> bytes | None:
        """The bytes of ``key``, None when it is not stored."""

    def write(self, key: str, content: bytes) -> None:
        """Store ``content`` under ``key``."""


class FolderStore:
    """Files in a local folder (the embedded default)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def exists(self, key: str) -> bool:
        return (self.root / key).is_file()

    def read(self, key: str) -> bytes | None:
        path = self.root / key
        return path.read_bytes() if path.is_file() else None

    def write(self, key: str, content: bytes) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".part")
        partial.write_bytes(content)
        partial.replace(path)


class BucketStore:
    """Objects in an S3-compatible bucket, under a prefix."""

    def __init__(self, url: str) -> None:
        import boto3  # type: ignore[import-untyped]

        parts = urlsplit(url)
        options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        self.bucket, self.prefix = parts.netloc, parts.path.strip("/")
        self.client: Any = boto3.client("s3", endpoint_url=options.get("endpoint_url"),
                                        region_name=options.get("region", "us-east-1"))

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError  # type: ignore[import-untyped]

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def read(self, key: str) -> bytes | None:
        from botocore.exceptions import ClientError  # type: ignore[import-untyped]

        try:
            found = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return bytes(found["Body"].read())

    def write(self, key: str, content: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=content)


def store_for(data_dir: Path) -> Store:
    """The store photos go to: the configured bucket, else the data folder's ``uploads/``."""
    url = os.environ.get(STORAGE_ENV, "").strip()
    if url:
        return _bucket(url)
    return FolderStore(folder(data_dir))


@cache
def _bucket(url: str) -> BucketStore:
    if not url.startswith("s3://") or not urlsplit(url).netloc:
        raise ValueError(f"{STORAGE_ENV} must look like s3://bucket/prefix?endpoint_url=…")
    return BucketStore(url)


def image_kind(head: bytes) -> str | None:
    """The extension of a JPEG, PNG or WebP image by its first bytes, else None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def whole_image(content: bytes, kind: str) -> bool:
    """Whether the whole file is the image its first bytes announce: it decodes fully, as
    that format, and carries no page markup (a JPEG/HTML polyglot does not pass)."""
    from PIL import Image

    if MARKUP.search(content):
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                width, height = image.size
                if image.format not in PILLOW_FORMATS[kind] or width * height > MAX_PIXELS:
                    return False
                image.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombWarning,
            Image.DecompressionBombError):
        return False
    return True


def folder(data_dir: Path) -> Path:
    """Where photos are stored without an object store."""
    return data_dir / "uploads"


def size_text(size: int) -> str:
    """A size as people write it: 5MB, 500KB."""
    if size % (1024 * 1024) == 0:
        return f"{size // (1024 * 1024)}MB"
    return f"{max(size // 1024, 1)}KB"


def limit_of(spec: FieldSpec) -> int:
    """The largest file ``spec``'s field takes."""
    return spec.max_size or DEFAULT_MAX_SIZE


def save(content: bytes, spec: FieldSpec, data_dir: Path) -> str:
    """Check and store one photo's bytes (at most the field's limit and one byte more) and
    return its reference; ValueError says what is wrong."""
    limit = limit_of(spec)
    if len(content) > limit:
        raise ValueError(f"larger than {size_text(limit)}")
    kind = image_kind(content[:16])
    if kind is None or not whole_image(content, kind):
        raise ValueError(NOT_AN_IMAGE)
    reference = f"{hashlib.sha256(content).hexdigest()}.{kind}"
    target = store_for(data_dir)
    if not target.exists(reference):
        target.write(reference, content)
    return reference


async def store(upload: UploadFile, spec: FieldSpec, data_dir: Path) -> str:
    """Store one uploaded photo and return its reference; ValueError says what is wrong."""
    content = await upload.read(limit_of(spec) + 1)
    return await run_in_threadpool(save, content, spec, data_dir)


def kept(references: list[str], data_dir: Path) -> list[str]:
    """The references among ``references`` that name stored photos."""
    target = store_for(data_dir)
    return [ref for ref in references if REFERENCE.match(ref) and target.exists(ref)]


def claim(data_dir: Path, user_id: int, reference: str) -> None:
    """Note that user ``user_id`` sent the photo ``reference`` (through the API), so that
    they, and only they, may put it in a record's values."""
    store_for(data_dir).write(_claim_key(user_id, reference), b"")


def claimed(data_dir: Path, user_id: int, reference: str) -> bool:
    """Whether user ``user_id`` sent the photo ``reference``."""
    return bool(REFERENCE.match(reference)) and store_for(data_dir).exists(
        _claim_key(user_id, reference))


def _claim_key(user_id: int, reference: str) -> str:
    return f"sent-by/{user_id}/{reference}"


async def serve(data_dir: Path, reference: str, max_age: int) -> Response:
    """A stored photo as a response that a browser shows only as that image (no sniffing,
    no scripts, a file name); 404 when it is not stored."""
    content = await run_in_threadpool(store_for(data_dir).read, reference) \
        if REFERENCE.match(reference) else None
    if content is None:
        raise HTTPException(404)
    return Response(content, media_type=MEDIA_TYPES[reference.rsplit(".", 1)[1]], headers={
        "Cache-Control": f"private, max-age={max_age}",
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f'inline; filename="{reference}"',
        "Content-Security-Policy": "default-src 'none'; sandbox"})
