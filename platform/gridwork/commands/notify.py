"""The `gridwork deliver` and `gridwork notify test` commands."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from .storage import DB_HELP, current_engine, deployment_or_exit


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--db", help=DB_HELP)
@click.option("--batch", default=100, show_default=True, help="Messages per database round.")
def deliver(path: Path, db: str | None, batch: int) -> None:
    """Deliver every message that is due now, once, and print the counts.

    Failed sends are retried by later runs after a growing wait; a message that keeps
    failing is marked failed with its last error.
    """
    from ..runtime import Runtime
    from ..notify.delivery import Counts, deliver_pending

    deployment = deployment_or_exit(path)
    runtime = Runtime.build(deployment)
    engine = current_engine(deployment, db)
    total = Counts()
    try:
        while True:
            counts = deliver_pending(engine, runtime, clock=_now, batch=batch)
            total.add(counts)
            if not counts.handled:
                break
    finally:
        engine.dispose()
    click.echo(str(total))


@click.group()
def notify() -> None:
    """Check notification channels."""


@notify.command("test")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--channel", "channel_name", required=True, help="A channel key from the config.")
@click.option("--to", "address", required=True,
              help="The address to send to (e-mail address, phone number; a webhook uses "
                   "its configured URL).")
def notify_test(path: Path, channel_name: str, address: str) -> None:
    """Send a test message through a configured channel and say what happened."""
    from ..runtime import Runtime
    from ..notify.message import Message

    deployment = deployment_or_exit(path)
    runtime = Runtime.build(deployment)
    channels = deployment.notifications.channels
    if channel_name not in channels:
        raise click.BadParameter(f"no channel '{channel_name}'; configured: "
                                 f"{', '.join(channels)}", param_hint="--channel")
    config = channels[channel_name]
    kind = runtime.channels.get(config.type)
    if kind is None:
        click.echo(f"error: channel '{channel_name}' has type '{config.type}', which no loaded "
                   "plugin provides", err=True)
        sys.exit(1)
    if kind.send is None:
        click.echo(f"'{channel_name}' is an in-app inbox: messages are shown to users in the "
                   "web app and nothing is sent, so there is nothing to test")
        return
    now = _now()
    rendered = runtime.renderer.render("test", {
        "title": deployment.about.title.text(runtime.locale),
        "now": now, "channel": channel_name})
    target = config.url if config.type == "webhook" else address
    message = Message(key=f"test-{now:%Y%m%d%H%M%S%f}", channel=channel_name, config=config,
                      address=target, subject=rendered.subject, body=rendered.body,
                      cause="test", created_at=now)
    try:
        receipt = kind.send(message)
    except Exception as err:  # noqa: BLE001 - the administrator needs the reason, not a trace
        click.echo(f"failed: {config.type} channel '{channel_name}' could not send to "
                   f"{target}: {err}", err=True)
        sys.exit(1)
    if config.type == "log":
        click.echo(f"recorded only: '{channel_name}' is a log channel, which keeps messages in "
                   f"the message log and sends nothing (to {target})")
        return
    click.echo(f"sent: {config.type} channel '{channel_name}' accepted the message to {target}"
               f" ({receipt})")
