"""The YAML configuration language: load a deployment folder, check it, report problems.

``check(path)`` finds every problem it can in one run: YAML syntax, schema, node files,
then cross-references and lints. ``load_deployment(path)`` returns an immutable
`Deployment` or raises `ConfigError` with those problems.
"""

from __future__ import annotations

import datetime as dt

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from ..plugins import field_types, functions
from .check_flows import check_flows
from .check_open311 import check_open311
from .check_structure import check_structure
from .context import Context
from .lints import lint
from .loader import MAIN_FILE, Sources, block_position, load_sources, quote_width, raw_at
from .models import Deployment
from .nodes import load_boundaries, load_nodes
from .plugin_checks import load_plugins, loaded_problems
from .problems import ConfigError, Problem
from .scenarios import load_scenario, scenario_files
from .schema_errors import schema_problems

__all__ = ["CheckResult", "ConfigError", "Deployment", "Problem", "check", "load_deployment"]


@dataclass
class CheckResult:
    """What `check` found: the deployment (when it has no errors) and every problem."""

    problems: list[Problem] = field(default_factory=list)
    deployment: Deployment | None = None

    @property
    def errors(self) -> list[Problem]:
        """Problems that stop the deployment from loading."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        """Problems worth fixing that do not stop it."""
        return [p for p in self.problems if p.severity == "warning"]


def deployment_root(path: str | Path) -> Path:
    """The deployment folder, given the folder or its ``deployment.yaml``."""
    root = Path(path)
    return root.parent if root.name == MAIN_FILE and root.is_file() else root


def check(path: str | Path, *, today: dt.date | None = None) -> CheckResult:
    """Load and check the deployment at ``path``; never raises for a bad input file.

    ``today`` is the date lints that look at the calendar take as today (default: today on
    the deployment's clock)."""
    root = deployment_root(path)
    if not (root / MAIN_FILE).is_file():
        return CheckResult([Problem(f"no {MAIN_FILE} in {root}", file=MAIN_FILE, line=1, col=1)])
    sources, problems = load_sources(root)
    if any(p.severity == "error" for p in problems):
        return CheckResult(_located(sources, problems))
    try:
        deployment = Deployment.model_validate(sources.merged())
    except ValidationError as err:
        return CheckResult(_located(sources, problems + schema_problems(err)))
    nodes, node_problems = load_nodes(sources.read, deployment.hierarchy)
    problems.extend(node_problems)
    deployment._nodes = tuple(nodes)
    deployment._root = root.resolve()
    if deployment.hierarchy.boundaries:
        boundaries, geo_problems = load_boundaries(
            sources.read, deployment.hierarchy.boundaries, {n.code for n in nodes})
        deployment._boundaries = boundaries
        problems.extend(geo_problems)
    manager, plugin_problems = load_plugins(deployment)
    problems.extend(plugin_problems)
    ctx = Context(deployment, field_types(manager), plugins=manager)
    ctx.functions |= set(functions(manager))
    check_structure(ctx)
    check_flows(ctx)
    check_open311(ctx)
    if not any(p.severity == "error" for p in problems + ctx.problems):
        lint(ctx, today)
        if manager is not None:
            ctx.problems.extend(loaded_problems(manager, deployment))
    problems.extend(ctx.problems)
    located = _located(sources, problems)
    if not any(p.severity == "error" for p in located):
        located.extend(p for path in scenario_files(deployment)
                       for p in load_scenario(path, deployment)[1])
    has_errors = any(p.severity == "error" for p in located)
    deployment._source_hash = sources.digest()
    deployment._source_files = dict(sources.files)
    return CheckResult(located, None if has_errors else deployment)


def load_deployment(path: str | Path) -> Deployment:
    """Return the checked deployment at ``path``, or raise ConfigError listing its errors."""
    result = check(path)
    if result.deployment is None:
        raise ConfigError(result.errors)
    return result.deployment


def _in_block(sources: Sources, problem: Problem) -> Problem:
    """A problem ``offset`` characters into a block scalar (``|``, ``>``), at the line and
    column of that character in the file."""
    at = sources.locate(Problem(problem.message, problem.severity, problem.path, problem.at))
    assert at.file is not None and at.line is not None
    lines = sources.read(at.file).decode("utf-8").splitlines()
    line, col = block_position(lines, at.line, problem.offset)
    return Problem(problem.message, problem.severity, problem.path, problem.at,
                   problem.offset, at.file, line, col)


def _located(sources: Sources, problems: list[Problem]) -> list[Problem]:
    located = []
    for problem in problems:
        if problem.offset and problem.file is None:
            shift = quote_width(raw_at(sources, problem.path))
            if shift is None:
                located.append(_in_block(sources, problem))
                continue
            problem = Problem(problem.message, problem.severity, problem.path, problem.at,
                              problem.offset + shift)
        located.append(sources.locate(problem))
    located.sort(key=lambda p: (p.file != MAIN_FILE, p.file or "", p.line or 0, p.col or 0))
    return located
