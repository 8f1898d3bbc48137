"""The message log page: every outbox message for administrators, filtered and paged."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from zoneinfo import ZoneInfo

from messages_support import escalate, user_id
from sqlalchemy import update
from starlette.testclient import TestClient
from web_support import Clock

from gridwork.notify.outbox import enqueue

ROW = re.compile(r'<tr class="status-(\w+)">')


def statuses(html: str) -> list[str]:
    """The status of each row the log shows, top to bottom."""
    return ROW.findall(html)


def test_only_roles_with_admin_see_the_log(make_client: Callable[..., TestClient]) -> None:
    assert make_client("community", "grid_worker").get("/messages").status_code == 403
    assert make_client("community", "street_officer").get("/messages").status_code == 403
    assert make_client("community").get("/messages", follow_redirects=False
                                        ).headers["location"].startswith("/signin")
    admin = make_client("community", "admin")
    assert admin.get("/messages").status_code == 200
    assert 'href="/messages"' in admin.get("/inbox").text
    assert 'href="/messages"' not in make_client("community", "grid_worker").get("/inbox").text
    for path in ("/", "/registers/event"):  # the navigation links the log for administrators
        assert re.search(r'<a [^>]*href="/messages"[^>]*>消息日志</a>', admin.get(path).text)
        assert 'href="/messages"' not in make_client("community", "grid_worker").get(path).text


def test_the_log_shows_each_message_with_its_cause_and_filters_them(
        make_client: Callable[..., TestClient], clock: Clock) -> None:
    admin = make_client("community", "admin")
    site = admin.app.state.site  # type: ignore[attr-defined]
    users = site.schema.system("users")
    with site.engine.begin() as conn:  # e-mail goes to a user who has no address
        conn.execute(update(users).where(users.c.username == "street_officer").values(email=None))
    escalate(admin, clock, ["grid_worker", "street_officer"], 31, step=1)
    clock.advance(days=2)
    admin = make_client("community", "admin")  # two days later: signed in again
    escalate(admin, clock, ["grid_worker"], 32, step=2)

    page = admin.get("/messages").text
    assert "消息日志" in page and "共 6 条消息" in page
    assert statuses(page) == ["pending", "sent", "failed", "sent", "pending", "sent"]
    # A user without an e-mail address: the e-mail fails at once, with the reason in words.
    assert "没有该渠道的接收地址" in page and "发送失败" in page and "待发送" in page
    assert "has no address" not in page
    assert re.search(r'超时升级（第 2 级）<br><a href="/registers/event/32">[^<]*#32 楼道堆物 32</a>',
                     page)
    assert "站内消息" in page and "escalation" not in page

    sms = admin.get("/messages", params={"channel": "sms", "recipient": "grid_worker"}).text
    assert statuses(sms) == ["pending", "pending"] and "共 2 条消息" in sms
    assert 'value="grid_worker"' in sms, "the filters stay filled in"
    failed = admin.get("/messages", params={"status": "failed"}).text
    assert statuses(failed) == ["failed"] and "街道网格办工作人员" in failed
    email = admin.get("/messages", params={"channel": "email"}).text
    assert statuses(email) == ["failed"] and "/registers/event/31" in email
    day = clock.now.astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()
    today = admin.get("/messages", params={"from": day, "to": day}).text
    assert "共 2 条消息" in today and "/registers/event/31" not in today
    nobody = admin.get("/messages", params={"recipient": "no_such_user"}).text
    assert statuses(nobody) == [] and "没有符合条件的消息。" in nobody
    odd = admin.get("/messages", params={"status": "exploded", "from": "yesterday"}).text
    assert "共 6 条消息" in odd, "unknown filter values are ignored"


def test_the_log_pages_through_many_messages(make_client: Callable[..., TestClient],
                                             clock: Clock) -> None:
    admin = make_client("community", "admin")
    for record in range(100, 130):
        escalate(admin, clock, ["grid_worker"], record)
        clock.advance(minutes=1)
    first = admin.get("/messages").text
    assert "共 60 条消息" in first and len(statuses(first)) == 50 and "第 1 / 2 页" in first
    assert "/registers/event/129" in first and "/registers/event/100" not in first
    following = re.search(r'<a href="([^"]+)">下一页</a>', first)
    assert following and "page=2" in following.group(1)
    second = admin.get(html.unescape(following.group(1))).text
    assert len(statuses(second)) == 10 and "/registers/event/100" in second
    assert "第 2 / 2 页" in second and "上一页" in second and "下一页" not in second
    sms = admin.get("/messages", params={"channel": "sms", "page": 9}).text
    assert len(statuses(sms)) == 30 and "第 1 / 1 页" in sms


def test_a_workflow_message_names_the_step_and_the_record(
        make_client: Callable[..., TestClient], clock: Clock) -> None:
    admin = make_client("community", "admin")
    site = admin.app.state.site  # type: ignore[attr-defined]
    with site.engine.begin() as conn:  # as a transition's `notify` writes it
        enqueue(conn, site.runtime, recipients=[user_id(admin, "grid_worker")],
                template="notice", context={"record": {"title": "楼道堆物"}, "step": "派遣"},
                cause="transition", clock=clock, register="event", record=377,
                occasion="dispatch@3")
    page = admin.get("/messages").text
    assert re.search(r'流程办理：派遣<br><a href="/registers/event/377">[^<]*#377 楼道堆物</a>',
                     page)
    assert "transition" not in page.split("<tbody>")[1]
