"""The whole event lifecycle in each shipped deployment, every switch on and off: dispatch
(automatic or by hand), reject and re-dispatch, feedback, a failed return visit and a second
round (or a repeated report), archive (automatic or by hand)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from workflow_scripts import SCRIPTS, run_lifecycle
from workflow_support import SWITCHES, World

from gridwork.config import Deployment
from gridwork.workflow import replay

COMBINATIONS = [dict(zip(SWITCHES, values, strict=True))
                for values in ((True, True, False), (False, True, True), (True, False, True),
                               (False, False, False))]
"""Each switch on twice and off twice; revisit and auto_archive in all four pairings."""


@pytest.mark.parametrize("switches", COMBINATIONS,
                         ids=["-".join(f"{k}={int(v)}" for k, v in c.items())
                              for c in COMBINATIONS])
@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_lifecycle(name: str, switches: dict[str, bool], backend: str,
                   worlds: Callable[[str, str], World],
                   variants: Callable[[str, dict[str, bool]], Deployment]) -> None:
    world = worlds(name, backend).with_deployment(variants(name, switches))
    record = run_lifecycle(world, SCRIPTS[name], switches)
    entries = world.history(record)
    assert replay(entries) == record.state
    assert entries[0].action == "create" and entries[0].actor == world.user(
        SCRIPTS[name].reporter).id
    rounds = [e.round for e in entries]
    assert rounds == sorted(rounds)
    assert (2 in rounds) == (record.round == 2)
    automatic = [e.action for e in entries if e.actor is None]
    if switches["auto_dispatch"]:
        assert automatic[0] == "dispatch"
    if not switches["revisit"]:
        assert any(e.action.startswith("skip") for e in entries)
    timers = world.rows("timers", record)
    assert all(t["cancelled_at"] is not None or t["fired_at"] is not None for t in timers)
    messages = world.rows("outbox", record)
    assert any(m["cause"] == "transition" and m["subject"] for m in messages)
    opened = world.rows("supervisions", record)
    assert all(row["resolved_at"] == world.clock.now for row in opened)
    if name == "environment" and switches["revisit"]:
        assert opened, "a failed verification opens a supervision"
