"""Every action a user may not take now (wrong role, outside their scope, another
department's, not from this state, or its guard fails) is refused and changes nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from workflow_scripts import SCRIPTS, probe_users, run_lifecycle
from workflow_support import World

from gridwork.config import Deployment
from gridwork.workflow import Forbidden, Record, load_record

SWITCHES = {"auto_dispatch": False, "revisit": True, "auto_archive": False}


def _snapshot(world: World, record: Record) -> tuple[object, ...]:
    history, outbox = world.schema.system("history"), world.schema.system("outbox")
    with world.engine.connect() as conn:
        current = load_record(conn, world.schema, record.register, record.id)
        counts = tuple(conn.execute(select(func.count()).where(
            t.c.register == record.register, t.c.record == record.id)).scalar()
            for t in (history, outbox))
    return current, counts


def _probe(world: World, record: Record, users: list[str],
           tried: list[tuple[str, str, str]]) -> None:
    """Try each transition from here, and one from elsewhere, as every user not offered it."""
    workflow = world.deployment.workflows[world.deployment.registers[record.register].workflow
                                          or ""]
    here = [t.name for t in workflow.transitions if record.state in t.from_]
    elsewhere = next(t.name for t in workflow.transitions if record.state not in t.from_)
    before = _snapshot(world, record)
    for username in users:
        offered = set(world.actions(username, record))
        for name in dict.fromkeys([*here, elsewhere]):
            if name in offered:
                continue
            with pytest.raises(Forbidden):
                world.act(username, record, name)
            tried.append((str(record.state), username, name))
    assert _snapshot(world, record) == before


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_refused_actions_change_nothing(name: str, backend: str,
                                        worlds: Callable[[str, str], World],
                                        variants: Callable[[str, dict[str, bool]], Deployment],
                                        ) -> None:
    world = worlds(name, backend).with_deployment(variants(name, SWITCHES))
    tried: list[tuple[str, str, str]] = []
    users = probe_users(world, SCRIPTS[name].department)
    run_lifecycle(world, SCRIPTS[name], SWITCHES,
                  lambda record: _probe(world, record, users, tried))
    states = {state for state, _, _ in tried}
    assert len(states) >= 8
    users = {user for _, user, _ in tried}
    assert any(user.endswith("_far") for user in users)
    assert any("@" in user for user in users)
