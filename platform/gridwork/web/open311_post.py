"""A public request posted over Open311: checked (key, rate limit, service, place,
attributes), then filed under the configured account as a record through the workflow
engine, in the same transaction as the row that keeps its key and token."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import func, insert, select
from starlette.datastructures import FormData

from ..auth import verify_token
from ..hierarchy import containing
from ..scopes import OPEN311_SCOPE
from ..storage.writes import writing
from ..workflow import Forbidden, Invalid, create_record
from ..workflow.actors import load_user
from .open311_shapes import Refusal, attribute_fields, config_of, public_service
from .site import Site


def post_request(site: Site, form: FormData) -> dict[str, Any]:
    """File a posted request as a record of the configured register; what the answer
    says of it (its id and token)."""
    config = config_of(site)
    now = site.clock()
    key = form_text(form, "api_key")
    with site.engine.connect() as conn:
        bearer = verify_token(conn, site.schema, key, now, scope=OPEN311_SCOPE) if key else None
    if bearer is None:
        raise Refusal(403, "api_key: a valid key is needed (an API token with the open311 "
                           "scope)")
    code = form_text(form, "service_code")
    if not code:
        raise Refusal(400, "service_code is required")
    code = public_service(site, code)
    values = _values(site, form, code)
    posted = site.schema.system("open311_requests")
    with writing(site.engine) as conn:
        since = now - config.rate_limit.per.calendar_delta()
        count = conn.execute(select(func.count()).select_from(posted).where(
            posted.c.api_token == bearer.token_id, posted.c.at > since)).scalar_one()
        if count >= config.rate_limit.requests:
            raise Refusal(429, f"this key posted {count} requests within "
                               f"{config.rate_limit.per}; try again later")
        node = _node(site, form)
        try:
            account = load_user(conn, site.schema, config.account)
        except KeyError:
            raise Refusal(503, "public reporting is not set up: no account "
                               f"'{config.account}'") from None
        try:
            record = create_record(conn, site.runtime, account,
                                   config.register_name, node, values, clock=site.clock)
        except Invalid as err:
            raise Refusal(400, "; ".join(f"{_open311_name(site, name)}: {' '.join(texts)}"
                                         for name, texts in err.errors.items())) from None
        except Forbidden:
            raise Refusal(503, f"public reporting is not set up: '{config.account}' may "
                               f"not report at {node}") from None
        token = secrets.token_urlsafe(16)
        conn.execute(insert(posted).values(token=token, record=record.id,
                                           api_token=bearer.token_id, at=now))
    return {"service_request_id": str(record.id), "token": token, "service_notice": None,
            "account_id": None}


def form_text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _values(site: Site, form: FormData, code: str) -> dict[str, Any]:
    """The record's values: the fixed ones, the standard fields, then the attributes."""
    config = config_of(site)
    fields = config.fields
    values: dict[str, Any] = {**config.values, "category": code}
    standard = {"description": form_text(form, "description"),
                "address_string": form_text(form, "address_string"),
                "first_name": " ".join(filter(None, (form_text(form, "first_name"),
                                                     form_text(form, "last_name")))),
                "phone": form_text(form, "phone"), "email": form_text(form, "email"),
                "media_url": form_text(form, "media_url")}
    for name, given in standard.items():
        target = getattr(fields, name)
        if target and given:
            values[target] = given
    point = _point(form)
    if fields.location and point is not None:
        values[fields.location] = point
    allowed = {spec.name: spec for spec in attribute_fields(site, code)}
    for key in form:
        if not key.startswith("attribute["):
            continue
        name = key.removeprefix("attribute[").split("]", 1)[0]
        if name not in allowed:
            raise Refusal(400, f"{key}: service '{code}' has no such attribute")
        sent = [v for v in form.getlist(key) if isinstance(v, str)]
        values[name] = sent if allowed[name].type == "multichoice" else sent[-1]
    return values


def _point(form: FormData) -> tuple[float, float] | None:
    lat, lon = form_text(form, "lat"), form_text(form, "long")
    if not lat and not lon:
        return None
    try:
        point = float(lat), float(lon)
    except ValueError:
        raise Refusal(400, "lat and long: decimal degrees (WGS84)") from None
    if not (-90 <= point[0] <= 90 and -180 <= point[1] <= 180):
        raise Refusal(400, "lat and long: latitude within ±90, longitude within ±180")
    return point


def _node(site: Site, form: FormData) -> str:
    """The grid the request is filed at: the one holding its point, else the fallback
    node for a request with only an address."""
    config = config_of(site)
    d = site.deployment
    point = _point(form)
    if point is not None:
        for code in containing(d, *point):
            node = site.node_by_code(code)
            if node is not None and d.holds_records(config.register_name, code, node.level):
                return code
        raise Refusal(400, "lat and long: the point lies in none of this jurisdiction's "
                           "grids")
    if config.fallback_node is not None and (
            form_text(form, "address_string") or form_text(form, "address_id")):
        return config.fallback_node
    raise Refusal(400, "lat and long are required" if config.fallback_node is None
                  else "lat and long, or address_string, are required")


def _open311_name(site: Site, field: str) -> str:
    """How a field refused by the engine is called in the request that filled it."""
    fields = config_of(site).fields.model_dump()
    standard = next((name for name, target in fields.items() if target == field), None)
    if standard == "location":
        return "lat/long"
    return standard or (field if field in ("category", "node") else f"attribute[{field}]")

