"""What one action costs the database: its record read once (locked), and no statement
that could be known to change nothing, so a step stays within a handful of statements."""

from __future__ import annotations

import pytest

from gridwork.tools.lifecycle_bench import STATEMENTS_GOAL, counting, statements_per_step, world


def test_statements_per_action_within_the_bound(database: str | None) -> None:
    with world(database) as w:
        counts = statements_per_step(w)
    # Dispatch also finds the department by code and puts a notice in the outbox; the
    # others only read the record, move it, keep its timers and write history.
    assert all(n <= STATEMENTS_GOAL for action, n in counts.items() if action != "dispatch"), \
        counts
    assert sum(counts.values()) / len(counts) <= STATEMENTS_GOAL, counts
    # Leaving a state no limit names cancels no timers; entering one writes none.
    assert counts["revisit"] == 3, counts


def test_an_action_reads_its_record_once(database: str | None) -> None:
    from gridwork.workflow import create_record, take_action

    with world(database) as w:
        clock = w.clock
        record = create_record(w.engine, w.runtime, w.users["grid_worker"], "event", "S1G1",
                               {"title": "read once"}, clock=clock)
        table = w.runtime.schema.table("event").name
        with counting(w.engine) as seen:
            moved = take_action(w.engine, w.runtime, w.users["dispatcher"], "event",
                                record.id, "dispatch", version=record.version,
                                values={"department": "cg"}, clock=clock)
    reads = [s for s in seen if s.lstrip().upper().startswith("SELECT") and table in s]
    assert len(reads) == 1, reads
    if database is not None:
        assert "FOR UPDATE" in reads[0]
    assert moved.state == "accepting" and moved.department == "cg"
    assert moved.version == record.version + 1
