"""`edit_record`, the one way to change a record outside an action, and what the engine says
about a record for every view: open, overdue, may be supervised (one rule, in Python and SQL)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select
from workflow_scripts import COMMUNITY, run_lifecycle
from workflow_support import World

from gridwork.workflow import (
    Conflict,
    Invalid,
    NotFound,
    edit_record,
    is_open,
    is_overdue,
    may_supervise,
    open_clause,
    overdue_clause,
    read_record,
)

EDITOR = COMMUNITY.dispatcher
"""A community worker: may edit events of the community."""


@pytest.fixture
def world(backend: str, worlds: Callable[[str, str], World]) -> World:
    """The community world on this backend."""
    return worlds("community", backend)


def _fields(world: World) -> dict[str, str]:
    return {k: v for k, v in COMMUNITY.values.items() if k not in ("category", "severity")}


def test_an_edit_changes_fields_once_with_one_typed_history_row(world: World) -> None:
    record = world.create("grid_worker", "event", COMMUNITY.values)
    rows = len(world.history(record))
    edited = edit_record(world.engine, world.runtime, world.user(EDITOR),
                         "event", record.id, {**_fields(world), "address": "翠苑二区"},
                         version=record.version, clock=world.clock)
    assert edited.version == record.version + 1 and edited.values["address"] == "翠苑二区"
    last = world.history(edited)[-1]
    assert (last.kind, last.action, last.before, last.after) == (
        "edited", "edit", {"address": "翠苑一区"}, {"address": "翠苑二区"})
    assert (last.from_state, last.to_state) == (record.state, record.state)

    with pytest.raises(Conflict):
        edit_record(world.engine, world.runtime, world.user(EDITOR),
                    "event", record.id, _fields(world), version=record.version,
                    clock=world.clock)
    with pytest.raises(Invalid) as refused:
        edit_record(world.engine, world.runtime, world.user(EDITOR),
                    "event", record.id, {**_fields(world), "title": "", "node": "nowhere"},
                    version=edited.version, clock=world.clock)
    assert set(refused.value.errors) == {"title", "node"}
    with pytest.raises(NotFound):  # a grid worker may not edit events
        edit_record(world.engine, world.runtime, world.user("grid_worker"),
                    "event", record.id, _fields(world), version=edited.version,
                    clock=world.clock)
    with world.engine.connect() as conn:
        kept = read_record(conn, world.schema, "event", record.id)
    assert kept == edited and len(world.history(edited)) == rows + 1


def test_open_overdue_and_supervision_follow_one_rule(world: World) -> None:
    waiting = world.create("grid_worker", "event", COMMUNITY.values)
    flow = world.deployment.registers["event"].workflow or ""
    done = run_lifecycle(world, COMMUNITY, dict(world.deployment.workflows[flow].switches))
    assert waiting.deadline is not None
    table = world.schema.table("event")
    with world.engine.begin() as conn:  # the finished record had a deadline that passed
        conn.execute(table.update().where(table.c.id == done.id)
                     .values(deadline=waiting.deadline))
        done = read_record(conn, world.schema, "event", done.id)
    assert done is not None
    later = waiting.deadline.replace(year=waiting.deadline.year + 1)
    ids = (waiting.id, done.id)

    def chosen(clause: object) -> set[int]:
        with world.engine.connect() as conn:
            return set(conn.execute(select(table.c.id).where(
                table.c.id.in_(ids), clause)).scalars())  # type: ignore[arg-type]

    assert (is_open(world.deployment, waiting), is_open(world.deployment, done)) == (True,
                                                                                   False)
    assert chosen(open_clause(world.deployment, "event", table)) == {waiting.id}
    assert not is_overdue(world.deployment, waiting, waiting.deadline)
    assert chosen(overdue_clause(world.deployment, "event", table, waiting.deadline)) == set()
    assert is_overdue(world.deployment, waiting, later)
    assert not is_overdue(world.deployment, done, later)
    assert chosen(overdue_clause(world.deployment, "event", table, later)) == {waiting.id}

    leader = world.user("community_head")
    assert may_supervise(world.deployment, world.schema, leader, waiting)
    assert not may_supervise(world.deployment, world.schema, leader, done)
    assert not may_supervise(world.deployment, world.schema, world.user("grid_worker"),
                             waiting)
