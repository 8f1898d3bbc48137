"""`/api/docs`: the OpenAPI document as a page people read — every operation with its
parameters, body fields and answers, rendered on the server from the document itself, so
the page needs no script and no asset from elsewhere."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .openapi import openapi_document
from .respond import page
from .sessions import signed_in

_METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Row:
    """One field of a body or a parameter: its name, type, whether required, its limits."""

    name: str
    kind: str
    required: bool
    notes: str


async def api_docs(request: Request) -> Response:
    """The page of the deployment's API document (open to anyone, as the document is)."""
    site = request.app.state.site
    document = openapi_document(site.deployment)
    sections: dict[str, list[dict[str, Any]]] = {}
    for path, item in document["paths"].items():
        for method in _METHODS:
            if method in item:
                operation = item[method]
                sections.setdefault(operation["tags"][0], []).append(
                    _operation(document, method, path, operation))
    labels = {tag["name"]: tag.get("description", tag["name"]) for tag in document["tags"]}
    return page(request, site, signed_in(request), "api-docs.html", document=document,
                sections=[(tag, labels.get(tag, tag), found) for tag, found in sections.items()])


def _operation(document: dict[str, Any], method: str, path: str,
               operation: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = operation.get("requestBody", {}).get("content", {})
    media: str | None = next(iter(body), None)
    content: dict[str, Any] = body[media] if media is not None else {}
    return {
        "id": operation["operationId"], "method": method.upper(),
        "path": document["servers"][0]["url"] + path, "summary": operation.get("summary"),
        "description": operation.get("description"), "open": operation.get("security") == [],
        "parameters": [Row(p["name"], _kind(p["schema"]), p.get("required", False),
                           _notes(p["schema"], p.get("description"))) for p in
                       operation.get("parameters", ())],
        "media": media, "body": _rows(document, content.get("schema")),
        "responses": [(status, _resolve(document, answer)["description"])
                      for status, answer in operation["responses"].items()],
    }


def _rows(document: dict[str, Any], schema: dict[str, Any] | None,
          prefix: str = "") -> list[Row]:
    """A body's fields, nested objects flattened as `values.title`."""
    schema = _resolve(document, schema or {})
    rows: list[Row] = []
    required = set(schema.get("required", ()))
    for name, field in schema.get("properties", {}).items():
        field = _resolve(document, field)
        if field.get("type") == "object" and "properties" in field:
            rows.append(Row(prefix + name, "object", name in required, ""))
            rows.extend(_rows(document, field, f"{prefix}{name}."))
        else:
            rows.append(Row(prefix + name, _kind(field), name in required,
                            _notes(field, field.get("description"))))
    return rows


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Follow a `$ref` into the document's components."""
    while "$ref" in schema:
        found: Any = document
        for part in schema["$ref"].removeprefix("#/").split("/"):
            found = found[part]
        schema = found
    return schema


def _kind(schema: dict[str, Any]) -> str:
    if "anyOf" in schema:
        return " | ".join(_kind(item) for item in schema["anyOf"])
    kind = schema.get("type", "any")
    text = " | ".join(kind) if isinstance(kind, list) else str(kind)
    if kind == "array" and "items" in schema:
        text = f"array of {_kind(schema['items'])}"
    return text + (f" ({schema['format']})" if "format" in schema else "")


def _notes(schema: dict[str, Any], description: str | None) -> str:
    notes = [description] if description else []
    if "enum" in schema:
        notes.append("one of " + ", ".join(str(v) for v in schema["enum"] if v is not None))
    for key, word in (("minimum", "≥"), ("maximum", "≤"), ("minLength", "length ≥"),
                      ("maxLength", "length ≤")):
        if key in schema:
            notes.append(f"{word} {schema[key]}")
    if "pattern" in schema:
        notes.append(f"matches {schema['pattern']}")
    return "; ".join(notes)
