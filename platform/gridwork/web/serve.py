"""`gridwork serve`: the web pages of one deployment on uvicorn."""

from __future__ import annotations

from pathlib import Path

import click

from ..storage.commands import DB_HELP, current_engine, deployment_or_exit


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--db", help=DB_HELP)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, help="Port to listen on.")
@click.option("--demo", is_flag=True,
              help="First run `gridwork seed --demo` when the database has no users yet.")
def serve(path: Path, db: str | None, host: str, port: int, demo: bool) -> None:
    """Serve the deployment at PATH; refuses while the database is behind its config."""
    import uvicorn
    from sqlalchemy import func, select

    from ..storage import build_schema
    from ..storage.seed import seed_demo
    from .app import create_app

    deployment = deployment_or_exit(path)
    engine = current_engine(deployment, db)
    if demo:
        users = build_schema(deployment).system("users")
        with engine.connect() as conn:
            empty = conn.execute(select(func.count()).select_from(users)).scalar_one() == 0
        if empty:
            seed_demo(engine, deployment, echo=click.echo)
    click.echo(f"serving {deployment.deployment.name} on http://{host}:{port}/")
    uvicorn.run(create_app(deployment, engine=engine), host=host, port=port, log_level="info")
