"""Sessions live in the database: sign-out, timeouts, a disabled account, a new password and
an administrator each end them for good, whatever the browser kept."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from starlette.testclient import TestClient
from support import CONFIGS, runtime_of
from web_support import Clock, sign_in, token

from gridwork.cli import main
from gridwork.config import load_deployment
from gridwork.exchange.users import import_users
from gridwork.web import create_app
from gridwork.web.sessions import COOKIE

HTTPS = "https://testserver"


def _opens(client: TestClient, cookie: str) -> bool:
    """Whether a browser holding only ``cookie`` sees the home page (not the sign-in)."""
    client.cookies.clear()
    client.cookies.set(COOKIE, cookie)
    return client.get("/", follow_redirects=False).status_code == 200


def _import(client: TestClient, tmp_path: Path, row: dict[str, str]) -> None:
    path = tmp_path / "change.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
    site = client.app.state.site  # type: ignore[attr-defined]
    import_users(site.engine, site.deployment, path, schema=site.schema)


def test_the_cookie_holds_only_a_random_id_that_the_database_hashes(
        make_client: Callable[..., TestClient]) -> None:
    client = make_client(username="grid_worker")
    cookie = client.cookies[COOKIE]
    assert len(cookie) >= 40 and "grid_worker" not in cookie and "." not in cookie
    site = client.app.state.site  # type: ignore[attr-defined]
    sessions = site.schema.system("sessions")
    with site.engine.connect() as conn:
        hashes = conn.execute(select(sessions.c.token_hash)).scalars().all()
    assert hashes and cookie not in hashes


def test_a_cookie_captured_before_sign_out_opens_nothing_after(
        make_client: Callable[..., TestClient]) -> None:
    client = make_client(username="grid_worker")
    captured = client.cookies[COOKIE]
    assert _opens(make_client(), captured)
    response = client.post("/signout", data={"csrf": token(client)}, follow_redirects=False)
    assert response.status_code == 303 and "max-age=0" in response.headers["set-cookie"].lower()
    thief = make_client()
    assert not _opens(thief, captured)
    assert thief.get("/registers/event/1", follow_redirects=False).status_code == 303


def test_signing_in_again_replaces_the_session(
        make_client: Callable[..., TestClient]) -> None:
    client = make_client(username="grid_worker")
    first = client.cookies[COOKIE]
    client.post("/signin", data={"csrf": token(client, "/signin"), "username": "grid_worker",
                                 "password": "demo"})
    assert client.cookies[COOKIE] != first
    assert not _opens(make_client(), first)
    assert _opens(make_client(), client.cookies[COOKIE])


def test_idle_timeout_ends_the_session(make_client: Callable[..., TestClient],
                                       clock: Clock) -> None:
    client = make_client(username="grid_worker")
    cookie = client.cookies[COOKIE]
    for _ in range(6):  # busy for six hours, never two idle at a stretch
        clock.advance(minutes=110)
        assert _opens(client, cookie)
    clock.advance(hours=2)
    assert not _opens(client, cookie)
    clock.advance(minutes=-5)  # an ended session stays ended
    assert not _opens(client, cookie)


def test_absolute_timeout_ends_even_a_busy_session(make_client: Callable[..., TestClient],
                                                   clock: Clock) -> None:
    client = make_client(username="grid_worker")
    cookie = client.cookies[COOKIE]
    for _ in range(11):
        clock.advance(hours=1)
        assert _opens(client, cookie)
    clock.advance(minutes=59)
    assert _opens(client, cookie)
    clock.advance(minutes=1)
    assert not _opens(client, cookie)


def test_timeouts_come_from_the_config(tmp_path: Path, clock: Clock,
                                       make_client: Callable[..., TestClient]) -> None:
    folder = tmp_path / "short"
    shutil.copytree(CONFIGS / "community", folder)
    path = folder / "deployment.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("deployment:\n", "deployment:\n  sessions: {idle: 10min}\n",
                                 1), encoding="utf-8")
    deployment = load_deployment(folder)
    assert str(deployment.about.sessions.idle) == "10min"
    site = make_client().app.state.site  # type: ignore[attr-defined]
    client = TestClient(create_app(runtime_of(deployment), engine=site.engine, clock=clock,
                                   secret="s" * 32, data_dir=tmp_path / "data"))
    sign_in(client, "grid_worker")
    cookie = client.cookies[COOKIE]
    clock.advance(minutes=9)
    assert _opens(client, cookie)
    clock.advance(minutes=10)
    assert not _opens(client, cookie)


def test_disabling_the_user_ends_their_sessions(make_client: Callable[..., TestClient],
                                                tmp_path: Path) -> None:
    client = make_client(username="grid_worker")
    other = make_client(username="grid_leader")
    _import(client, tmp_path, {"username": "grid_worker", "active": "false"})
    assert client.get("/", follow_redirects=False).status_code == 303
    assert other.get("/", follow_redirects=False).status_code == 200
    _import(client, tmp_path, {"username": "grid_worker", "active": "true"})
    assert client.get("/", follow_redirects=False).status_code == 303  # still ended


def test_a_new_password_ends_their_sessions(make_client: Callable[..., TestClient],
                                            tmp_path: Path) -> None:
    client = make_client(username="grid_worker")
    _import(client, tmp_path, {"username": "grid_worker", "password": "new-secret-1"})
    assert client.get("/", follow_redirects=False).status_code == 303
    _import(client, tmp_path, {"username": "grid_worker", "name": "改名"})
    fresh = make_client(username="grid_worker")  # the old password no longer works
    assert fresh.get("/", follow_redirects=False).status_code == 303


def test_an_administrator_lists_and_revokes_sessions(make_client: Callable[..., TestClient],
                                                     tmp_path: Path) -> None:
    phone = make_client(username="grid_worker")
    laptop = make_client(username="grid_worker")
    site = phone.app.state.site  # type: ignore[attr-defined]
    db = ["--db", str(site.engine.url)]
    runner = CliRunner()
    listed = runner.invoke(main, ["users", "sessions", str(CONFIGS / "community"),
                                  "grid_worker", *db])
    assert listed.exit_code == 0, listed.output
    assert listed.output.count("signed in") == 2 and "ended" not in listed.output
    revoked = runner.invoke(main, ["users", "sessions", str(CONFIGS / "community"),
                                   "grid_worker", "--revoke", *db])
    assert revoked.exit_code == 0 and "2 session(s) ended" in revoked.output
    assert phone.get("/", follow_redirects=False).status_code == 303
    assert laptop.get("/", follow_redirects=False).status_code == 303
    again = runner.invoke(main, ["users", "sessions", str(CONFIGS / "community"),
                                 "grid_worker", *db])
    assert again.output.count("(revoked)") == 2
    unknown = runner.invoke(main, ["users", "sessions", str(CONFIGS / "community"),
                                   "nobody_here", *db])
    assert unknown.exit_code == 1 and "no user 'nobody_here'" in unknown.output


def test_sign_ins_are_kept_in_their_own_table(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    assert sign_in(client, "grid_worker", "nope").status_code == 401
    assert sign_in(client, "grid_worker").status_code == 200
    site = client.app.state.site  # type: ignore[attr-defined]
    signins, history = site.schema.system("signins"), site.schema.system("history")
    with site.engine.connect() as conn:
        rows = conn.execute(select(signins.c.username, signins.c.ok)
                            .order_by(signins.c.id)).all()
        stray = conn.execute(select(history.c.id).where(history.c.register == "_signin")
                             ).first()
    assert [tuple(row) for row in rows][-2:] == [("grid_worker", False), ("grid_worker", True)]
    assert stray is None


def test_cookies_are_secure_over_https(make_client: Callable[..., TestClient]) -> None:
    plain = make_client()
    assert "secure" not in plain.get("/signin").headers["set-cookie"].lower()
    https = TestClient(make_client().app, base_url=HTTPS)
    cookie = https.get("/signin").headers["set-cookie"].lower()
    assert "; secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    form = {"csrf": token(https, "/signin"), "username": "grid_worker", "password": "demo"}
    signed = https.post("/signin", data=form, follow_redirects=False)
    assert "; secure" in signed.headers["set-cookie"].lower()


def test_behind_a_trusted_proxy_forwarded_https_gets_secure_cookies(
        make_client: Callable[..., TestClient], monkeypatch: pytest.MonkeyPatch) -> None:
    forwarded = {"X-Forwarded-Proto": "https"}
    untrusted = make_client()
    assert "secure" not in untrusted.get("/signin", headers=forwarded
                                         ).headers["set-cookie"].lower()
    monkeypatch.setenv("GRIDWORK_TRUST_PROXY", "*")
    trusting = make_client()
    assert "; secure" in trusting.get("/signin", headers=forwarded
                                      ).headers["set-cookie"].lower()
    assert "secure" not in make_client().get("/signin").headers["set-cookie"].lower()



def test_old_sessions_are_deleted_when_their_user_signs_in(
        make_client: Callable[..., TestClient], clock: Clock) -> None:
    client = make_client(username="grid_worker")
    make_client(username="grid_leader")
    client.post("/signout", data={"csrf": token(client)})
    site = client.app.state.site  # type: ignore[attr-defined]
    sessions, users = site.schema.system("sessions"), site.schema.system("users")

    def kept() -> list[str]:
        with site.engine.connect() as conn:
            return sorted(conn.execute(select(users.c.username).join(
                sessions, sessions.c.user == users.c.id)).scalars())
    clock.advance(days=29)
    make_client(username="grid_worker")
    assert kept() == ["grid_leader", "grid_worker", "grid_worker"]
    clock.advance(days=2)
    make_client(username="grid_worker")
    assert kept() == ["grid_leader", "grid_worker", "grid_worker"]  # the 31-day-old one left


def test_working_time_is_no_session_timeout(tmp_path: Path) -> None:
    from gridwork.config import ConfigError

    folder = tmp_path / "working"
    shutil.copytree(CONFIGS / "community", folder)
    path = folder / "deployment.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("deployment:\n", "deployment:\n  sessions: {idle: 1wd}\n", 1),
                    encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_deployment(folder)
    assert "positive calendar time" in str([p.format() for p in refused.value.problems])
