"""A worker follows the configuration a server applied: before a task it swaps to the version
the database was last set to run when its folder holds that version, passes `check` and
needs no migration; otherwise it keeps its configuration and logs why, once."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest
from sweep_world import HOUR, START, SweepWorld

from gridwork.config import load_deployment
from gridwork.reconfigure import Follower
from gridwork.storage import build_schema
from gridwork.storage.version import record_version
from gridwork.sweep.sweep import sweep
from gridwork.workflow import load_user, take_action

DAY = dt.timedelta(days=1)
QUICK = "priority: high}"
"""The quick ladder's only step, which an edit makes urgent."""


def _edit(world: SweepWorld, old: str, new: str) -> Path:
    main = world.deployment.root / "deployment.yaml"
    text = main.read_text(encoding="utf-8")
    assert text.count(old) == 1
    main.write_text(text.replace(old, new), encoding="utf-8")
    return main


def _apply(world: SweepWorld, by: str = "admin") -> str:
    """Store the folder's configuration as applied, as a server's reload does."""
    edited = load_deployment(world.deployment.root)
    with world.engine.begin() as conn:
        record_version(conn, build_schema(edited), dt.datetime.now(dt.UTC), by)
    return edited.source_hash


def test_a_worker_swaps_to_the_applied_version(world: SweepWorld) -> None:
    follower = Follower(world.deployment.root, world.runtime)
    running = follower.runtime
    assert follower.follow(world.engine) is running
    _edit(world, QUICK, "priority: urgent}")
    assert follower.follow(world.engine) is running  # edited, but not applied by anyone
    applied = _apply(world)
    runtime = follower.follow(world.engine)
    assert runtime.deployment.source_hash == applied != running.deployment.source_hash
    record = world.create("q")
    assert not sweep(world.engine, runtime, now=START + 5 * HOUR).failed
    assert world.record(record.id)["priority"] == "urgent"
    assert follower.follow(world.engine) is runtime


def test_a_broken_folder_keeps_the_old_configuration_and_says_where(
        world: SweepWorld, caplog: pytest.LogCaptureFixture) -> None:
    follower = Follower(world.deployment.root, world.runtime)
    running = follower.runtime
    _edit(world, QUICK, "priority: urgent}")
    applied = _apply(world)
    main = _edit(world, "notify: [{role: head, level: community}]",
                 "notify: [{role: haed, level: community}]")
    line = next(n for n, text in enumerate(main.read_text(encoding="utf-8").splitlines(), 1)
                if "haed" in text)
    with caplog.at_level(logging.INFO, logger="gridwork.reload"):
        assert follower.follow(world.engine) is running
        assert follower.follow(world.engine) is running
    [told] = [r.getMessage() for r in caplog.records]
    assert told.startswith(f"configuration {applied[:12]} not applied, still running "
                           f"{running.deployment.source_hash[:12]}: deployment.yaml:{line}:")
    assert "'haed'" in told
    record = world.create("q")
    sweep(world.engine, follower.runtime, now=START + 5 * HOUR)
    assert world.record(record.id)["priority"] == "high"


def test_a_folder_other_than_the_applied_one_is_not_followed(
        world: SweepWorld, caplog: pytest.LogCaptureFixture) -> None:
    follower = Follower(world.deployment.root, world.runtime)
    running = follower.runtime
    _edit(world, QUICK, "priority: urgent}")
    applied = _apply(world)
    _edit(world, "priority: urgent}", "priority: normal}")  # this machine's copy differs
    with caplog.at_level(logging.INFO, logger="gridwork.reload"):
        assert follower.follow(world.engine) is running
    assert "not the applied " + applied[:12] in caplog.text


def test_a_folder_that_needs_a_migration_waits_for_it(
        world: SweepWorld, caplog: pytest.LogCaptureFixture) -> None:
    follower = Follower(world.deployment.root, world.runtime)
    running = follower.runtime
    _edit(world, "fields: [{name: name, type: text}]",
          "fields: [{name: name, type: text}, {name: phone, type: text}]")
    with world.engine.begin() as conn:  # applied elsewhere before its migration ran here
        record_version(conn, build_schema(load_deployment(world.deployment.root)),
                       dt.datetime.now(dt.UTC), "admin")
    with caplog.at_level(logging.INFO, logger="gridwork.reload"):
        assert follower.follow(world.engine) is running
    assert "migration pending (run `gridwork migrate`)" in caplog.text
    assert "phone" in caplog.text


def test_history_names_the_version_that_planned_each_deadline(world: SweepWorld) -> None:
    """A step's history row keeps the config version it was taken under: the record created
    before an edit was applied names the old one, its step after the swap the new one."""
    follower = Follower(world.deployment.root, world.runtime)
    old = world.deployment.source_hash[:12]
    record = world.create()
    _edit(world, "{state: handling, within: 1d}", "{state: handling, within: 2d}")
    new = _apply(world)[:12]
    runtime = follower.follow(world.engine)
    with world.engine.connect() as conn:
        worker = load_user(conn, runtime.schema, "worker")
    moved = take_action(world.engine, runtime, worker, "event", record.id, "accept",
                        version=record.version, clock=lambda: START + HOUR)
    assert moved.deadline is not None and moved.deadline - (START + HOUR) == 2 * DAY
    rows = [(row["action"], row["config"]) for row in world.rows("history", record.id)]
    assert rows == [("create", old), ("accept", new)]
    assert world.rows("history", record.id)[-1]["to_state"] == "handling"
