"""`gridwork token create|list|revoke`: a token made on the command line lets its user call the
API; once revoked, or for an unknown user, it lets nobody in."""

from __future__ import annotations

from collections.abc import Callable

from api_support import HttpWorld, bearer
from support import CONFIGS, run_cli

from gridwork.auth import create_token, revoke_token, token_hash


def test_token_made_by_the_cli_works_until_revoked(http: Callable[..., HttpWorld]) -> None:
    world = http("community")
    assert world.client is not None
    db = world.engine.url.render_as_string(hide_password=False)
    path = str(CONFIGS / "community")
    code, out, _ = run_cli("token", "create", "grid_leader", path, "--db", db, "--name", "cli")
    assert code == 0
    secret = out.strip().splitlines()[-1]
    tokens = world.schema.system("api_tokens")
    with world.engine.connect() as conn:
        stored = set(conn.execute(tokens.select().with_only_columns(tokens.c.token_hash))
                     .scalars())
    assert token_hash(secret) in stored and secret not in stored
    me = world.client.get("/api/v1/me", headers=bearer(secret))
    assert me.status_code == 200 and me.json()["username"] == "grid_leader"

    code, out, _ = run_cli("token", "list", path, "--db", db, "--user", "grid_leader")
    line = next(row for row in out.splitlines() if "\tcli\t" in row)
    assert line.split("\t")[5:] == ["live", "api"] and secret not in out
    assert line.split("\t")[4] == f"{world.clock.now:%Y-%m-%d %H:%M}", "last used: by /me"
    token_id = line.split("\t")[0]

    code, out, _ = run_cli("token", "revoke", token_id, path, "--db", db)
    assert (code, out.strip()) == (0, "revoked")
    assert world.client.get("/api/v1/me", headers=bearer(secret)).status_code == 401
    code, out, err = run_cli("token", "create", "nobody", path, "--db", db)
    assert code == 1 and "no active user 'nobody'" in err and not out


def test_token_revoked_by_its_secret_or_expired_lets_nobody_in(
        http: Callable[..., HttpWorld]) -> None:
    world = http("community")
    assert world.client is not None
    now = world.clock.now
    with world.engine.begin() as conn:
        _, secret = create_token(conn, world.schema, "supervisor", now)
        _, brief = create_token(conn, world.schema, "supervisor", now,
                                expires_at=now.replace(year=now.year + 1))
    assert world.client.get("/api/v1/queues", headers=bearer(secret)).status_code == 200
    with world.engine.begin() as conn:
        assert revoke_token(conn, world.schema, secret, now)
        assert not revoke_token(conn, world.schema, secret, now), "revoked once only"
    assert world.client.get("/api/v1/queues", headers=bearer(secret)).status_code == 401
    assert world.client.get("/api/v1/queues", headers=bearer(brief)).status_code == 200
    world.clock.now = now.replace(year=now.year + 2)
    try:
        assert world.client.get("/api/v1/queues", headers=bearer(brief)).status_code == 401
    finally:
        world.clock.now = now
