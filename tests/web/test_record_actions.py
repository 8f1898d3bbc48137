"""Acting on a workflow record through its page: the web report enters the workflow, the
buttons follow role, scope and state, forms re-render with messages, a stale version is a
clear 409, a second round keeps the first one's history, supervision (督办) and timer
steps show on the record."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from flow_support import (  # noqa: F401 - flow_client and manual_dispatch are fixtures
    FlowClient,
    act,
    add_person,
    department_of,
    flow_client,
    history_actions,
    home_node,
    manual_dispatch,
    record_row,
    report,
    site_of,
    version_on,
)
from sqlalchemy import func, select
from starlette.testclient import TestClient
from web_support import PNG, Clock, token

from gridwork.sweep.sweep import sweep

_BUTTON = re.compile(r'data-action="(\w+)"')
AFTER = PNG + b"after"
"""Another photo: the same image with trailing bytes, so it is stored apart."""


def _buttons(client: TestClient, record_id: int, register: str = "event") -> list[str]:
    page = client.get(f"/registers/{register}/{record_id}")
    assert page.status_code == 200
    return _BUTTON.findall(page.text)


def _rounds(html: str) -> dict[str, str]:
    """Each round section of the timeline, by its number."""
    timeline = html[html.index('id="timeline"'):]
    return dict(re.findall(r'data-round="(\d+)">(.*?)</section>', timeline, re.DOTALL))


def test_a_web_report_enters_the_workflow_with_timers_and_history(
        flow_client: FlowClient) -> None:
    client = flow_client("grid_worker")
    record_id = report(client)
    row = record_row(client, record_id)
    assert (row.state, row.version, row.round) == ("dispatching", 1, 1)
    assert row.deadline is not None
    assert history_actions(client, record_id) == ["create"]
    site = site_of(client)
    timers, outbox = site.schema.system("timers"), site.schema.system("outbox")
    with site.engine.connect() as conn:
        pending = conn.execute(select(func.count()).select_from(timers).where(
            timers.c.register == "event", timers.c.record == record_id,
            timers.c.state == "dispatching")).scalar_one()
    assert pending > 0
    page = client.get(f"/registers/event/{record_id}").text
    assert '<span class="badge" id="record-state">待分发</span>' in page
    assert 'id="record-deadline"' in page
    assert re.search(r'class="step">[^<]+</strong>\s*<span class="move">待分发</span>', page)
    # Dispatching through the page sends the department its message, in the same step.
    worker = flow_client("community_worker")
    department = department_of(client, "dept_staff")
    with site.engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(outbox)).scalar_one()
    assert act(worker, record_id, "dispatch", department=department).status_code == 303
    with site.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(outbox)).scalar_one() > before


def test_each_button_shows_only_when_its_action_is_allowed(flow_client: FlowClient) -> None:
    reporter = flow_client("grid_worker")
    record_id = report(reporter)
    assert _buttons(reporter, record_id) == []
    assert reporter.get(f"/registers/event/{record_id}/actions/dispatch").status_code == 403
    denied = reporter.post(f"/registers/event/{record_id}/actions/dispatch",
                           data={"csrf": token(reporter), "version": "1",
                                 "department": "sqjwh"})
    assert denied.status_code == 403 and record_row(reporter, record_id).state == "dispatching"
    assert _buttons(flow_client("community_worker"), record_id) == ["dispatch", "void"]
    assert _buttons(flow_client("grid_leader"), record_id) == ["supervise"]
    head = flow_client("community_head")
    assert _buttons(head, record_id) == ["dispatch", "void", "supervise"]
    assert act(head, record_id, "dispatch",
               department=department_of(head, "dept_staff")).status_code == 303
    assert _buttons(flow_client("dept_staff"), record_id) == ["accept", "reject"]
    assert _buttons(head, record_id) == ["supervise"]


def test_an_action_moves_the_state_and_adds_a_timeline_entry(flow_client: FlowClient,
                                                            clock: Clock) -> None:
    record_id = report(flow_client("grid_worker"))
    worker = flow_client("community_worker")
    opened = worker.get(f"/registers/event/{record_id}/actions/dispatch")
    assert opened.status_code == 200
    assert 'id="action-form"' in opened.text and 'name="department"' in opened.text
    assert 'name="comment"' in opened.text and version_on(opened.text) == "1"
    clock.advance(minutes=30)
    department = department_of(worker, "dept_staff")
    moved = worker.post(f"/registers/event/{record_id}/actions/dispatch",
                        data={"csrf": token(worker), "version": "1", "department": department,
                              "comment": "请居委会处理"}, follow_redirects=False)
    assert moved.status_code == 303 and moved.headers["location"] == f"/registers/event/{record_id}"
    row = record_row(worker, record_id)
    assert (row.state, row.version) == ("accepting", 2)
    assert history_actions(worker, record_id) == ["create", "dispatch"]
    page = worker.get(f"/registers/event/{record_id}").text
    assert '<span class="badge" id="record-state">待接受</span>' in page
    step = re.search(r'<time>2026-11-26 10:30</time> <span class="actor">(.*?)</span> '
                     r'<strong class="step">分发</strong>\s*<span class="move">待分发 → 待接受</span>'
                     r'\s*<p class="comment">请居委会处理</p>', page)
    assert step and step.group(1) == "社区工作人员（社工）"
    # With htmx the form answers with a redirect header; the page reloads the record.
    staff = flow_client("dept_staff")
    opened = staff.get(f"/registers/event/{record_id}/actions/accept")
    accepted = staff.post(f"/registers/event/{record_id}/actions/accept",
                          data={"csrf": token(staff), "version": version_on(opened.text)},
                          headers={"HX-Request": "true"})
    assert accepted.status_code == 200
    assert accepted.headers["HX-Redirect"] == f"/registers/event/{record_id}"
    assert record_row(staff, record_id).state == "handling"


def test_a_stale_version_is_a_clear_409_and_changes_nothing(flow_client: FlowClient) -> None:
    record_id = report(flow_client("grid_worker"))
    slow, quick = flow_client("community_worker"), flow_client("community_head")
    department = department_of(slow, "dept_staff")
    stale = slow.get(f"/registers/event/{record_id}/actions/dispatch")
    assert act(quick, record_id, "dispatch", department=department).status_code == 303
    late = slow.post(f"/registers/event/{record_id}/actions/dispatch",
                     data={"csrf": token(slow), "version": version_on(stale.text),
                           "department": department, "comment": "我写的说明"})
    assert late.status_code == 409
    site = site_of(slow)
    assert 'id="conflict"' in late.text
    assert site.t("Someone else acted on this record first. It is shown as it is now; "
                  "what you typed is kept in the form below.") in late.text
    assert '<span class="badge" id="record-state">待接受</span>' in late.text
    assert ">我写的说明</textarea>" in late.text
    assert f'<option value="{department}" selected>' in late.text
    assert 'id="action-gone"' in late.text  # dispatch no longer applies to it
    assert history_actions(slow, record_id) == ["create", "dispatch"]
    assert record_row(slow, record_id).version == 2
    # When the action still applies, the form carries the fresh version to try again.
    staff, other = flow_client("dept_staff"), flow_client("dept_staff")
    first = staff.get(f"/registers/event/{record_id}/actions/reject")
    assert act(other, record_id, "accept").status_code == 303
    lost = staff.post(f"/registers/event/{record_id}/actions/reject",
                      data={"csrf": token(staff), "version": version_on(first.text),
                            "comment": "不归我们管"})
    assert lost.status_code == 409 and record_row(staff, record_id).state == "handling"
    assert ">不归我们管</textarea>" in lost.text


def test_a_missing_required_value_re_renders_with_its_message(flow_client: FlowClient) -> None:
    record_id = report(flow_client("grid_worker"))
    worker = flow_client("community_worker")
    site = site_of(worker)
    voided = act(worker, record_id, "void", comment="  ")
    assert voided.status_code == 422
    assert re.search(r'id="field-comment">.*?<p class="error" id="error-comment">'
                     + re.escape(site.t("required")), voided.text, re.DOTALL)
    undirected = act(worker, record_id, "dispatch", comment="先记下")
    assert undirected.status_code == 422 and 'id="error-department"' in undirected.text
    assert ">先记下</textarea>" in undirected.text
    department = department_of(worker, "dept_staff")
    assert act(worker, record_id, "dispatch", department=department).status_code == 303
    staff = flow_client("dept_staff")
    assert act(staff, record_id, "accept").status_code == 303
    blank = act(staff, record_id, "feedback", result="", comment="已处理")
    assert blank.status_code == 422
    assert re.search(r'id="field-result".*?<p class="error" id="error-result">', blank.text,
                     re.DOTALL)
    assert ">已处理</textarea>" in blank.text
    row = record_row(staff, record_id)
    assert (row.state, row.version) == ("handling", 3)
    assert history_actions(staff, record_id) == ["create", "dispatch", "accept"]


def test_a_second_round_keeps_the_first_in_the_timeline(flow_client: FlowClient) -> None:
    record_id = report(flow_client("grid_worker"))
    worker, staff = flow_client("community_worker"), flow_client("dept_staff")
    assert act(worker, record_id, "dispatch",
               department=department_of(worker, "dept_staff")).status_code == 303
    assert act(staff, record_id, "accept").status_code == 303
    assert act(staff, record_id, "feedback", result="已清理楼道").status_code == 303
    failed = act(worker, record_id, "revisit_fail", satisfaction="3",
                 revisit_note="又堆上了", comment="居民不满意")
    assert failed.status_code == 303, failed.text
    row = record_row(worker, record_id)
    assert (row.state, row.round, row.priority) == ("second_handling", 2, "high")
    assert act(staff, record_id, "second_feedback", result="已彻底清理并张贴告示").status_code == 303
    page = worker.get(f"/registers/event/{record_id}").text
    rounds = _rounds(page)
    assert list(rounds) == ["1", "2"]
    assert "已清理楼道" in rounds["1"] and "反馈" in rounds["1"]
    assert "居民不满意" in rounds["2"] and "已彻底清理并张贴告示" in rounds["2"]
    assert "待回访 → 二次处理待反馈" in rounds["2"]
    # The first round's result stays in its own entry though the record now holds the second.
    assert "已清理楼道" not in page[:page.index('id="timeline"')]


def test_photos_sent_with_an_action_show_in_its_timeline_entry(
        make_client: Callable[..., TestClient]) -> None:
    inspector = make_client("safety", "grid_inspector")
    blank = inspector.get("/registers/hazard/new").text
    grid = re.search(r'<option value="(\w+)" selected>', blank)
    assert grid
    reported = inspector.post("/registers/hazard/new", data={
        "csrf": token(inspector), "node": grid.group(1), "category": "fire_exit",
        "severity": "general", "title": "消防通道堆放杂物", "description": "一楼消防通道被占用",
        "found_at": "2026-11-26T09:00", "rectify_mode": "on_spot"},
        files=[("photos", ("before.png", PNG, "image/png"))], follow_redirects=False)
    assert reported.status_code == 303, reported.text
    record_id = int(reported.headers["location"].rsplit("/", 1)[1])
    assert "fixed_on_spot" in _buttons(inspector, record_id, "hazard")
    url = f"/registers/hazard/{record_id}/actions/fixed_on_spot"
    opened = inspector.get(url)
    assert 'name="result_photos"' in opened.text
    done = inspector.post(url, data={"csrf": token(inspector), "version": version_on(opened.text),
                                     "result": "当场清除了占用的消防通道"},
                          files=[("result_photos", ("after.png", AFTER, "image/png"))],
                          follow_redirects=False)
    assert done.status_code == 303, done.text
    timeline = inspector.get(f"/registers/hazard/{record_id}").text
    timeline = timeline[timeline.index('id="timeline"'):]
    shown = re.findall(r'src="(/registers/hazard/\d+/photos/[0-9a-f]{64}\.png)"', timeline)
    assert len(shown) == 1 and "当场清除了占用的消防通道" in timeline
    assert inspector.get(shown[0]).content == AFTER
    # Taken again, the action is no longer there: refused, and the photo is not stored.
    stored = sorted((site_of(inspector).data_dir / "uploads").iterdir())
    now_at = str(int(version_on(opened.text)) + 1)
    again = inspector.post(url, data={"csrf": token(inspector), "version": now_at,
                                      "result": "再次清除"},
                           files=[("result_photos", ("again.png", AFTER + b"2", "image/png"))],
                           follow_redirects=False)
    assert again.status_code == 403
    assert sorted((site_of(inspector).data_dir / "uploads").iterdir()) == stored


def test_supervision_and_timer_steps_show_on_the_record(flow_client: FlowClient,
                                                        clock: Clock) -> None:
    record_id = report(flow_client("grid_worker"))
    leader = flow_client("grid_leader")
    site = site_of(leader)
    url = f"/registers/event/{record_id}/supervise"
    assert 'id="action-form"' in leader.get(url).text
    empty = leader.post(url, data={"csrf": token(leader), "comment": ""})
    assert empty.status_code == 422 and 'id="error-comment"' in empty.text
    assert leader.post(url, data={"csrf": token(leader), "comment": "请尽快分发"},
                       follow_redirects=False).status_code == 303
    worker = flow_client("community_worker")
    assert worker.post(url, data={"csrf": token(worker), "comment": "x"}).status_code == 403
    page = leader.get(f"/registers/event/{record_id}").text
    assert re.search(r'id="supervisions">.*?请尽快分发', page, re.DOTALL)
    # Nobody dispatches: the sweep's deadline and escalation steps join the timeline.
    deadline = record_row(leader, record_id).deadline
    clock.now = deadline + (deadline - clock.now) * 3
    fired = sweep(site.engine, site.runtime, now=clock.now)
    assert fired.fired
    leader = flow_client("grid_leader")  # days later: the old session timed out
    page = leader.get(f"/registers/event/{record_id}").text
    assert 'id="record-overdue"' in page
    system_steps = re.findall(r'<li class="system">\s*<time>[^<]*</time> <span class="actor">'
                              r'([^<]*)</span> <strong class="step">([^<]*)</strong>', page)
    assert system_steps and {actor for actor, _ in system_steps} == {site.t("System")}
    assert site.t("deadline passed") in {step for _, step in system_steps}


def test_a_user_out_of_scope_gets_404(flow_client: FlowClient) -> None:
    reporter = flow_client("grid_worker")
    record_id = report(reporter)
    site = site_of(reporter)
    other_grid = next(n.code for n in site.nodes().values()
                      if n.level == "grid" and n.code != home_node(reporter, "grid_worker"))
    add_person(reporter, "far_leader", "grid_leader", node=other_grid)
    far = flow_client("far_leader")
    for path in ("", "/actions/dispatch", "/supervise"):
        assert far.get(f"/registers/event/{record_id}{path}").status_code == 404
    for path, data in (("/actions/void", {"version": "1", "comment": "x"}),
                       ("/supervise", {"comment": "x"})):
        posted = far.post(f"/registers/event/{record_id}{path}",
                          data={"csrf": token(far), **data})
        assert posted.status_code == 404
    assert history_actions(reporter, record_id) == ["create"]


def test_editing_a_record_someone_moved_meanwhile_is_a_409(flow_client: FlowClient) -> None:
    record_id = report(flow_client("grid_worker"))
    leader, worker = flow_client("grid_leader"), flow_client("community_worker")
    form = leader.get(f"/registers/event/{record_id}/edit").text
    assert version_on(form) == "1"
    assert act(worker, record_id, "dispatch",
               department=department_of(worker, "dept_staff")).status_code == 303
    late = leader.post(f"/registers/event/{record_id}/edit", data={
        "csrf": token(leader), "version": "1", "node": home_node(leader, "grid_worker"),
        "category": "dispute_neighbour", "title": "楼道堆物（已核实）", "description": "楼道堆满杂物",
        "source": "patrol", "address": "三单元"})
    assert late.status_code == 409
    assert 'class="alert conflict"' in late.text and 'value="楼道堆物（已核实）"' in late.text
    assert version_on(late.text) == "2"
    row = record_row(leader, record_id)
    assert (row.title, row.version) == ("楼道堆物", 2)
    assert history_actions(leader, record_id) == ["create", "dispatch"]


def _pending_deadlines(client: TestClient, record_id: int) -> list[dt.datetime]:
    site = site_of(client)
    timers = site.schema.system("timers")
    with site.engine.connect() as conn:
        return list(conn.execute(select(timers.c.due_at).where(
            timers.c.record == record_id, timers.c.kind == "deadline",
            timers.c.fired_at.is_(None), timers.c.cancelled_at.is_(None))).scalars())


def test_an_edit_that_changes_the_limit_moves_the_deadline_and_its_timers(
        flow_client: FlowClient, clock: Clock) -> None:
    """待分发 has 2 working hours, 30 minutes when urgent: raising the severity on the edit
    page moves the deadline; raising it once the half hour has passed marks it overdue."""
    record_id = report(flow_client("grid_worker"))
    leader = flow_client("grid_leader")
    reported = clock.now  # 10:00 on a Thursday in Shanghai
    assert _pending_deadlines(leader, record_id) == [reported + dt.timedelta(hours=2)]

    def edit(severity: str) -> None:
        form = leader.get(f"/registers/event/{record_id}/edit").text
        sent = leader.post(f"/registers/event/{record_id}/edit", data={
            "csrf": token(leader), "version": version_on(form),
            "node": home_node(leader, "grid_worker"), "category": "dispute_neighbour",
            "severity": severity, "title": "楼道堆物", "description": "楼道堆满杂物",
            "source": "patrol", "address": "三单元"}, follow_redirects=False)
        assert sent.status_code == 303, sent.text

    edit("urgent")
    urgent = reported + dt.timedelta(minutes=30)
    assert _pending_deadlines(leader, record_id) == [urgent]
    assert record_row(leader, record_id).deadline == urgent
    site = site_of(leader)
    history = site.schema.system("history")
    with site.engine.connect() as conn:
        edited = conn.execute(select(history.c.before, history.c.after).where(
            history.c.record == record_id, history.c.action == "edit")).one()
    assert (edited.before, edited.after) == ({"severity": "general"}, {"severity": "urgent"})
    edit("general")
    clock.advance(hours=1)
    edit("urgent")
    assert _pending_deadlines(leader, record_id) == [urgent], "passed, so due at once"
    sweep(site.engine, site.runtime, now=clock.now)
    assert history_actions(leader, record_id)[-2:] == ["overdue", "escalate"], \
        "the ladder's first step (at the deadline) fires as it would have"
    assert _pending_deadlines(leader, record_id) == []
    edit("urgent")  # nothing changes: what fired this stay does not fire again
    assert sweep(site.engine, site.runtime, now=clock.now).fired_count == 0
