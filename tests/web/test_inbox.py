"""The inbox page: a user's messages newest first, the unread count in the navigation, mark read."""

from __future__ import annotations

import re
from collections.abc import Callable

from messages_support import escalate
from starlette.testclient import TestClient
from web_support import Clock, token

_UNREAD = re.compile(r'id="nav-inbox"[^>]*>[^<]*(?:<span class="count">(\d+))?')


def unread_in_nav(html: str) -> int:
    """The unread count the navigation shows (0 when it shows none)."""
    found = _UNREAD.search(html)
    assert found, "no inbox link in the navigation"
    return int(found.group(1) or 0)


def test_the_inbox_lists_the_users_messages_and_marking_read_lowers_the_count(
        make_client: Callable[..., TestClient], clock: Clock) -> None:
    worker = make_client("community", "grid_worker")
    for record in (11, 12, 13):
        escalate(worker, clock, ["grid_worker", "grid_leader"], record)
        clock.advance(minutes=5)
    assert unread_in_nav(worker.get("/").text) == 3
    page = worker.get("/inbox").text
    assert "收件箱" in page and page.count('class="card message unread"') == 3
    order = [page.index(f"楼道堆物 {record}") for record in (13, 12, 11)]
    assert order == sorted(order), "newest first"
    assert 'href="/registers/event/13"' in page

    newest = re.search(r'id="message-(\d+)"', page)
    assert newest
    after = worker.post("/inbox/read", data={"csrf": token(worker, "/inbox"),
                                             "id": newest.group(1)},
                        headers={"HX-Request": "true"})
    assert after.status_code == 200 and unread_in_nav(after.text) == 2
    assert after.text.count('class="card message unread"') == 2
    assert f'id="message-{newest.group(1)}">' in after.text.replace(
        'class="card message" ', "")

    leader = make_client("community", "grid_leader")
    assert unread_in_nav(leader.get("/").text) == 3, "another user's messages stay unread"
    assert leader.post("/inbox/read", data={"csrf": token(leader, "/inbox")}).status_code == 200
    assert unread_in_nav(leader.get("/inbox").text) == 0
    assert unread_in_nav(worker.get("/").text) == 2

    everything = worker.post("/inbox/read", data={"csrf": token(worker, "/inbox")})
    assert unread_in_nav(everything.text) == 0
    assert 'message unread' not in everything.text and "全部标为已读" not in everything.text


def test_marking_read_needs_the_csrf_token_and_touches_only_ones_own_messages(
        make_client: Callable[..., TestClient], clock: Clock) -> None:
    worker = make_client("community", "grid_worker")
    escalate(worker, clock, ["grid_worker", "grid_leader"], 21)
    leader = make_client("community", "grid_leader")
    theirs = re.search(r'id="message-(\d+)"', leader.get("/inbox").text)
    assert theirs
    assert worker.post("/inbox/read", data={"id": theirs.group(1)}).status_code == 403
    worker.post("/inbox/read", data={"csrf": token(worker), "id": theirs.group(1)})
    assert unread_in_nav(leader.get("/inbox").text) == 1
    assert unread_in_nav(worker.get("/inbox").text) == 1
    assert make_client("community").get("/inbox", follow_redirects=False
                                          ).headers["location"].startswith("/signin")


def test_a_message_says_what_happened_to_which_record_without_a_raw_address(
        make_client: Callable[..., TestClient], clock: Clock) -> None:
    worker = make_client("community", "grid_worker")
    escalate(worker, clock, ["grid_worker"], 31)
    page = worker.get("/inbox").text
    message = page[page.index('class="card message'):page.index("</li>")]
    happened = re.search(r'<p class="happened">([^<]*)</p>', message)
    assert happened and happened.group(1).startswith("事件 #31 · "), message
    shown = re.sub(r"<[^>]+>", " ", message)
    assert "/registers/" not in shown, "the address is a link, not text to read"
