"""`gridwork simulate` (what happens to one record if nobody acts) and `gridwork test` (run
the deployment's scenarios); both on a throwaway database, never the deployment's own."""

from __future__ import annotations

import datetime as dt
import json
import sys
import tempfile
from pathlib import Path

import click

from .storage import deployment_or_exit


def _instant(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not an ISO 8601 time such as "
                                 "2026-09-30T16:00 or 2026-09-30T16:00+08:00",
                                 param_hint="--reported-at") from None


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--category", required=True, metavar="CODE", help="The record's category.")
@click.option("--severity", metavar="S", help="The record's severity.")
@click.option("--at", "node", metavar="NODE_CODE",
              help="Where it is reported (default: the first node of the register's level).")
@click.option("--reported-at", metavar="ISO8601",
              help="When it is reported, on the deployment's clock unless an offset is given "
                   "(default: now).")
@click.option("--register", metavar="NAME",
              help="The register (default: the first with a workflow and categories).")
@click.option("--days", type=click.IntRange(min=1), default=90, show_default=True,
              help="Stop this many days after the report.")
@click.option("--json", "as_json", is_flag=True, help="Print the record and timeline as JSON.")
def simulate(path: Path, category: str, severity: str | None, node: str | None,
             reported_at: str | None, register: str | None, days: int, as_json: bool) -> None:
    """Show what happens to one new record at PATH's deployment if nobody acts.

    The real engine runs on a throwaway SQLite database with one user per role on the
    record's branch; the clock jumps from one due timer to the next and the sweep fires it.
    """
    from ..tools.simulate import Request, SimulationError, Simulator
    from ..tools.simulate_timeline import table

    when = _instant(reported_at)
    deployment = deployment_or_exit(path)
    with tempfile.TemporaryDirectory(prefix="gridwork-simulate-") as workdir:
        simulator = Simulator(deployment, Path(workdir))
        start = when or dt.datetime.now(dt.UTC).replace(microsecond=0)
        start = start if start.tzinfo else start.replace(tzinfo=simulator.tz)
        request = Request(category=category, severity=severity, node=node, reported_at=start,
                          register=register, until=start + dt.timedelta(days=days))
        try:
            result = simulator.run(request)
        except SimulationError as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(2)
    if as_json:
        click.echo(json.dumps({"record": result.record,
                               "timeline": [e.as_json() for e in result.timeline]},
                              ensure_ascii=False, indent=2))
    else:
        click.echo(table(result.record, result.timeline))


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.argument("names", nargs=-1, metavar="[SCENARIO]...")
def test(path: Path, names: tuple[str, ...]) -> None:
    """Run the scenarios in PATH/scenarios/*.yaml (or those named) and compare timelines.

    Prints each scenario as PASS or FAIL (with a diff of expected and actual timeline
    lines, or the problems in its file), then `N passed, M failed`; exits 1 on a failure.
    """
    from ..config.scenarios import scenario_files
    from ..tools.scenarios import report_lines, run_scenario
    from ..tools.simulate import Simulator

    deployment = deployment_or_exit(path)
    files = scenario_files(deployment)
    if names:
        known = {f.stem: f for f in files} | {f.name: f for f in files}
        missing = [n for n in names if n not in known]
        if missing:
            raise click.BadParameter(f"no scenario {', '.join(missing)} in "
                                     f"{deployment.root / 'scenarios'}", param_hint="SCENARIO")
        files = [known[n] for n in names]
    if not files:
        click.echo(f"no scenarios in {deployment.root / 'scenarios'}", err=True)
        sys.exit(1)
    with tempfile.TemporaryDirectory(prefix="gridwork-test-") as workdir:
        simulator = Simulator(deployment, Path(workdir))
        outcomes = [run_scenario(file, simulator) for file in files]
    for line in report_lines(outcomes):
        click.echo(line)
    sys.exit(0 if all(o.passed for o in outcomes) else 1)
