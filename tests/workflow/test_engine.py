"""The engine's rules one at a time, on the community deployment: checks of what is given,
routing by place and its absence, timers across a pause, queues and supervision."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace

import pytest
from workflow_scripts import COMMUNITY
from workflow_support import World, point_in

from gridwork.workflow import (
    Forbidden,
    Invalid,
    NotFound,
    Record,
    available_actions,
    create_record,
    load_record,
    open_supervision,
    queue_counts,
    queue_records,
    replan,
    supervisions,
)
from gridwork.workflow import history

HANDLER = COMMUNITY.handler


@pytest.fixture
def world(backend: str, worlds: Callable[[str, str], World]) -> World:
    """The community world on this backend."""
    return worlds("community", backend)


def _counts(world: World, who: str) -> dict[str, int]:
    with world.engine.connect() as conn:
        return {q.name: q.count for q in queue_counts(conn, world.deployment, world.schema,
                                                      world.user(who), clock=world.clock)}


def test_available_actions_say_what_they_need(world: World) -> None:
    record = world.create("grid_worker", "event", COMMUNITY.values)
    with world.engine.connect() as conn:
        offered = available_actions(conn, world.runtime, world.user(HANDLER),
                                    "event", record.id, clock=world.clock)
    assert [(a.name, a.label, a.to, a.require) for a in offered] == [
        ("accept", "接受", "handling", ()), ("reject", "驳回", "rejected", ("comment",))]
    with pytest.raises(Invalid) as err:
        world.act(HANDLER, record, "reject")
    assert err.value.errors == {"comment": ["required"]}
    assert world.actions("grid_worker", record) == []


def test_given_values_are_checked(world: World) -> None:
    record = world.act(HANDLER, world.create("grid_worker", "event", COMMUNITY.values), "accept")
    with pytest.raises(Invalid) as missing:
        world.act(HANDLER, record, "feedback")
    assert list(missing.value.errors) == ["result"]
    with pytest.raises(Invalid) as unknown:
        world.act(HANDLER, record, "feedback", {"result": "ok", "colour": "red"})
    assert list(unknown.value.errors) == ["colour"]
    with pytest.raises(Invalid) as bad:
        world.act(HANDLER, record, "hold", {"department": "nowhere"}, comment="等待")
    assert list(bad.value.errors) == ["department"]
    assert world.history(record)[-1].action == "accept"
    done = world.act(HANDLER, record, "feedback", {"result": "已处理"})
    entry = world.history(done)[-1]
    assert (entry.before, entry.after) == ({"result": None}, {"result": "已处理"})


def test_new_records_are_checked(world: World) -> None:
    with pytest.raises(Invalid) as err:
        world.create("grid_worker", "event", {**COMMUNITY.values, "category": "nope",
                                              "title": ""})
    assert set(err.value.errors) == {"category", "title"}
    with pytest.raises(Invalid) as severity:
        world.create("grid_worker", "event", {**COMMUNITY.values, "severity": "huge"})
    assert list(severity.value.errors) == ["severity"]
    with pytest.raises(Invalid) as level:
        world.create("community_worker", "event", COMMUNITY.values, node=world.at["community"])
    assert list(level.value.errors) == ["node"]
    with pytest.raises(Forbidden):
        world.create("grid_worker", "event", COMMUNITY.values, node=world.far["grid"])
    with pytest.raises(Forbidden):
        world.create("supervisor", "event", COMMUNITY.values)
    record = world.create("grid_worker", "event", {**COMMUNITY.values, "severity": None})
    assert record.severity == "general"


def test_point_decides_the_follower(world: World) -> None:
    elsewhere = point_in(world.deployment, world.far["grid"])
    record = world.create("grid_worker", "event", {**COMMUNITY.values, "location": elsewhere})
    assert record.values["location"] == pytest.approx(elsewhere)
    assert record.assignee == world.user("grid_worker_far").id
    with world.engine.connect() as conn:
        mine = queue_records(conn, world.deployment, world.schema, world.user("grid_worker_far"),
                             "my_cases", clock=world.clock)
    assert record.id in [r.id for r in mine]


def test_no_route_waits_in_the_manual_queue(world: World) -> None:
    workflow = world.deployment.workflows["event_flow"]
    only_emergencies = workflow.model_copy(update={"routing": workflow.routing[1:2]})
    deployment = world.deployment.model_copy(
        update={"workflows": {**world.deployment.workflows, "event_flow": only_emergencies}})
    narrow = world.with_deployment(deployment)
    before = _counts(narrow, "community_worker")["to_dispatch"]
    record = narrow.create("grid_worker", "event", COMMUNITY.values)
    assert (record.state, record.department, record.version) == ("dispatching", None, 1)
    assert _counts(narrow, "community_worker")["to_dispatch"] == before + 1
    assert "dispatch" in narrow.actions("community_worker", record)
    assert "dispatch" not in narrow.actions("community_worker_far", record)
    routed = narrow.create("grid_worker", "event", {**COMMUNITY.values, "severity": "major",
                                                    "category": "emergency_fire"})
    assert routed.state == "accepting" and routed.assignee == narrow.user("grid_leader").id


def test_timers_follow_the_state_and_stop_while_paused(world: World) -> None:
    record = world.create("grid_worker", "event", COMMUNITY.values)
    assert record.deadline is not None
    pending = [t for t in world.rows("timers", record) if t["cancelled_at"] is None]
    assert {t["state"] for t in pending} == {"accepting"}
    assert any(t["kind"] == "deadline" and t["due_at"] == record.deadline for t in pending)
    handling = world.act(HANDLER, record, "accept")
    rows = world.rows("timers", handling)
    assert all(t["cancelled_at"] is not None for t in rows if t["state"] == "accepting")
    assert handling.deadline is not None and handling.deadline != record.deadline
    paused = world.act(HANDLER, handling, "hold", comment="等待当事人")
    assert paused.deadline is None
    assert all(t["cancelled_at"] is not None for t in world.rows("timers", paused))
    world.clock.tick(days=1)
    resumed = world.act(HANDLER, paused, "resume")
    assert resumed.deadline is not None and resumed.deadline > handling.deadline


def test_queues_are_scoped_and_ordered(world: World) -> None:
    first = world.create("grid_worker", "event", COMMUNITY.values)
    world.clock.tick(hours=1)
    second = world.create("grid_worker", "event", COMMUNITY.values)
    with world.engine.connect() as conn:
        listed = queue_records(conn, world.deployment, world.schema, world.user(HANDLER),
                               "to_accept", clock=world.clock, limit=1000)
        other = queue_records(conn, world.deployment, world.schema,
                              world.user("dept_staff@sfs"), "to_accept", clock=world.clock)
        with pytest.raises(KeyError):
            queue_records(conn, world.deployment, world.schema, world.user("grid_worker"),
                          "to_accept", clock=world.clock)
    ids = [r.id for r in listed]
    assert ids.index(first.id) < ids.index(second.id)
    deadlines = [r.deadline for r in listed if r.deadline is not None]
    assert deadlines == sorted(deadlines)
    assert first.id not in [r.id for r in other]
    overdue = _counts(world, HANDLER)["dept_overdue"]
    world.clock.tick(days=30)
    assert _counts(world, HANDLER)["dept_overdue"] >= overdue + 2
    assert set(_counts(world, "grid_worker")) == {"my_cases", "my_duties"}


def test_supervision_opens_notifies_and_closes(world: World) -> None:
    record = world.create("grid_worker", "event", COMMUNITY.values)
    with pytest.raises(Forbidden):
        open_supervision(world.engine, world.runtime,
                         world.user("community_head_far"), "event", record.id,
                         reason="挂牌督办", clock=world.clock)
    with pytest.raises(Forbidden):
        open_supervision(world.engine, world.runtime,
                         world.user("community_worker"), "event", record.id,
                         reason="没有督办权", clock=world.clock)
    with pytest.raises(NotFound):
        open_supervision(world.engine, world.runtime,
                         world.user("community_head"), "event", 10**9, reason="?",
                         clock=world.clock)
    outbox = len(world.rows("outbox", record))
    open_supervision(world.engine, world.runtime, world.user("community_head"),
                     "event", record.id, reason="挂牌督办", clock=world.clock)
    told = world.rows("outbox", record)[outbox:]
    assert {m["recipient"] for m in told} >= {world.user(HANDLER).id, record.assignee}
    assert {m["cause"] for m in told} == {"supervision"}
    assert all("挂牌督办" in m["body"] or m["subject"] for m in told)
    assert world.history(record)[-1].action == "supervise"
    done = _run_to_end(world, record)
    with world.engine.connect() as conn:
        rows = supervisions(conn, world.schema, "event", done.id)
    assert len(rows) == 1 and rows[0]["resolved_at"] == world.clock.now


def _run_to_end(world: World, record: Record) -> Record:
    """Accept, feed back, revisit and archive a record that waits to be accepted."""
    record = world.act(HANDLER, record, "accept")
    record = world.act(HANDLER, record, "feedback", {"result": "已处理"})
    record = world.act("community_worker", record, "revisit_ok",
                       {"satisfaction": "1", "revisit_note": "满意"})
    return world.act("community_worker", record, "archive")


def test_actions_set_values_and_open_rounds(world: World) -> None:
    record = world.act(HANDLER, world.create("grid_worker", "event", COMMUNITY.values), "accept")
    record = world.act(HANDLER, record, "feedback", {"result": "已处理"})
    assert "revisit_ok" in world.actions("community_worker", record)
    with pytest.raises(Forbidden):
        world.act("community_worker", record, "revisit_ok",
                  {"satisfaction": "3", "revisit_note": "不满意"})
    failed = world.act("community_worker", record, "revisit_fail",
                       {"satisfaction": "3", "revisit_note": "不满意"})
    assert (failed.priority, failed.round, failed.values["satisfaction_score"]) == ("high", 2, 0)
    entry = world.history(failed)[-1]
    assert entry.round == 2 and entry.after["priority"] == "high"
    assert [e.round for e in world.history(failed)].count(1) >= 4
    timers = [t for t in world.rows("timers", failed) if t["cancelled_at"] is None]
    assert timers and {t["round"] for t in timers} == {2}


def test_engine_calls_share_the_callers_transaction(world: World) -> None:
    with world.engine.connect() as conn, conn.begin() as outer:
        record = create_record(conn, world.runtime, world.user("grid_worker"),
                               "event", world.at["grid"], COMMUNITY.values, clock=world.clock)
        with pytest.raises(Invalid):
            create_record(conn, world.runtime, world.user("grid_worker"),
                          "event", world.at["grid"], {}, clock=world.clock)
        outer.rollback()
    with world.engine.connect() as conn, pytest.raises(NotFound):
        load_record(conn, world.schema, "event", record.id)



def test_registers_without_a_workflow_have_no_actions(world: World) -> None:
    record = world.create("grid_worker", "event", COMMUNITY.values)
    for register in ("resident", "no_such_register"):
        with pytest.raises(NotFound):
            world.act(HANDLER, replace(record, register=register), "accept")
        with world.engine.connect() as conn, pytest.raises(NotFound):
            load_record(conn, world.schema, register, record.id)


def test_edits_while_paused_leave_the_resumed_deadline_alone(world: World) -> None:
    """An edit row (as the edit page writes it, and as it wrote before edits carried their
    from_state) is not a move: resuming and re-planning move the stay's first deadline on
    by the time paused (handling's limit is in calendar days)."""
    handling = world.act(HANDLER, world.create("grid_worker", "event", COMMUNITY.values),
                         "accept")
    assert handling.deadline is not None
    paused = world.act(HANDLER, handling, "hold", comment="等待当事人")
    paused_at = world.clock()
    world.clock.tick(hours=2)
    with world.engine.begin() as conn:
        for old_style in (True, False):
            history.write(conn, world.schema, history.Change(
                history.Kind.EDITED, "event", paused.id, world.clock(), round=1,
                after={"title": "改"}, from_state=None if old_style else "paused",
                to_state="paused"))
    world.clock.tick(days=1)
    resumed = world.act(HANDLER, paused, "resume")
    expected = handling.deadline + (world.clock() - paused_at)
    assert resumed.deadline == expected
    with world.engine.begin() as conn:
        again = replan(conn, world.runtime, "event", resumed.id,
                       clock=world.clock)
    assert again.deadline == expected


def test_every_pause_moves_the_stay_deadline_on(world: World) -> None:
    """Held twice, a handler owes the first deadline plus both pauses, not just the last
    one: the time spent handling between the pauses still counts (calendar-day limit)."""
    handling = world.act(HANDLER, world.create("grid_worker", "event", COMMUNITY.values),
                         "accept")
    assert handling.deadline is not None
    record, paused_for = handling, dt.timedelta()
    for hours in (5, 20):
        record = world.act(HANDLER, record, "hold", comment="等待当事人")
        paused_at = world.clock()
        world.clock.tick(hours=hours)
        record = world.act(HANDLER, record, "resume")
        paused_for += world.clock() - paused_at
    assert record.state == handling.state
    assert record.deadline == handling.deadline + paused_for
    with world.engine.begin() as conn:
        again = replan(conn, world.runtime, "event", record.id,
                       clock=world.clock)
    assert again.deadline == record.deadline
