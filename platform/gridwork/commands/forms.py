"""`gridwork forms`: registers from XLSForm workbooks and back."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

import click

_MODELINE = "# yaml-language-server: $schema=../../schema/gridwork.schema.json\n\n"


@click.group()
def forms() -> None:
    """Registers from Excel forms (XLSForm) and back, for ODK Collect and KoboToolbox."""


@forms.command("import")
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--register", "name", required=True, help="The register's key, e.g. 'resident'.")
@click.option("--into", "into", type=click.Path(path_type=Path),
              help="A deployment folder (the register is added to the file that holds its "
                   "registers) or a YAML file; default: print the YAML.")
def import_form(file: Path, name: str, into: Path | None) -> None:
    """Turn the XLSForm FILE into a register.

    Every question becomes a field; what a register cannot carry is reported as
    FILE:SHEET:ROW: error|warning: MESSAGE. Any error refuses the form and writes nothing.
    """
    from ..forms.xlsform_import import read_xlsform

    dictionaries = _dictionaries(into)
    imported = read_xlsform(file, name, dictionaries)
    for problem in imported.problems:
        click.echo(problem.format(), err=True)
    if imported.register is None:
        click.echo(f"nothing written: {len(imported.errors)} error(s)", err=True)
        sys.exit(1)
    text = register_yaml(name, imported.register)
    if into is None:
        click.echo("registers:\n" + text, nl=False)
        return
    target = _add_register(into, name, text)
    click.echo(f"register '{name}' written to {target}", err=True)
    if into.is_dir():
        from ..config import check

        result = check(into)
        for found in result.problems:
            click.echo(found.format(), err=True)
        if result.deployment is None:
            sys.exit(1)


@forms.command("export")
@click.argument("register")
@click.argument("path", type=click.Path(path_type=Path))
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
def export_form(register: str, path: Path, file: Path) -> None:
    """Write REGISTER of the deployment at PATH as the XLSForm FILE (.xlsx).

    Fill it offline in ODK Collect or KoboToolbox; their CSV export of the submissions
    imports with `gridwork import PATH REGISTER FILE.csv`.
    """
    from .storage import deployment_or_exit
    from ..forms.xlsform_export import ExportRefused, export_xlsform

    deployment = deployment_or_exit(path)
    try:
        warnings = export_xlsform(deployment, register, file)
    except ExportRefused as err:
        for problem in err.problems:
            click.echo(f"error: {problem}", err=True)
        sys.exit(1)
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"{file}: register '{register}' as an XLSForm", err=True)


def register_yaml(name: str, register: dict[str, Any]) -> str:
    """The register as YAML under its key, indented to sit below ``registers:``."""
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.default_flow_style = None
    yaml.width = 100
    yaml.indent(mapping=2, sequence=4, offset=2)
    out = io.StringIO()
    yaml.dump({name: register}, out)
    return "".join(f"  {line}\n" if line else "\n" for line in out.getvalue().splitlines())


def _dictionaries(into: Path | None) -> dict[str, Any]:
    """The shared choice dictionaries of the target deployment, so lists that match one
    are written as its name."""
    if into is None or not into.is_dir():
        return {}
    from ..config import check

    deployment = check(into).deployment
    return dict(deployment.choices) if deployment is not None else {}


def _add_register(into: Path, name: str, text: str) -> Path:
    """Append the register below the ``registers:`` of the file that holds them."""
    from ..config.loader import load_sources

    if into.is_dir():
        sources, _ = load_sources(into)
        segments = sources.sections.get("registers", [])
        if not segments:
            raise click.ClickException(f"{into} defines no registers; pass --into FILE.yaml "
                                       "and include that file")
        if any(isinstance(s.value, dict) and name in s.value for s in segments):
            raise click.ClickException(f"register '{name}' already exists in {into}")
        target = into / segments[-1].file
    else:
        target = into
    if not target.exists():
        target.write_text(_MODELINE + "registers:\n" + text, encoding="utf-8")
        return target
    from ruamel.yaml import YAML

    current = target.read_text(encoding="utf-8")
    tree = YAML().load(current) or {}
    if list(tree)[-1:] != ["registers"]:
        raise click.ClickException(f"{target}: 'registers:' must be the file's last key to "
                                   "add to it; pass --into a new YAML file instead")
    if name in (tree["registers"] or {}):
        raise click.ClickException(f"register '{name}' already exists in {target}")
    target.write_text(current.rstrip("\n") + "\n\n" + text, encoding="utf-8")
    return target
