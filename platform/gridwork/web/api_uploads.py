"""`POST /api/v1/uploads`: a photo sent as multipart/form-data, checked as the pages check
it, answered with the id to put in a record's ``values`` — only by the user who sent it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.datastructures import UploadFile

from ..auth import may
from . import uploads
from .api_call import ApiError, Call
from .display import photos


def upload(call: Call) -> Any:
    """Store the form's ``file`` for the photo field ``field`` of ``register``."""
    form, deployment = call.body, call.site.deployment
    register, name, sent = form.get("register"), form.get("field"), form.get("file")
    errors: dict[str, list[str]] = {}
    if not isinstance(register, str) or register not in deployment.registers \
            or not may(deployment, call.user, "view", register):
        errors["register"] = ["required: a register you may see"]
        spec = None
    else:
        spec = deployment.registers[register].field(name if isinstance(name, str) else "")
        if spec is None or not call.site.schema.field_type(spec).files:
            errors["field"] = [f"required: a photo field of {register}"]
    if not isinstance(sent, UploadFile):
        errors["file"] = ["required: the photo, as a file part named 'file'"]
    if errors or spec is None or not isinstance(sent, UploadFile):
        raise ApiError(422, errors=errors)
    content = sent.file.read(uploads.limit_of(spec) + 1)
    try:
        reference = uploads.save(content, spec, call.site.data_dir)
    except ValueError as err:
        raise ApiError(422, errors={"file": [str(err)]}) from None
    uploads.claim(call.site.data_dir, call.user.id, reference)
    return 201, {"id": reference, "type": uploads.MEDIA_TYPES[reference.rsplit(".", 1)[1]],
                 "size": len(content)}


def photo_values(call: Call, register: str, values: Mapping[str, Any],
                 own: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``values`` with each photo field's ids as a list; 422 for an id the caller did not
    send (through `/uploads`) and that is not already the record's (``own`` values)."""
    data_dir, found = call.site.data_dir, dict(values)
    errors: dict[str, list[str]] = {}
    for spec in call.site.deployment.registers[register].fields:
        if not call.site.schema.field_type(spec).files or found.get(spec.name) in (None, "", []):
            continue
        given = found[spec.name]
        ids = [given] if isinstance(given, str) else given
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            errors[spec.name] = ["an upload id, or a list of them"]
            continue
        mine = set(photos((own or {}).get(spec.name)))
        unknown = [i for i in ids if i not in mine and not uploads.claimed(data_dir,
                                                                           call.user.id, i)]
        if unknown:
            errors[spec.name] = [f"no upload '{i}' of yours: send it to /api/v1/uploads"
                                 for i in unknown]
        elif len(ids) > 1 and not spec.multiple:
            errors[spec.name] = ["one file only"]
        else:
            found[spec.name] = ids
    if errors:
        raise ApiError(422, errors=errors)
    return found
