"""The whole event lifecycle through `/api/v1` in each shipped deployment, every switch on
and off: report, dispatch (automatic or by hand), reject and re-dispatch, feedback, a
failed return visit and a second round (or a repeated report), archive — each action taken
only when the record's `actions` offer it to that user."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from api_support import HttpWorld
from workflow_scripts import SCRIPTS, run_lifecycle
from workflow_support import SWITCHES

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
def test_lifecycle_over_http(name: str, switches: dict[str, bool],
                             http: Callable[..., HttpWorld],
                             variants: Callable[[str, dict[str, bool]], Deployment]) -> None:
    world = http(name, variants(name, switches))
    script = SCRIPTS[name]
    seen: list[Any] = []
    record = run_lifecycle(world, script, switches, seen.append)
    body = world.read(script.archiver, record)
    assert body["actions"] == [] or all(a["to"] for a in body["actions"])
    history = body["history"]
    assert [h["to"] for h in history if h["to"]][-1] == record.state
    assert replay(world.history(record)) == record.state == body["state"]
    assert history[0]["action"] == "create" and history[0]["actor"] == script.reporter
    actors = {h["actor"] for h in history}
    assert script.handler in actors and script.dispatcher in actors
    if switches["auto_dispatch"]:
        assert next(h for h in history if h["action"] == "dispatch")["actor"] is None
    if switches["revisit"]:
        rejected = [h for h in history if h["to"] == script.states["rejected"]]
        assert rejected and rejected[0]["comment"] == script.reject[2]
        assert [h["round"] for h in history][-1] == 2
    versions = [r.version for r in seen]
    assert versions == sorted(versions) and len(set(versions)) == len(versions)
