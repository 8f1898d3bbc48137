"""Optimistic concurrency: two people act on the same version; one wins, the other is told."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from workflow_scripts import COMMUNITY
from workflow_support import World

from gridwork.workflow import Conflict, NotFound, Record, take_action


def test_race_on_one_version(backend: str, worlds: Callable[[str, str], World]) -> None:
    world = worlds("community", backend)
    record = world.create("grid_worker", "event", dict(COMMUNITY.values))
    assert record.state == "accepting"
    handler = world.user(COMMUNITY.handler)
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def act(action: str, comment: str | None) -> None:
        barrier.wait()
        try:
            outcomes.append(take_action(world.engine, world.runtime, handler,
                                        "event", record.id, action, version=record.version,
                                        comment=comment, clock=world.clock))
        except Conflict as err:
            outcomes.append(err)

    threads = [threading.Thread(target=act, args=("accept", None)),
               threading.Thread(target=act, args=("reject", "不属本部门"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    won = [o for o in outcomes if isinstance(o, Record)]
    lost = [o for o in outcomes if isinstance(o, Conflict)]
    assert (len(won), len(lost)) == (1, 1)
    history = world.history(record)
    assert [e.action for e in history if e.actor == handler.id] == [_action_of(won[0])]
    assert won[0].version == record.version + 1


def _action_of(record: Record) -> str:
    return {"handling": "accept", "rejected": "reject"}[str(record.state)]


def test_stale_version_changes_nothing(backend: str, worlds: Callable[[str, str], World]) -> None:
    world = worlds("community", backend)
    record = world.create("grid_worker", "event", dict(COMMUNITY.values))
    accepted = world.act(COMMUNITY.handler, record, "accept")
    before = world.history(accepted)
    with pytest.raises(Conflict):
        world.act(COMMUNITY.handler, record, "reject", comment="晚了一步")
    assert world.history(accepted) == before
    with pytest.raises(NotFound):
        take_action(world.engine, world.runtime,
                    world.user(COMMUNITY.handler), "event", 10**9, "accept", version=1,
                    clock=world.clock)
