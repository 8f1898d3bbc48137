"""Photos sent with a form: type judged by content, size limited, stored by content hash.

A stored photo is referred to by ``<sha256>.<ext>``; the record keeps that reference,
and the file lives under the data folder's ``uploads/``. Naming by hash means a photo
kept across a re-rendered form (after a validation error) is stored once.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from starlette.datastructures import UploadFile

from ..config.models import FieldSpec

DEFAULT_MAX_SIZE = 10 * 1024 * 1024
REFERENCE = re.compile(r"^[0-9a-f]{64}\.(jpg|png|webp)$")
MEDIA_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


def image_kind(head: bytes) -> str | None:
    """The extension of a JPEG, PNG or WebP image by its first bytes, else None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def folder(data_dir: Path) -> Path:
    """Where photos are stored."""
    return data_dir / "uploads"


def size_text(size: int) -> str:
    """A size as people write it: 5MB, 500KB."""
    if size % (1024 * 1024) == 0:
        return f"{size // (1024 * 1024)}MB"
    return f"{max(size // 1024, 1)}KB"


async def store(upload: UploadFile, spec: FieldSpec, data_dir: Path) -> str:
    """Store one uploaded photo and return its reference; ValueError says what is wrong."""
    limit = spec.max_size or DEFAULT_MAX_SIZE
    content = await upload.read(limit + 1)
    if len(content) > limit:
        raise ValueError(f"larger than {size_text(limit)}")
    kind = image_kind(content[:16])
    if kind is None:
        raise ValueError("only JPEG, PNG or WebP images")
    reference = f"{hashlib.sha256(content).hexdigest()}.{kind}"
    target = folder(data_dir) / reference
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return reference


def kept(references: list[str], data_dir: Path) -> list[str]:
    """The references among ``references`` that name stored photos."""
    return [ref for ref in references
            if REFERENCE.match(ref) and (folder(data_dir) / ref).is_file()]
