"""Work queues on the pages: a queue lists its records oldest deadline first a page at a
time, the navigation and the home page count the user's queues and show what is due, the
overdue queue shows the escalation steps, and nobody sees a queue or record not theirs."""

from __future__ import annotations

import re

from flow_support import (  # noqa: F401 - flow_client and manual_dispatch are fixtures
    FlowClient,
    act,
    add_person,
    department_of,
    flow_client,
    home_node,
    manual_dispatch,
    record_row,
    report,
    site_of,
)
from starlette.testclient import TestClient
from web_support import Clock, token

from gridwork import workflow
from gridwork.sweep.sweep import sweep
from gridwork.web.pages_queue import PAGE_SIZE

_ROW = re.compile(r'<td data-label="#"><a href="/registers/event/(\d+)">.*?'
                  r'<td data-label="[^"]*">(?:<time[^>]*>([^<]*)</time>)?</td>', re.DOTALL)


def _rows(html: str) -> list[tuple[int, str]]:
    """(id, deadline) of each listed record, in page order."""
    return [(int(i), deadline) for i, deadline in _ROW.findall(html)]


def _nav_count(client: TestClient, queue: str) -> int | None:
    """The count the navigation shows for a queue, None when the user has no such queue."""
    found = re.search(rf'data-queue="{queue}"[^>]*>[^<]*<span class="badge">(\d+)</span>',
                      client.get("/").text)
    return int(found.group(1)) if found else None


def test_a_queue_lists_oldest_deadline_first_a_page_at_a_time(flow_client: FlowClient,
                                                             clock: Clock) -> None:
    worker = flow_client("community_worker")
    site = site_of(worker)
    with site.engine.connect() as conn:
        reporter = workflow.load_user(conn, site.schema, "grid_worker")
    grid = home_node(worker, "grid_worker")
    for n in range(PAGE_SIZE):  # enough for a second page, reported over the morning
        clock.advance(minutes=1)
        workflow.create_record(site.engine, site.runtime, reporter, "event",
                               grid, {"title": f"第{n}件", "description": "路灯不亮",
                                      "source": "patrol", "address": "小区东门",
                                      "category": "dispute_neighbour"}, clock=clock)
    mine = []
    for title in ("第一件", "第二件", "第三件"):
        mine.append(report(worker, title=title))
        clock.advance(minutes=20)
    listed: list[tuple[int, str]] = []
    page, pages = 1, 1
    while page <= pages:
        response = worker.get(f"/queues/to_dispatch?page={page}")
        assert response.status_code == 200
        rows = _rows(response.text)
        assert 0 < len(rows) <= PAGE_SIZE
        listed += rows
        pages = int(re.search(r"(\d+) 页", response.text).group(1))  # type: ignore[union-attr]
        page += 1
    assert pages >= 2
    ids = [i for i, _ in listed]
    assert len(ids) == len(set(ids)) == _nav_count(worker, "to_dispatch")
    dated = [deadline for _, deadline in listed if deadline]
    assert dated == sorted(dated) and listed[:len(dated)] == [r for r in listed if r[1]]
    assert [i for i in ids if i in mine] == mine
    assert all(record_row(worker, i).state == "dispatching" for i in ids)


def test_navigation_and_home_count_the_users_queues(flow_client: FlowClient) -> None:
    worker = flow_client("community_worker")
    before = _nav_count(worker, "to_dispatch")
    assert before is not None
    record_id = report(flow_client("grid_worker"))
    assert _nav_count(worker, "to_dispatch") == before + 1
    home = worker.get("/").text
    card = re.search(r'href="/queues/to_dispatch">[^<]*</a>\s*<p class="count"><strong>(\d+)',
                     home)
    assert card and int(card.group(1)) == before + 1
    assert act(worker, record_id, "dispatch",
               department=department_of(worker, "dept_staff")).status_code == 303
    assert _nav_count(worker, "to_dispatch") == before
    staff = flow_client("dept_staff")
    assert _nav_count(staff, "to_accept") and _nav_count(staff, "to_dispatch") is None
    assert f'href="/registers/event/{record_id}"' in staff.get("/queues/to_accept").text


def test_due_and_overdue_records_show_with_their_escalation(flow_client: FlowClient,
                                                            clock: Clock) -> None:
    reporter = flow_client("grid_worker")
    record_id = report(reporter, title="井盖缺失")
    worker = flow_client("community_worker")
    due = re.search(r'id="due-soon">.*?</section>', worker.get("/").text, re.DOTALL)
    assert due and f'href="/registers/event/{record_id}"' in due.group(0)
    leader = flow_client("grid_leader")
    supervised = leader.post(f"/registers/event/{record_id}/supervise",
                             data={"csrf": token(leader), "comment": "尽快处理"},
                             follow_redirects=False)
    assert supervised.status_code == 303
    site = site_of(leader)
    assert f'href="/registers/event/{record_id}"' not in leader.get("/queues/overdue").text
    deadline = record_row(leader, record_id).deadline
    clock.now = deadline + (deadline - clock.now) * 3
    sweep(site.engine, site.runtime, now=clock.now)
    leader = flow_client("grid_leader")  # days later: the old session timed out
    overdue = leader.get("/queues/overdue").text
    row = re.search(rf'<tr class="overdue-row">\s*<td data-label="#"><a href="/registers/event/'
                    rf'{record_id}">.*?</tr>', overdue, re.DOTALL)
    assert row, "the overdue record is not listed as overdue"
    assert 'class="badge supervised"' in row.group(0)
    steps = {site.t(text) for text in ("deadline passed", "reminder sent", "escalated",
                                       "moved up a level", "priority raised",
                                       "supervision opened")}
    latest = re.search(r'data-label="[^"]*">([^<]*)</td>\s*</tr>', row.group(0))
    assert latest and latest.group(1) in steps


def test_a_queue_or_record_not_the_users_is_404(flow_client: FlowClient) -> None:
    reporter = flow_client("grid_worker")
    record_id = report(reporter)
    assert reporter.get("/queues/to_dispatch").status_code == 404
    assert reporter.get("/queues/no_such_queue").status_code == 404
    site = site_of(reporter)
    home = site.node_by_code(home_node(reporter, "grid_worker"))
    assert home is not None
    other = next(n for n in site.nodes().values()
                 if n.level == "community" and not home.path.startswith(n.path))
    add_person(reporter, "far_worker", "community_worker", node=other.code)
    far = flow_client("far_worker")
    listed = far.get("/queues/to_dispatch")
    assert listed.status_code == 200
    assert f'href="/registers/event/{record_id}"' not in listed.text
    assert far.get(f"/registers/event/{record_id}").status_code == 404
    near = flow_client("community_worker")
    assert f'href="/registers/event/{record_id}"' in near.get("/queues/to_dispatch").text
