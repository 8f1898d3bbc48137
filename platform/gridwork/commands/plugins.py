"""`gridwork plugins PATH` (what a deployment loads) and the commands installed plugins add."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .. import plugins as registry


@click.command("plugins")
@click.argument("path", type=click.Path(path_type=Path))
def plugins(path: Path) -> None:
    """List the plugins the deployment at PATH loads: name, version, where it comes from,
    and the hooks it implements; then installed plugins that were skipped, and why."""
    from ..config import check
    from ..config.plugin_checks import deployment_manager

    result = check(path)
    if result.deployment is None:
        for problem in result.errors:
            click.echo(problem.format(), err=True)
        sys.exit(1)
    manager = deployment_manager(result.deployment)
    for plugin in manager.loaded():
        hooks = ", ".join(h.removeprefix("gridwork_") for h in plugin.hooks) or "(no hooks)"
        click.echo(f"{plugin.name}  {plugin.version or '-'}  [{plugin.source}]  {hooks}")
    for name, reason in manager.skipped.items():
        click.echo(f"{name}  skipped: {reason}")


def plugin_cli(existing: set[str]) -> list[click.Command]:
    """The commands installed plugins add, except those named like a built-in command;
    a plugin that fails here is reported, and ``gridwork`` itself still runs."""
    try:
        commands = registry.cli_commands()
    except Exception as err:  # noqa: BLE001 - a broken plugin must not break the command
        click.echo(f"warning: plugin commands not loaded: {type(err).__name__}: {err}",
                   err=True)
        return []
    return [command for command in commands if command.name not in existing]
