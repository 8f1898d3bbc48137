"""A deployment whose categories, rules, reminders and ladders exercise every timing rule;
the sweep's world on each backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sweep_world import SweepWorld, world_on

from gridwork.config import Deployment, load_deployment
from gridwork.time.deadlines import Deadlines

TIMING = """\
deployment: {name: timing, title: 计时, timezone: Asia/Shanghai}
calendar: {working_days: mon-fri, hours: ["08:30-12:00", "13:30-17:30"], holidays: cn}
hierarchy:
  levels:
    - {key: community, label: 社区}
    - {key: grid, label: 网格}
  nodes:
    - {code: C1, name: 社区, level: community}
    - {code: C1G1, name: 网格, level: grid, parent: C1}
roles:
  grid_leader: {label: 网格长, at: community, can: [view]}
  staff: {label: 人员, at: grid, can: [view, create:event]}
choices:
  severity: {general: 一般, major: 重大, urgent: 紧急}
registers:
  event:
    label: 事件
    workflow: flow
    categorized: true
    fields: [{name: title, type: text}, {name: due_date, type: date}, {name: due_at, type: datetime}]
categories:
  - code: a
    label: A
    severities: [general, major, urgent]
    limits: {handling: {general: 3wd, major: 1wd}}
    escalation: {major: fast}
    children:
      - code: a1
        label: A1
        children:
          - {code: a1x, label: A1X, limits: {handling: 4wh}}
      - {code: a2, label: A2, limits: {accepting: 2h}, escalation: slow}
  - code: b
    label: B
    severities: [general, major, urgent]
    children:
      - {code: b1, label: B1}
  - code: c
    label: C
    children:
      - {code: c1, label: C1}
workflows:
  flow:
    label: 流程
    states:
      reported: {label: 已上报, initial: true}
      accepting: {label: 待接受}
      handling: {label: 处理中}
      waiting: {label: 挂起, paused: true}
      closed: {label: 已办结, final: true}
    transitions:
      - {name: send, from: reported, to: accepting, by: staff}
      - {name: accept, from: accepting, to: handling, by: staff}
      - {name: hold, from: handling, to: waiting, by: staff}
      - {name: resume, from: waiting, to: handling, by: staff}
      - {name: close, from: handling, to: closed, by: staff}
    switches: {accept_limit: SWITCH_ON, fast_lane: SWITCH_OFF}
limits:
  - {state: reported, within: 2wh}
  - {state: reported, within: 30min, severity: urgent}
  - {workflow: flow, state: accepting, within: 1wd, if: accept_limit}
  - {workflow: flow, state: accepting, within: 10min, if: fast_lane}
  - {workflow: flow, state: handling, category: a, within: 30min, if: fast_lane, override: true}
  - {state: handling, within: 5wd}
  - {state: handling, within: 1h, severity: urgent}
  - {state: handling, category: b, within: 2wd}
  - {state: handling, category: b, severity: major, within: 4h}
  - {state: handling, category: b1, within: 1wd}
  - {state: handling, category: c, until: due_date}
  - {state: handling, category: c1, until: due_at}
  - {state: waiting, within: 1wd}
reminders:
  - {before: 25%, notify: assignee}
  - {before: 2h, notify: assignee, states: [handling]}
escalation:
  default:
    - {after: 0, notify: [grid_leader]}
    - {after: 1wd, notify: [grid_leader]}
    - {after: 150%, notify: [grid_leader]}
    - {after: 2wd, notify: [grid_leader], repeat: 1wd}
  fast:
    - {after: 30min, notify: [grid_leader], repeat: 1h}
  slow:
    - {after: 5wd, notify: [grid_leader]}
"""


def _load(folder: Path, accept_limit: bool, fast_lane: bool) -> Deployment:
    text = TIMING.replace("SWITCH_ON", str(accept_limit).lower())
    folder.mkdir()
    (folder / "deployment.yaml").write_text(
        text.replace("SWITCH_OFF", str(fast_lane).lower()), encoding="utf-8")
    return load_deployment(folder)


@pytest.fixture(scope="session")
def timing(tmp_path_factory: pytest.TempPathFactory) -> Deadlines:
    """Deadlines of the timing deployment as written (accept_limit on, fast_lane off)."""
    return Deadlines(_load(tmp_path_factory.mktemp("timing") / "on", True, False))


@pytest.fixture(scope="session")
def switched(tmp_path_factory: pytest.TempPathFactory) -> Deadlines:
    """The same with accept_limit off and fast_lane on."""
    return Deadlines(_load(tmp_path_factory.mktemp("timing") / "off", False, True))


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SweepWorld]:
    """A fresh database of the sweep deployment, on each backend."""
    made = world_on(request.param, request, tmp_path)
    yield made
    made.engine.dispose()


@pytest.fixture
def sqlite_world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SweepWorld]:
    """The SQLite database only."""
    made = world_on("sqlite", request, tmp_path)
    yield made
    made.engine.dispose()
