"""`gridwork token create|revoke|list`: the API tokens that stand for a user in `/api/v1`."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from ..scopes import API_SCOPE, SCOPES
from .storage import DB_HELP, current_engine, deployment_or_exit


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@click.group()
def token() -> None:
    """Create, revoke and list API tokens."""


@token.command("create")
@click.argument("username")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--db", help=DB_HELP)
@click.option("--name", default="", help="What the token is for (shown by `token list`).")
@click.option("--days", type=click.IntRange(min=1), help="Expire after this many days.")
@click.option("--scope", "scopes", multiple=True, type=click.Choice(SCOPES),
              help="What it opens: api (the JSON API, the default) or open311 (posting "
                   "public requests as an Open311 api_key); repeat for both.")
def create(username: str, path: Path, db: str | None, name: str, days: int | None,
           scopes: tuple[str, ...]) -> None:
    """Make a token for USERNAME and print it (last line); it is shown only this once."""
    from ..auth import create_token
    from ..storage import build_schema

    deployment = deployment_or_exit(path)
    engine = current_engine(deployment, db)
    now = _now()
    try:
        with engine.begin() as conn:
            made, secret = create_token(conn, build_schema(deployment), username, now,
                                        name=name, expires_at=now + dt.timedelta(days=days)
                                        if days else None, scopes=scopes or (API_SCOPE,))
    except KeyError:
        click.echo(f"error: no active user '{username}'", err=True)
        sys.exit(1)
    finally:
        engine.dispose()
    until = f", expires {made.expires_at:%Y-%m-%d %H:%M} UTC" if made.expires_at else ""
    click.echo(f"token {made.id} for {username}{until}; keep it secret, it is not shown again:")
    click.echo(secret)


@token.command("revoke")
@click.argument("token_or_id")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--db", help=DB_HELP)
def revoke(token_or_id: str, path: Path, db: str | None) -> None:
    """Revoke a token, given by its id (see `token list`) or by the token itself."""
    from ..auth import revoke_token
    from ..storage import build_schema

    deployment = deployment_or_exit(path)
    engine = current_engine(deployment, db)
    which: int | str = int(token_or_id) if token_or_id.isdigit() else token_or_id
    try:
        with engine.begin() as conn:
            done = revoke_token(conn, build_schema(deployment), which, _now())
    finally:
        engine.dispose()
    if not done:
        click.echo("error: no live token matches", err=True)
        sys.exit(1)
    click.echo("revoked")


@token.command("list")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--db", help=DB_HELP)
@click.option("--user", "username", help="Only this user's tokens.")
def list_(path: Path, db: str | None, username: str | None) -> None:
    """List tokens: id, user, name, created, last used, whether each still works, and
    what it opens."""
    from ..auth import list_tokens
    from ..storage import build_schema

    deployment = deployment_or_exit(path)
    engine = current_engine(deployment, db)
    try:
        with engine.connect() as conn:
            found = list_tokens(conn, build_schema(deployment), username)
    finally:
        engine.dispose()
    now = _now()
    for item in found:
        status = ("revoked" if item.revoked_at else "live" if item.live(now) else "expired")
        used = f"{item.last_used_at:%Y-%m-%d %H:%M}" if item.last_used_at else "never"
        click.echo(f"{item.id}\t{item.username}\t{item.name or '-'}\t"
                   f"{item.created_at:%Y-%m-%d %H:%M}\t{used}\t{status}\t{' '.join(item.scopes)}")


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--server", default="/api/v1", show_default=True,
              help="The API's base URL, e.g. https://grid.example/api/v1.")
def openapi(path: Path, server: str) -> None:
    """Print the OpenAPI 3.1 document of the deployment at PATH's JSON API."""
    import json

    from ..web.openapi import openapi_document

    document = openapi_document(deployment_or_exit(path), server=server)
    click.echo(json.dumps(document, ensure_ascii=False, indent=2))
