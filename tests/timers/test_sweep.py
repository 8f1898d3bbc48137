"""The due-timer sweep on a fixed clock, on SQLite and PostgreSQL: each kind of timer does
what its config says, exactly once, and only while its record stays where it was planned."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Select, insert, select, update
from support import run_cli
from sweep_world import HOUR, START, SweepWorld

from gridwork import default_effects
from gridwork.config.plugin_checks import deployment_manager
from gridwork.plugins import hookimpl
from gridwork.runtime import Runtime
from gridwork.storage import migrate
from gridwork.sweep.effects import Firing
from gridwork.sweep.sweep import sweep
from gridwork.workflow import create_record, load_user, replan


def run(world: SweepWorld, hours: float, **options: int) -> list[tuple[str, int | None]]:
    """Sweep at START + ``hours``; return (kind, step) of each timer fired."""
    report = sweep(world.engine, world.runtime, now=START + hours * HOUR, **options)
    assert not report.failed
    return [(fired.kind, fired.step) for fired in report.fired]


def test_reminder_tells_the_role_on_the_records_branch_once(world: SweepWorld) -> None:
    record = world.create()
    assert run(world, 2.9) == []
    assert run(world, 3) == [("reminder", 0)]
    assert run(world, 3) == []
    leader = world.users["leader"]
    messages = world.rows("outbox", record.id)
    assert {(m["channel"], m["recipient"], m["cause"], m["step"]) for m in messages} == {
        ("inbox", leader, "reminder", 1), ("email", leader, "reminder", 1)}
    assert all(m["subject"].startswith("【催办】楼道堆物") for m in messages)
    [remind] = [row for row in world.rows("history", record.id) if row["action"] == "remind"]
    assert remind["actor"] is None and remind["round"] == 1
    assert remind["after"]["recipients"] == [leader]
    assert remind["after"]["to"] == [{"role": "leader", "node": "S1C1G1"}]


def test_deadline_marks_the_record_overdue_and_the_first_step_fires(world: SweepWorld) -> None:
    record = world.create()
    assert run(world, 4.5) == [("reminder", 0), ("deadline", 0), ("escalation", 0)]
    assert run(world, 4.9) == []
    assert world.actions(record.id) == ["remind", "overdue", "escalate"]
    overdue = next(r for r in world.rows("history", record.id) if r["action"] == "overdue")
    assert (overdue["after"], overdue["at"]) == ({"state": "reported"}, START + 4.5 * HOUR)
    assert record.deadline == START + 4 * HOUR
    escalations = [m for m in world.rows("outbox", record.id) if m["cause"] == "escalation"]
    assert {m["recipient"] for m in escalations} == {world.users["leader"]}
    assert escalations[0]["subject"] == "【督办】楼道堆物 已超时"


def test_ladder_moves_the_record_up_supervises_and_raises_priority(world: SweepWorld) -> None:
    record = world.create()
    assert run(world, 6) == [("reminder", 0), ("deadline", 0), ("escalation", 0),
                             ("escalation", 1), ("escalation", 2)]
    row = world.record(record.id)
    assert (row["node_code"], row["priority"]) == ("S1", "urgent")
    assert row["version"] == record.version + 3  # two moves and the priority
    assert world.actions(record.id) == [
        "remind", "overdue", "escalate", "escalate", "move_up", "supervise", "escalate",
        "move_up", "supervise", "priority"]
    moves = [(r["before"], r["after"]) for r in world.rows("history", record.id)
             if r["action"] in ("move_up", "priority")]
    assert moves == [({"node": "S1C1G1"}, {"node": "S1C1"}), ({"node": "S1C1"}, {"node": "S1"}),
                     ({"priority": None}, {"priority": "urgent"})]
    opened = world.rows("supervisions", record.id)
    assert [(s["level"], s["by"], s["resolved_at"]) for s in opened] == [
        ("community", None, None), ("street", None, None)]
    told = Counter((m["recipient"], m["channel"]) for m in world.rows("outbox", record.id)
                   if m["cause"] == "escalation")
    users = world.users
    assert told == {(users["leader"], "inbox"): 1, (users["leader"], "email"): 1,
                    (users["head"], "inbox"): 1, (users["head"], "email"): 1,
                    (users["officer"], "email"): 1}


def test_a_repeating_step_comes_round_while_the_record_stays(world: SweepWorld) -> None:
    record = world.create()
    run(world, 6)
    assert run(world, 7) == [("escalation", 2)]
    assert run(world, 9.5) == [("escalation", 2)]  # 8h and 9h were missed: fired once, now
    third = [(t["due_at"], t["fired_at"]) for t in world.rows("timers", record.id)
             if t["kind"] == "escalation" and t["step"] == 2]
    assert third == [(START + 6 * HOUR, START + 6 * HOUR), (START + 7 * HOUR, START + 7 * HOUR),
                     (START + 8 * HOUR, START + 9.5 * HOUR), (START + 10 * HOUR, None)]
    assert world.actions(record.id).count("escalate") == 5
    assert len(world.rows("supervisions", record.id)) == 2  # one open per level is enough
    assert world.actions(record.id).count("move_up") == 2


def test_leaving_the_state_cancels_and_a_stale_timer_does_nothing(world: SweepWorld) -> None:
    record = world.create(category="q")
    handling = world.act(record, "accept", START + HOUR)
    timers = world.schema.system("timers")
    with world.engine.begin() as conn:  # as if written by a step that raced the accept
        conn.execute(insert(timers).values(register="event", record=record.id,
                                           kind="escalation", state="reported", round=1,
                                           step=0, due_at=START + 2 * HOUR))
    report = sweep(world.engine, world.runtime, now=START + 30 * HOUR)
    assert [(f.kind, f.state) for f in report.skipped] == [("escalation", "reported")]
    assert [(f.kind, f.state) for f in report.fired] == [
        ("reminder", "handling"), ("deadline", "handling"), ("escalation", "handling")]
    stale = world.rows("timers", record.id)[-1]
    assert stale["fired_at"] is None and stale["cancelled_at"] == START + 30 * HOUR
    assert all(t["fired_at"] is None for t in world.rows("timers", record.id)
               if t["state"] == "reported")
    assert world.record(record.id)["priority"] == "high"
    assert world.actions(record.id).count("escalate") == 1
    assert handling.state == "handling"


def test_a_deadline_of_a_register_gone_from_the_config_is_stale(world: SweepWorld) -> None:
    """A register removed from the config leaves its pending deadlines behind; the sweep
    cancels them, writes nothing, and still fires the deadlines of the registers it has."""
    record = world.create()
    timers = world.schema.system("timers")
    with world.engine.begin() as conn:
        gone = conn.execute(insert(timers).values(
            register="retired", record=record.id, kind="deadline", state="reported",
            round=1, step=0, due_at=START + HOUR).returning(timers.c.id)).scalar_one()
    report = sweep(world.engine, world.runtime, now=START + 4.5 * HOUR)
    assert [(f.timer, f.register) for f in report.skipped] == [(gone, "retired")]
    assert ("deadline", 0) in [(f.kind, f.step) for f in report.fired]
    assert world.actions(record.id).count("overdue") == 1
    [row] = [t for t in world.rows("timers") if t["id"] == gone]
    assert row["fired_at"] is None and row["cancelled_at"] == START + 4.5 * HOUR


def test_a_timer_of_an_earlier_round_is_stale(world: SweepWorld) -> None:
    record = world.create()
    table = world.schema.table("event")
    with world.engine.begin() as conn:
        conn.execute(update(table).where(table.c.id == record.id).values(round=2))
    report = sweep(world.engine, world.runtime, now=START + 6 * HOUR)
    assert report.fired == [] and len(report.skipped) == 5
    assert world.actions(record.id) == [] and world.rows("outbox", record.id) == []


@pytest.mark.parametrize("imported", [False, True])
def test_a_new_round_in_the_same_state_starts_a_new_stay(world: SweepWorld,
                                                         imported: bool) -> None:
    """Back into the same state with new_round: the stay starts again, so its deadline
    (1 calendar day) runs from then, the first round's timers are cancelled, and planning
    again after an edit keeps to the new stay. Imported and seeded records' history rows
    have no round; they count as the first."""
    handling = world.act(world.create(), "accept", START + HOUR)
    assert handling.deadline == START + 25 * HOUR
    if imported:
        history = world.schema.system("history")
        with world.engine.begin() as conn:
            conn.execute(update(history).where(history.c.record == handling.id)
                         .values(round=None))
    again = world.act(handling, "redo", START + 10 * HOUR)
    assert (again.state, again.round, again.deadline) == ("handling", 2, START + 34 * HOUR)
    assert _replanned(world, again.id, START + 11 * HOUR) == START + 34 * HOUR
    pending = [t for t in world.rows("timers", again.id)
               if t["fired_at"] is None and t["cancelled_at"] is None]
    assert {t["round"] for t in pending} == {2}
    assert [t["due_at"] for t in pending if t["kind"] == "deadline"] == [START + 34 * HOUR]


def test_a_new_round_from_a_pause_starts_a_new_stay(world: SweepWorld) -> None:
    """Held, then sent back for a new round: the new round's day runs from then; it does
    not resume the first round's stay moved on by the pause."""
    handling = world.act(world.create(), "accept", START + HOUR)
    held = world.act(handling, "hold", START + 2 * HOUR)
    again = world.act(held, "restart", START + 12 * HOUR)
    assert (again.round, again.deadline) == (2, START + 36 * HOUR)
    assert _replanned(world, again.id, START + 13 * HOUR) == START + 36 * HOUR
    resumed = world.act(world.act(again, "hold", START + 14 * HOUR), "restart",
                        START + 15 * HOUR)
    assert (resumed.round, resumed.deadline) == (3, START + 39 * HOUR)


def _replanned(world: SweepWorld, record_id: int, at: dt.datetime) -> dt.datetime | None:
    """The record's deadline after planning its stay again at ``at`` (as an edit does)."""
    with world.engine.begin() as conn:
        return replan(conn, world.runtime, "event", record_id,
                      clock=lambda: at).deadline


def test_a_failing_effect_rolls_back_its_timer_alone_and_it_fires_later(
        world: SweepWorld) -> None:
    first, second = world.create(), world.create(title="占道经营")

    class Refuse:
        """A plugin whose escalation notice fails for the second record."""

        @hookimpl
        def gridwork_escalation_actions(self) -> dict[str, Any]:
            return {"notify": self.notify}

        def notify(self, firing: Firing, targets: Any) -> None:
            if firing.record.id == second.id:
                raise RuntimeError("gateway down")
            default_effects.tell(firing, targets)

    manager = deployment_manager(world.deployment)
    manager.add(Refuse(), "refuse", None)
    runtime = Runtime.build(world.deployment, manager=manager)
    report = sweep(world.engine, runtime, now=START + 4 * HOUR)
    assert [(f.record, f.kind) for f, error in report.failed] == [(second.id, "escalation")]
    assert "gateway down" in report.failed[0][1]
    assert world.actions(first.id) == ["remind", "overdue", "escalate"]
    assert world.actions(second.id) == ["remind", "overdue"]
    assert not [m for m in world.rows("outbox", second.id) if m["cause"] == "escalation"]
    assert run(world, 4) == [("escalation", 0)]
    assert world.actions(second.id) == ["remind", "overdue", "escalate"]


def test_two_sqlite_sweeps_at_once_fire_each_timer_once(sqlite_world: SweepWorld) -> None:
    world = sqlite_world
    records = [world.create(title=f"事件{n}") for n in range(60)]
    reports = []

    def one() -> None:
        reports.append(sweep(world.engine, world.runtime, now=START + 6 * HOUR, batch=25))

    threads = [threading.Thread(target=one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    fired = Counter(f.timer for report in reports for f in report.fired)
    assert len(fired) == 60 * 5 and set(fired.values()) == {1}
    overdue = Counter(r["record"] for r in world.rows("history") if r["action"] == "overdue")
    assert overdue == dict.fromkeys((r.id for r in records), 1)


def test_many_batches_leave_nothing_due(sqlite_world: SweepWorld) -> None:
    for n in range(12):
        sqlite_world.create(title=f"事件{n}")
    report = sweep(sqlite_world.engine, sqlite_world.runtime, now=START + 4 * HOUR, batch=5)
    assert len(report.fired) == 36 and report.batches == 8
    assert run(sqlite_world, 4) == []


def test_a_batch_fires_a_bounded_number_of_reminders_and_steps(
        world: SweepWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    records = [world.create(title=f"事件{n}") for n in range(12)]
    monkeypatch.setattr("gridwork.sweep.sweep.EFFECTS_PER_BATCH", 4)
    report = sweep(world.engine, world.runtime, now=START + 4 * HOUR)
    assert len(report.fired) == 36 and report.batches == 6  # 24 reminders and steps, 4 a batch
    assert all(world.actions(r.id) == ["remind", "overdue", "escalate"] for r in records)


def test_deadlines_wait_for_the_reminders_handed_back_before_them(
        world: SweepWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reminders of some records, then deadlines of others: when a batch hands reminders
    back, the deadlines due after them wait for the next batch too (the report lists each
    batch's timers in due order, batch after batch)."""
    reminded, late = world.bulk(3), world.bulk(3)
    world.due(reminded, "reminder", 0, START + HOUR)
    world.due(late, "deadline", 0, START + 2 * HOUR)
    monkeypatch.setattr("gridwork.sweep.sweep.EFFECTS_PER_BATCH", 2)
    report = sweep(world.engine, world.runtime, now=START + 3 * HOUR)
    assert [(f.kind, f.record) for f in report.fired] == (
        [("reminder", r) for r in reminded] + [("deadline", r) for r in late])
    assert report.batches == 2
    assert [world.actions(r) for r in (*reminded, *late)] == [["remind"]] * 3 + [["overdue"]] * 3


def test_deadlines_of_each_workflow_register_fire_and_others_are_stale(
        world: SweepWorld) -> None:
    """Deadlines of two registers with a workflow fire in one batch (on PostgreSQL the
    claim looks each up in its own table); one of a register without a workflow is
    cancelled. The same record id in two registers is two records."""
    event = world.create()
    with world.engine.connect() as conn:
        worker = load_user(conn, world.schema, "worker")
    complaint = create_record(world.engine, world.runtime, worker,
                              "complaint", "S1C1G1", {"title": "噪音"}, clock=lambda: START)
    assert complaint.id == event.id
    timers = world.schema.system("timers")
    lone = {"kind": "deadline", "state": "reported", "round": 1, "step": 0,
            "due_at": START + HOUR, "record": event.id}
    with world.engine.begin() as conn:  # no reminder or step of theirs in the batch
        conn.execute(update(timers).values(cancelled_at=START))
        conn.execute(insert(timers), [{**lone, "register": name}
                                      for name in ("event", "complaint", "place")])
    report = sweep(world.engine, world.runtime, now=START + 2 * HOUR)
    assert sorted((f.register, f.kind) for f in report.fired) == [
        ("complaint", "deadline"), ("event", "deadline")]
    assert [f.register for f in report.skipped] == ["place"]
    assert sorted((r["register"], r["action"]) for r in world.rows("history")
                  if r["actor"] is None) == [("complaint", "overdue"), ("event", "overdue")]


def test_a_sweep_that_only_counts_fires_and_skips_the_same_timers(world: SweepWorld) -> None:
    """The sweep loops ask for no details: deadlines are counted, not listed, and a stale
    one is still cancelled, not fired."""
    records = world.bulk(4)
    world.due(records, "deadline", 0, START + HOUR)
    world.due(records[:1], "reminder", 0, START + HOUR / 2)
    table = world.schema.table("event")
    with world.engine.begin() as conn:  # the last record has moved on
        conn.execute(update(table).where(table.c.id == records[-1]).values(state="handling"))
    report = sweep(world.engine, world.runtime, now=START + 2 * HOUR, details=False)
    assert [(f.kind, f.record) for f in report.fired] == [("reminder", records[0])]
    assert report.fired_count == 4 and report.unlisted == 3
    assert [(f.kind, f.record) for f in report.skipped] == [("deadline", records[-1])]
    assert [world.actions(r) for r in records] == [["remind", "overdue"], ["overdue"],
                                                   ["overdue"], []]
    [stale] = [t for t in world.rows("timers", records[-1])]
    assert stale["fired_at"] is None and stale["cancelled_at"] == START + 2 * HOUR


def test_sweep_command_prints_each_firing_and_a_count(sqlite_world: SweepWorld) -> None:
    world = sqlite_world
    world.create()
    folder = str(world.deployment.root)
    code, out, _ = run_cli("sweep", folder, "--db", world.url, "--now", "2026-06-01T14:00")
    assert code == 0
    assert out.splitlines() == [
        "2026-06-01 12:00  event #1  reminder 1 (reported)  remind to leader@S1C1G1 (1 users)",
        "2026-06-01 13:00  event #1  deadline (reported)  overdue",
        ("2026-06-01 13:00  event #1  escalation 1 (reported)  escalate to leader@S1C1G1 "
         "(1 users)"),
        ("2026-06-01 14:00  event #1  escalation 2 (reported)  escalate to head@S1C1 (1 users); "
         "move_up S1C1G1 → S1C1; supervise #1 at community"),
        "fired 4 timers, skipped 0 stale"]
    code, out, _ = run_cli("sweep", folder, "--db", world.url, "--now",
                           "2026-06-01T07:00:00+00:00")
    assert code == 0
    assert out.splitlines() == [
        ("2026-06-01 15:00  event #1  escalation 3 (reported)  escalate to officer@S1 (1 users); "
         "move_up S1C1 → S1; supervise #2 at street; priority None → urgent; repeat, next at "
         "2026-06-01 16:00"),
        "fired 1 timers, skipped 0 stale"]
    code, _, err = run_cli("sweep", folder, "--db", world.url, "--now", "tomorrow")
    assert code == 2 and "not an ISO 8601 instant" in err


def test_migrate_adds_the_pending_timers_index(world: SweepWorld) -> None:
    with world.engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_timers_pending")
    lines: list[str] = []
    migrate(world.url, world.deployment, echo=lines.append)
    assert [line for line in lines if line.startswith("  ")] == [
        "  add index on timers(timers.due_at, timers.id)"]
    lines.clear()
    migrate(world.url, world.deployment, echo=lines.append)
    assert lines[1:] == ["  nothing to change"]
    world.engine.dispose()  # a pooled SQLite connection explains with the schema it read
    with world.engine.connect() as conn:
        explained = _plan(conn, world)
    assert "ix_timers_pending" in explained


def test_a_persons_history_is_found_through_an_index_without_the_systems_rows(
        world: SweepWorld) -> None:
    record = world.create()
    assert len(run(world, 4.5)) == 3
    world.act(record, "accept", START + 5 * HOUR)
    history = world.schema.system("history")
    mine = select(history.c.action).where(history.c.actor == world.users["worker"])
    with world.engine.connect() as conn:
        assert sorted(conn.execute(mine).scalars()) == ["accept", "create"]
        assert "ix_history_people" in _plan(conn, world, mine)
    assert world.actions(record.id) == ["remind", "overdue", "escalate"]


def _plan(conn: object, world: SweepWorld, query: Select[Any] | None = None) -> str:
    """How the database runs ``query`` (by default the sweep's claim query), as text."""
    timers = world.schema.system("timers")
    if query is None:
        query = (select(timers.c.id).where(timers.c.fired_at.is_(None),
                                           timers.c.cancelled_at.is_(None),
                                           timers.c.due_at <= START)
                 .order_by(timers.c.due_at).limit(10))
    compiled = query.compile(dialect=world.engine.dialect, compile_kwargs={"literal_binds": True})
    run_sql: Callable[[str], object] = conn.exec_driver_sql  # type: ignore[attr-defined]
    if world.engine.dialect.name == "sqlite":
        rows = run_sql(f"EXPLAIN QUERY PLAN {compiled}")
    else:
        run_sql("SET enable_seqscan = off")
        rows = run_sql(f"EXPLAIN {compiled}")
    return "\n".join(str(row) for row in rows)  # type: ignore[attr-defined]
