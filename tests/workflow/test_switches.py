"""Workflow switches set for a subtree at runtime: who may, what records there do from the
moment of the change, what the neighbours keep, and the history each change leaves."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import delete, select
from workflow_scripts import COMMUNITY
from workflow_support import World

from gridwork.storage.system import SWITCH_SUBJECT
from gridwork.workflow import Forbidden, Invalid, Kind, NotFound
from gridwork.workflow.switches import changes, set_switch, settings, switches_at


@pytest.fixture
def world(backend: str, worlds: Callable[[str, str], World]) -> Iterator[World]:
    """The community world; the switches set by a test are removed after it (the world is
    shared by the session)."""
    made = worlds("community", backend)
    yield made
    with made.engine.begin() as conn:
        conn.execute(delete(made.schema.system("switches")))


def _grid_elsewhere(world: World) -> str:
    """A grid outside the demo branch's street."""
    nodes = world.schema.system("nodes")
    with world.engine.connect() as conn:
        street = conn.execute(select(nodes.c.path).where(
            nodes.c.code == world.at["street"])).scalar_one()
        return str(conn.execute(select(nodes.c.code).where(
            nodes.c.level == "grid", ~nodes.c.path.startswith(street))
            .order_by(nodes.c.path).limit(1)).scalar_one())


def _switch(world: World, who: str, name: str, node: str, on: bool,
            reason: str = "区应急指挥部通知") -> None:
    world.clock.tick(minutes=5)
    set_switch(world.engine, world.runtime, world.user(who), "event_flow", name, node, on,
               reason, clock=world.clock)


def test_a_limit_switched_off_for_one_street_spares_the_neighbours(world: World) -> None:
    here, elsewhere = world.at["grid"], _grid_elsewhere(world)
    values = dict(COMMUNITY.values)
    before = world.create("grid_worker", "event", values, node=here)
    assert before.state == "accepting" and before.deadline is not None

    _switch(world, "supervisor", "accept_limit", world.at["street"], False)
    ours = world.create("grid_worker", "event", values, node=here)
    theirs = world.create("admin", "event", values, node=elsewhere)
    assert ours.state == "accepting"
    assert ours.deadline is None, "the 4wh accepting limit still applied where it is off"
    assert [t for t in world.rows("timers", ours) if t["state"] == "accepting"] == []
    # A stay planned before the change keeps its deadline.
    assert [t["kind"] for t in world.rows("timers", before)
            if t["state"] == "accepting" and t["cancelled_at"] is None].count("deadline") == 1
    with world.engine.connect() as conn:
        nodes = world.schema.system("nodes")
        far_path = conn.execute(select(nodes.c.path).where(nodes.c.code == elsewhere)).scalar()
        assert switches_at(conn, world.schema, "event_flow", far_path)["accept_limit"] is True
    assert theirs.state == "accepting" and theirs.deadline is not None

    _switch(world, "supervisor", "accept_limit", world.at["street"], True)
    again = world.create("grid_worker", "event", values, node=here)
    assert again.deadline is not None


def test_an_automatic_step_follows_the_switch_where_the_record_sits(world: World) -> None:
    _switch(world, "street_officer", "auto_dispatch", world.at["street"], False,
            reason="人工分发试点")
    held = world.create("grid_worker", "event", dict(COMMUNITY.values))
    assert held.state == "dispatching", "auto_dispatch was off here but the record moved on"
    _switch(world, "street_officer", "auto_dispatch", world.at["street"], True,
            reason="试点结束")
    assert world.create("grid_worker", "event", dict(COMMUNITY.values)).state == "accepting"


def test_setting_a_subtree_replaces_the_settings_below_it(world: World) -> None:
    _switch(world, "street_officer", "revisit", world.at["community"], False)
    _switch(world, "supervisor", "revisit", world.at["district"], False)
    with world.engine.connect() as conn:
        found = settings(conn, world.schema)
    assert [(s.node, s.on, s.by) for s in found] == [(world.at["district"], False,
                                                      "supervisor")]


def test_each_change_is_a_history_entry_with_its_reason(world: World) -> None:
    _switch(world, "supervisor", "accept_limit", world.at["street"], False, "汛期应急")
    _switch(world, "supervisor", "accept_limit", world.at["street"], True, "汛期结束")
    history = world.schema.system("history")
    with world.engine.connect() as conn:
        rows = conn.execute(select(history).where(history.c.register == SWITCH_SUBJECT)
                            .order_by(history.c.id.desc()).limit(2)).mappings().all()
        listed = changes(conn, world.schema, limit=2)
    assert [r["kind"] for r in rows] == [Kind.SWITCHED.value] * 2
    assert [(r["comment"], r["before"]["on"], r["after"]["on"]) for r in rows] == [
        ("汛期结束", False, True), ("汛期应急", True, False)]
    assert rows[0]["actor"] == world.user("supervisor").id
    assert [(c.reason, c.was, c.on, c.node, c.by) for c in listed] == [
        ("汛期结束", False, True, world.at["street"], "supervisor"),
        ("汛期应急", True, False, world.at["street"], "supervisor")]


def test_refusals(world: World) -> None:
    with pytest.raises(Forbidden):  # a street officer, for another street
        _switch(world, "street_officer", "revisit", world.far["street"], False)
    with pytest.raises(Forbidden):  # a role without `switch`
        _switch(world, "community_head", "revisit", world.at["community"], False)
    with pytest.raises(Invalid) as refused:
        _switch(world, "supervisor", "revisit", world.at["street"], False, reason="  ")
    assert "reason" in refused.value.errors
    with pytest.raises(NotFound):
        _switch(world, "supervisor", "no_such_switch", world.at["street"], False)
    with world.engine.connect() as conn:
        assert settings(conn, world.schema) == []


def test_two_changes_at_once_both_land_in_order(world: World) -> None:
    """Two people set the same switch for the same street at the same time: both succeed,
    one after the other, and the second's history row names what the first left."""
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []
    street = world.at["street"]

    def change(who: str, on: bool) -> None:
        barrier.wait()
        try:
            set_switch(world.engine, world.runtime, world.user(who), "event_flow", "revisit",
                       street, on, f"{who} 同时操作", clock=world.clock)
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=change, args=("supervisor", False)),
               threading.Thread(target=change, args=("street_officer", True))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with world.engine.connect() as conn:
        first, second = reversed(changes(conn, world.schema, limit=2))
        found = settings(conn, world.schema)
    assert {first.by, second.by} == {"supervisor", "street_officer"}
    assert first.was is True and second.was is first.on
    assert [(s.node, s.on, s.by) for s in found] == [(street, second.on, second.by)]
