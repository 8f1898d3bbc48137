"""The message log page: every outbox message for administrators, filtered and paged."""

from __future__ import annotations

import html
import re
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from zoneinfo import ZoneInfo

from messages_support import escalate
from starlette.testclient import TestClient
from web_support import Clock

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


def test_the_log_shows_each_message_with_its_cause_and_filters_them(
        make_client: Callable[..., TestClient], clock: Clock, tmp_path: Path) -> None:
    admin = make_client("community", "admin")
    with closing(sqlite3.connect(tmp_path / "community.sqlite3")) as db, db:  # the client's copy
        db.execute("UPDATE users SET email = NULL WHERE username = 'street_officer'")
    escalate(admin, clock, ["grid_worker", "street_officer"], 31, step=1)
    clock.advance(days=2)
    escalate(admin, clock, ["grid_worker"], 32, step=2)

    page = admin.get("/messages").text
    assert "消息日志" in page and "共 6 条消息" in page
    assert statuses(page) == ["pending", "sent", "failed", "sent", "pending", "sent"]
    # street_officer has no e-mail address here: the e-mail fails at once, with the reason.
    assert "has no address for channel" in page and "发送失败" in page and "待发送" in page
    assert 'href="/registers/event/32"' in page and "第 2 步" in page and "站内消息" in page

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
