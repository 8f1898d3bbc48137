"""Plans follow the switches where the record sits: an emergency limit with `override` and
an extra ladder rung guarded by the switch apply only where it is on."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from support import FIXTURES

from gridwork.config import load_deployment
from gridwork.time.deadlines import Deadlines

BASE = (FIXTURES / "minimal" / "deployment.yaml").read_text(encoding="utf-8")
ENTERED = dt.datetime(2026, 6, 1, 1, 0, tzinfo=dt.UTC)  # a Monday morning in Shanghai


def test_limits_and_rungs_follow_the_switch(tmp_path: Path) -> None:
    text = BASE.replace("    switches: {auto_dispatch: true}\n",
                        "    switches: {auto_dispatch: true, emergency: false}\n")
    text = text.replace("  - {state: reported, within: 2wh}\n",
                        "  - {state: reported, within: 2wh}\n"
                        "  - {state: reported, within: 30min, if: emergency, override: true}\n")
    text = text.replace("    - {after: 0, notify: [grid_leader]}\n",
                        "    - {after: 0, notify: [grid_leader]}\n"
                        "    - {after: 10min, supervise: true, if: emergency}\n"
                        "    - {after: 4h, supervise: true, unless: emergency}\n")
    (tmp_path / "deployment.yaml").write_text(text, encoding="utf-8")
    deadlines = Deadlines(load_deployment(tmp_path))

    normal = deadlines.plan("event_flow", "reported", ENTERED, "litter")
    emergency = deadlines.plan("event_flow", "reported", ENTERED, "litter",
                               switches={"auto_dispatch": True, "emergency": True})
    assert normal is not None and emergency is not None
    assert normal.deadline - ENTERED == dt.timedelta(hours=2)
    assert emergency.deadline - ENTERED == dt.timedelta(minutes=30)
    rungs = {p: [t.step for t in plan.timers if t.kind == "escalation" and t.repeat == 0]
             for p, plan in (("normal", normal), ("emergency", emergency))}
    # Steps keep their ladder index (the sweep finds a rung by it): 1 is the emergency
    # rung, 2 the one that only runs without it.
    assert rungs == {"normal": [0, 2, 3, 4], "emergency": [0, 1, 3, 4]}
