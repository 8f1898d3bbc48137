"""The `gridwork` command."""

from __future__ import annotations

import datetime as dt
import importlib

import json
import sys
from pathlib import Path

import click

from . import __version__


COMMANDS = {
    "migrate": "gridwork.commands.storage:migrate",
    "import": "gridwork.commands.storage:import_",
    "export": "gridwork.commands.storage:export",
    "seed": "gridwork.commands.storage:seed",
    "users": "gridwork.commands.storage:users",
    "serve": "gridwork.commands.serve:serve",
    "deliver": "gridwork.commands.notify:deliver",
    "notify": "gridwork.commands.notify:notify",
    "token": "gridwork.commands.api:token",
    "openapi": "gridwork.commands.api:openapi",
    "simulate": "gridwork.commands.scenarios:simulate",
    "test": "gridwork.commands.scenarios:test",
    "sweep": "gridwork.commands.sweep:sweep_command",
    "worker": "gridwork.commands.sweep:worker",
    "plugins": "gridwork.commands.plugins:plugins",
    "forms": "gridwork.commands.forms:forms",
    "duties": "gridwork.commands.duties:duties",
    "assess": "gridwork.commands.assessment:assess",
    "switch": "gridwork.commands.switches:switch",
    "preview": "gridwork.commands.preview:preview",
}
"""Commands defined outside this module, as ``module:attribute``: a module is imported only
when its command runs (or the list is shown), so `gridwork check` does not wait for the
web app, the database or Celery."""


class _Commands(click.Group):
    """The built-in commands, then those installed plugins add. Plugin commands load only
    when a name is not a built-in one or the list is shown, so `gridwork check` does not
    wait for them; a plugin command named like a built-in one is never used."""

    _plugin_commands: dict[str, click.Command] | None = None

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS, *self._from_plugins()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS and cmd_name not in self.commands:
            module, name = COMMANDS[cmd_name].split(":")
            self.add_command(getattr(importlib.import_module(module), name), cmd_name)
        return super().get_command(ctx, cmd_name) or self._from_plugins().get(cmd_name)

    def invoke(self, ctx: click.Context) -> object:
        """Run the command; a database that cannot be reached (no server, no such database,
        refused) or one that stayed busy (another process held SQLite's write lock for the
        whole wait) is a message on stderr and exit code 1, not a traceback; the work
        already committed stays, the rest is done by the next run. Other errors of a
        statement keep their traceback."""
        try:
            return super().invoke(ctx)
        except Exception as err:
            if "sqlalchemy" in sys.modules:  # else the error cannot be the database's
                from sqlalchemy.exc import OperationalError

                from .storage.writes import LOCK_WAIT_SECONDS, unavailable

                if isinstance(err, OperationalError) and err.statement is None:
                    raise click.ClickException(
                        f"cannot reach the database: {err.orig}") from err
                if unavailable(err):
                    raise click.ClickException(
                        f"the database stayed busy for {LOCK_WAIT_SECONDS} s or went out "
                        f"of reach ({str(err).splitlines()[0]}); what was done is saved, "
                        "run the command again for the rest") from err
            raise

    def _from_plugins(self) -> dict[str, click.Command]:
        if self._plugin_commands is None:
            from .commands.plugins import plugin_cli

            self._plugin_commands = {command.name: command
                                     for command in plugin_cli(set(self.commands))
                                     if command.name}
        return self._plugin_commands


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gridwork")
def main() -> None:
    """gridwork: grid-based governance from a folder of YAML.

    Start with `gridwork check configs/community`.
    """


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--quiet", "-q", is_flag=True, help="Print problems only, no summary line.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Check as on this date (YYYY-MM-DD), e.g. whether next year's holidays "
                   "are known; default: today on the deployment's clock.")
def check(path: Path, quiet: bool, today: dt.datetime | None) -> None:
    """Validate the deployment at PATH and report every problem.

    Each problem is one line, FILE:LINE:COL: error|warning: MESSAGE, with FILE
    relative to PATH. Exits 0 when valid (warnings allowed), 1 when not.
    """
    from .config import check as run_check

    try:
        result = run_check(path, today=today.date() if today else None)
    except Exception as err:  # noqa: BLE001 - a checker bug must still read like a report
        click.echo(f"deployment.yaml:1:1: error: internal error while checking "
                   f"({type(err).__name__}: {err}); please report it with your config")
        sys.exit(1)
    for problem in result.problems:
        click.echo(problem.format())
    if not quiet:
        errors, warnings = len(result.errors), len(result.warnings)
        if result.deployment is not None:
            d = result.deployment
            summary = (f"{d.about.name}: valid — {len(d.nodes)} nodes, "
                       f"{len(d.registers)} registers, {len(d.workflows)} workflows")
            if warnings:
                summary += f", {warnings} warning{'s' if warnings != 1 else ''}"
            click.echo(summary, err=True)
        else:
            click.echo(f"{errors} error{'s' if errors != 1 else ''}, "
                       f"{warnings} warning{'s' if warnings != 1 else ''}", err=True)
    sys.exit(0 if result.deployment is not None else 1)


@main.command()
@click.option("--markdown", is_flag=True, help="Print the config reference page instead.")
@click.option("--scenario", is_flag=True, help="Print the JSON Schema of scenario files.")
def schema(markdown: bool, scenario: bool) -> None:
    """Print the JSON Schema of the configuration language.

    Point yaml-language-server at it (the shipped configs carry the modeline) to get
    validation and completion while editing.
    """
    from .config.reference import json_schema, markdown_reference, scenario_schema

    if markdown:
        click.echo(markdown_reference(), nl=False)
    elif scenario:
        click.echo(json.dumps(scenario_schema(), ensure_ascii=False, indent=2))
    else:
        click.echo(json.dumps(json_schema(), ensure_ascii=False, indent=2))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--only", multiple=True, metavar="FIGURE", help="Run only the named figure(s).")
@click.option("--db", "url", metavar="URL",
              help="Build the figures' databases on this PostgreSQL server, each in a schema "
                   "of its own that is dropped afterwards (default: temporary SQLite files).")
def bench(as_json: bool, only: tuple[str, ...], url: str | None) -> None:
    """Run the benchmarks and print each figure against its goal."""
    from .tools.bench import FIGURES, run_benchmarks

    unknown = [name for name in only if name not in FIGURES]
    if unknown:
        raise click.BadParameter(f"unknown figure {', '.join(unknown)}; known: "
                                 f"{', '.join(FIGURES)}", param_hint="--only")
    if url is not None and not url.startswith(("postgresql", "postgres:")):
        raise click.BadParameter("give a PostgreSQL URL, such as "
                                 "postgresql://user@host/database; without --db the figures "
                                 "run on temporary SQLite files", param_hint="--db")
    figures = run_benchmarks(only, url)
    if as_json:
        click.echo(json.dumps({"figures": figures}, ensure_ascii=False, indent=2))
    else:
        for figure in figures:
            value = figure.get("seconds", figure.get("ratio"))
            unit = "s" if "seconds" in figure else "×"
            goal = figure.get("goal", f"<= {figure['ceiling']}")
            mark = "ok" if figure["ok"] else "MISSED"
            click.echo(f"{figure['name']:<28} {value:>10.4f}{unit}  goal {goal}{unit}  {mark}")
    sys.exit(0 if all(f["ok"] for f in figures) else 1)
