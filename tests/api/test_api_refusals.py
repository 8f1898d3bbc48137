"""Over HTTP, every action a caller may not take now is refused and changes nothing: 404 when
the record lies outside what they see, 403 when they see it but the move is not theirs
(wrong role, another department's, not from this state, or its guard fails)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from api_support import HttpWorld
from sqlalchemy import func, select
from workflow_scripts import SCRIPTS, probe_users, run_lifecycle

from gridwork.config import Deployment
from gridwork.workflow import load_record

SWITCHES = {"auto_dispatch": False, "revisit": True, "auto_archive": True}
"""One of the lifecycle suite's combinations (its variant is loaded once): by-hand dispatch
and a second round give the most states to probe."""


def _snapshot(world: HttpWorld, record: Any) -> tuple[object, ...]:
    history, outbox = world.schema.system("history"), world.schema.system("outbox")
    with world.engine.connect() as conn:
        current = load_record(conn, world.schema, record.register, record.id)
        counts = tuple(conn.execute(select(func.count()).where(
            t.c.register == record.register, t.c.record == record.id)).scalar()
            for t in (history, outbox))
    return current, counts


def _probe(world: HttpWorld, record: Any, users: list[str],
           tried: list[tuple[str, str, int]]) -> None:
    """Try each transition from here, and one from elsewhere, as every user not offered it."""
    workflow = world.deployment.workflows[world.deployment.registers[record.register].workflow
                                          or ""]
    here = [t.name for t in workflow.transitions if record.state in t.from_]
    elsewhere = next(t.name for t in workflow.transitions if record.state not in t.from_)
    path = f"/registers/{record.register}/records/{record.id}"
    before = _snapshot(world, record)
    for username in users:
        seen = world.get(username, path)
        offered = {a["name"] for a in seen.json()["actions"]} if seen.status_code == 200 else set()
        for name in dict.fromkeys([*here, elsewhere]):
            if name in offered:
                continue
            response = world.post(username, f"{path}/actions/{name}",
                                  {"version": record.version, "values": {}})
            expected = 403 if seen.status_code == 200 else 404
            assert (response.status_code, username, name) == (expected, username, name)
            assert set(response.json()) == {"error"}
            tried.append((str(record.state), username, response.status_code))
    assert _snapshot(world, record) == before


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_refused_actions_change_nothing(name: str, http: Callable[..., HttpWorld],
                                        variants: Callable[[str, dict[str, bool]], Deployment],
                                        ) -> None:
    world = http(name, variants(name, SWITCHES))
    tried: list[tuple[str, str, int]] = []
    users = probe_users(world, SCRIPTS[name].department)
    run_lifecycle(world, SCRIPTS[name], SWITCHES,
                  lambda record: _probe(world, record, users, tried))
    assert len({state for state, _, _ in tried}) >= 8
    assert {status for _, _, status in tried} == {403, 404}
    unseen = {user for _, user, status in tried if status == 404}
    assert {user for user in users if user.endswith("_far")} <= unseen
