"""`/api/v1/messages`: the message log, for roles that may `admin` only — every message with
its channel, recipient, status, attempts, last error and the record and step behind it,
filtered by channel, status, recipient and date, paged."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

from api_support import HttpWorld
from sqlalchemy import select, update
from workflow_scripts import SCRIPTS, values_for


def test_message_log_for_administrators(http: Callable[..., HttpWorld]) -> None:
    world = http("community")
    script = SCRIPTS["community"]
    made = world.post(script.reporter, "/registers/event/records",
                      {"node": world.at["grid"], "values": values_for(world, script)}).json()
    outbox = world.schema.system("outbox")
    with world.engine.begin() as conn:
        failing = conn.execute(select(outbox.c.id).where(
            outbox.c.register == "event", outbox.c.record == made["id"])).scalars().first()
        assert failing is not None, "reporting an event writes messages"
        conn.execute(update(outbox).where(outbox.c.id == failing).values(
            status="failed", attempts=5, last_error="550 mailbox unavailable"))

    assert world.get("grid_worker", "/messages").status_code == 403
    everything = world.get("admin", "/messages").json()
    assert everything["total"] >= 1 and len(everything["items"]) == min(
        everything["total"], everything["per_page"])
    assert all(set(item) >= {"channel", "recipient", "subject", "status", "attempts",
                             "last_error", "register", "record", "cause", "step"}
               for item in everything["items"])

    failed = world.get("admin", "/messages", status="failed").json()["items"]
    mine = next(item for item in failed if item["id"] == failing)
    assert (mine["attempts"], mine["last_error"], mine["record"]) == (
        5, "550 mailbox unavailable", made["id"])
    assert all(item["status"] == "failed" for item in failed)
    assert mine["cause_text"] and mine["cause_text"] != mine["cause"], "the cause in words"
    assert mine["error_text"] == "550 mailbox unavailable" and "payload" not in mine

    channel, recipient = mine["channel"], mine["recipient"]
    for key, value in (("channel", channel), ("recipient", recipient)):
        found = world.get("admin", "/messages", **{key: value}).json()
        assert found["items"] and all(item[key] == value for item in found["items"])
    today = world.clock.now.astimezone(ZoneInfo(world.deployment.about.timezone)).date()
    window = world.get("admin", "/messages", status="failed", **{
        "from": today.isoformat(), "to": today.isoformat()}).json()
    assert failing in {item["id"] for item in window["items"]}
    later = (today + dt.timedelta(days=1)).isoformat()
    assert world.get("admin", "/messages", **{"from": later}).json()["total"] == 0
    beyond = world.get("admin", "/messages", page=str(everything["total"] // 50 + 2)).json()
    assert beyond["items"] == [] and beyond["total"] == everything["total"]
    bad = world.get("admin", "/messages", **{"from": "yesterday", "recipient": "nobody",
                                             "page": "x"})
    assert bad.status_code == 422 and set(bad.json()["errors"]) == {"from", "recipient", "page"}
