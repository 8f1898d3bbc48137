"""Each shipped deployment's event lifecycle as data (who does what with which values), and
the driver that runs it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from workflow_support import World, point_in

from gridwork.workflow import Record

Move = tuple[str, dict[str, Any], str | None]
"""An action's name, its values and its comment."""


@dataclass(frozen=True)
class Script:
    """The roles, values and state names one deployment's lifecycle test uses."""

    register: str
    values: dict[str, Any]
    department: str
    """Where routing sends the record (and where people dispatch it)."""
    reporter: str
    follower: str
    """The role whose user at the record's grid routing assigns."""
    dispatcher: str
    handler: str
    checker: str
    archiver: str
    states: dict[str, str]
    dispatch: Move
    reject: Move
    redispatch: Move
    accept: Move
    feedback: Move
    fail: Move
    second_feedback: Move
    second_ok: Move
    archive: Move
    reopen: Move | None = None


COMMUNITY = Script(
    register="event",
    values={"title": "欠薪纠纷", "description": "工地拖欠工资", "address": "翠苑一区",
            "category": "dispute_labour", "severity": "general"},
    department="ldbz", reporter="grid_worker", follower="grid_worker",
    dispatcher="community_worker", handler="dept_staff@ldbz", checker="community_worker",
    archiver="community_worker",
    states={"new": "dispatching", "accepting": "accepting", "rejected": "rejected",
            "handling": "handling", "checking": "revisiting", "second": "second_handling",
            "second_checking": "second_revisiting", "closing": "archiving",
            "done": "archived"},
    dispatch=("dispatch", {"department": "ldbz"}, None),
    reject=("reject", {}, "非本部门职责"),
    redispatch=("redispatch", {"department": "ldbz"}, "确属劳动保障"),
    accept=("accept", {}, None),
    feedback=("feedback", {"result": "已督促支付"}, None),
    fail=("revisit_fail", {"satisfaction": "3", "revisit_note": "仍未支付"}, None),
    second_feedback=("second_feedback", {"result": "已全部支付"}, None),
    second_ok=("second_revisit", {"satisfaction": "1", "revisit_note": "已解决"}, None),
    archive=("archive", {}, None),
    reopen=("repeat_report", {}, "当事人再次反映"),
)

SAFETY = Script(
    register="hazard",
    values={"title": "安全出口堵塞", "description": "仓库安全出口被货物堵塞",
            "found_at": dt.datetime(2026, 5, 30, 10, 0), "photos": ["exit.jpg"],
            "rectify_mode": "deadline", "rectify_deadline": dt.date(2026, 6, 20),
            "order_no": "责改〔2026〕1号", "category": "fire_exit", "severity": "general"},
    department="xf", reporter="grid_inspector", follower="grid_inspector",
    dispatcher="town_safety_officer", handler="dept_inspector@xf", checker="grid_inspector",
    archiver="town_safety_officer",
    states={"new": "dispatching", "accepting": "accepting", "rejected": "rejected",
            "handling": "rectifying", "checking": "verifying", "second": "second_rectifying",
            "second_checking": "second_verifying", "closing": "signing_off",
            "done": "closed"},
    dispatch=("dispatch", {"department": "xf"}, None),
    reject=("reject", {}, "非本部门职责"),
    redispatch=("redispatch", {"department": "xf"}, None),
    accept=("accept", {}, None),
    feedback=("feedback", {"result": "已清理", "result_photos": ["after.jpg"]}, None),
    fail=("verify_fail", {"verification": "仍有堆放"}, None),
    second_feedback=("second_feedback", {"result": "已清空", "result_photos": ["a2.jpg"]}, None),
    second_ok=("second_verify_ok", {"verification": "合格", "verified_on": dt.date(2026, 6, 1)},
               None),
    archive=("sign_off", {}, None),
)

ENVIRONMENT = Script(
    register="pollution_event",
    values={"title": "河道漂浮物", "channel": "patrol", "description": "河面漂浮大量生活垃圾和塑料瓶，影响水质",
            "category": "water_floating", "severity": "general"},
    department="sw", reporter="env_grid_worker", follower="env_grid_worker",
    dispatcher="town_officer", handler="dept_handler@sw", checker="env_grid_worker",
    archiver="town_officer",
    states={"new": "dispatching", "accepting": "accepting", "rejected": "rejected",
            "handling": "handling", "checking": "revisiting", "second": "second_handling",
            "second_checking": "second_revisiting", "closing": "archiving",
            "done": "archived"},
    dispatch=("dispatch", {"department": "sw"}, None),
    reject=("reject", {}, "应由生态环境部门处理"),
    redispatch=("redispatch", {"department": "sw"}, "属河道保洁"),
    accept=("accept", {}, None),
    feedback=("feedback", {"disposal": "on_site", "result": "已打捞"}, None),
    fail=("revisit_fail", {"revisit_note": "仍有漂浮物"}, "打捞不彻底"),
    second_feedback=("second_feedback", {"disposal": "on_site", "result": "已彻底清理"}, None),
    second_ok=("second_revisit_ok", {"revisit_note": "已清理干净"}, None),
    archive=("archive", {}, None),
    reopen=("reopen", {}, "群众再次举报"),
)

SCRIPTS = {"community": COMMUNITY, "safety": SAFETY, "environment": ENVIRONMENT}


def values_for(world: World, script: Script) -> dict[str, Any]:
    """The script's values, with a point inside the record's node when it has a map field."""
    values = dict(script.values)
    register = world.deployment.registers[script.register]
    level = register.attach_to or world.deployment.hierarchy.levels[-1].key
    point = next((f.name for f in register.fields if f.type == "geo_point"), None)
    if point is not None and world.at[level] in world.deployment.boundaries:
        values[point] = point_in(world.deployment, world.at[level])
    return values


def run_lifecycle(world: World, script: Script, switches: dict[str, bool],
                  visit: Callable[[Record], None] = lambda _: None) -> Record:
    """Drive one record from report to its final state; assert each state on the way and
    hand each state's record to ``visit``."""

    def _act(world: World, who: str, record: Record, move: Move) -> Record:
        name, values, comment = move
        moved = world.act(who, record, name, values, comment)
        visit(moved)
        return moved

    s = script.states
    record = world.create(script.reporter, script.register, values_for(world, script))
    visit(record)
    assert (record.version, record.round) == (1, 1)
    if switches["auto_dispatch"]:
        assert (record.state, record.department) == (s["accepting"], script.department)
        assert record.assignee == world.user(script.follower).id
        assert record.version == 1
    else:
        assert (record.state, record.department) == (s["new"], None)
        record = _act(world, script.dispatcher, record, script.dispatch)
        assert (record.state, record.department) == (s["accepting"], script.department)
    record = _act(world, script.handler, record, script.reject)
    assert record.state == s["rejected"]
    record = _act(world, script.dispatcher, record, script.redispatch)
    assert record.state == s["accepting"]
    record = _act(world, script.handler, record, script.accept)
    assert record.state == s["handling"]
    record = _act(world, script.handler, record, script.feedback)
    closing = s["done"] if switches["auto_archive"] else s["closing"]
    if switches["revisit"]:
        assert record.state == s["checking"]
        record = _act(world, script.checker, record, script.fail)
        assert (record.state, record.round) == (s["second"], 2)
        record = _act(world, script.handler, record, script.second_feedback)
        assert record.state == s["second_checking"]
        record = _act(world, script.checker, record, script.second_ok)
    elif script.reopen is not None and not switches["auto_archive"]:
        assert record.state == closing
        record = _act(world, script.dispatcher, record, script.reopen)
        assert (record.state, record.round) == (s["second"], 2)
        record = _act(world, script.handler, record, script.second_feedback)
    assert record.state == closing
    if not switches["auto_archive"]:
        record = _act(world, script.archiver, record, script.archive)
    assert record.state == s["done"]
    assert record.deadline is None
    return record


def probe_users(world: World, department: str) -> list[str]:
    """Every role's user on and off the branch; departmental roles for two departments."""
    other = next(d.code for d in world.deployment.departments if d.code != department)
    return [name for name in world.usernames
            if "@" not in name or name.split("@")[1] in (department, other)]
