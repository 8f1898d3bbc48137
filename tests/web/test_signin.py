"""Sign-in, sign-out, the wrong-password page, lock-out and CSRF."""

from __future__ import annotations

from collections.abc import Callable

from starlette.testclient import TestClient
from web_support import Clock, csrf_of, sign_in, token

from gridwork.auth import MAX_FAILURES

WRONG = "用户名或密码不正确。"
LOCKED = "已锁定"


def test_pages_need_sign_in(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    response = client.get("/registers/event?state=x", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/signin?next=/registers/event%3Fstate%3Dx"


def test_right_password_signs_in_with_a_safe_cookie(
        make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    form = {"csrf": csrf_of(client.get("/signin").text), "username": "grid_worker",
            "password": "demo", "next": "/registers/event"}
    response = client.post("/signin", data=form, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/registers/event"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "网格员" in client.get("/").text


def test_next_never_leaves_the_site(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    form = {"csrf": csrf_of(client.get("/signin").text), "username": "grid_worker",
            "password": "demo", "next": "//evil.example/"}
    response = client.post("/signin", data=form, follow_redirects=False)
    assert response.headers["location"] == "/"


def test_wrong_password_and_unknown_user_read_the_same(
        make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    wrong = sign_in(client, "grid_worker", "nope")
    unknown = sign_in(client, "nobody_here", "demo")
    assert wrong.status_code == unknown.status_code == 401
    assert WRONG in wrong.text and WRONG in unknown.text
    assert client.get("/", follow_redirects=False).status_code == 303


def test_five_failures_lock_the_name_for_fifteen_minutes(
        make_client: Callable[..., TestClient], clock: Clock) -> None:
    client = make_client()
    for _ in range(MAX_FAILURES - 1):
        assert sign_in(client, "grid_leader", "bad").status_code == 401
    assert sign_in(client, "grid_leader", "bad").status_code == 429
    locked = sign_in(client, "grid_leader", "demo")
    assert locked.status_code == 429 and LOCKED in locked.text
    assert sign_in(client, "grid_worker", "demo").status_code == 200  # others unaffected
    clock.advance(minutes=14)
    assert sign_in(make_client(), "grid_leader", "demo").status_code == 429
    clock.advance(minutes=2)
    assert sign_in(make_client(), "grid_leader", "demo").status_code == 200


def test_lock_out_is_kept_in_the_database(make_client: Callable[..., TestClient]) -> None:
    for _ in range(MAX_FAILURES):
        sign_in(make_client(), "grid_leader", "bad")
    assert sign_in(make_client(), "grid_leader", "demo").status_code == 429


def test_a_success_clears_earlier_failures(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    for _ in range(MAX_FAILURES - 1):
        sign_in(client, "grid_leader", "bad")
    assert sign_in(client, "grid_leader", "demo").status_code == 200
    assert sign_in(make_client(), "grid_leader", "bad").status_code == 401


def test_sign_out_ends_the_session(make_client: Callable[..., TestClient]) -> None:
    client = make_client(username="grid_worker")
    response = client.post("/signout", data={"csrf": token(client)}, follow_redirects=False)
    assert response.status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 303


def test_posts_without_the_csrf_token_are_refused(
        make_client: Callable[..., TestClient]) -> None:
    client = make_client(username="grid_worker")
    good = token(client)
    assert client.post("/signout").status_code == 403
    assert client.post("/signout", data={"csrf": "forged"}).status_code == 403
    assert client.post("/registers/event/new", data={"title": "x"}).status_code == 403
    assert client.post("/registers/event/new", data={"title": "x", "csrf": good + "x"}
                       ).status_code == 403
    assert client.post("/registers/event/form", data={"source": "patrol"}).status_code == 403
    assert client.post("/registers/event/form", data={"source": "patrol"},
                       headers={"X-CSRF-Token": good}).status_code == 200
    fresh = make_client()
    assert fresh.post("/signin", data={"username": "grid_worker", "password": "demo"}
                      ).status_code == 403
