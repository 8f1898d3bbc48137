"""The package layers stated in pyproject.toml hold: no module imports from a layer above its
own, so the sweep never reaches into the web app and the config language stays importable
without a database."""

from __future__ import annotations

import tomllib
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[1]


def test_imports_follow_the_layers(capsys) -> None:
    code = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True,
                        no_logo=True)
    assert code == 0, capsys.readouterr().out


def test_every_package_has_a_layer() -> None:
    """A new package must be placed in the layers, or nothing would hold it to them."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    layers = config["tool"]["importlinter"]["contracts"][0]["layers"]
    placed = {name.strip() for layer in layers for name in layer.split("|")}
    package = ROOT / "platform" / "gridwork"
    found = {f"gridwork.{path.stem}" for path in package.glob("*.py")
             if path.stem not in ("__init__", "__main__")}
    found |= {f"gridwork.{path.parent.name}" for path in package.glob("*/__init__.py")}
    assert len(found) > 20
    assert found - placed == set()
