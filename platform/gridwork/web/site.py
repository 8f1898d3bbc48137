"""What every request reads: the deployment's runtime (swapped whole by a reload), engine,
clock, templates."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Engine, select

from ..config import Deployment
from ..config.types import Label
from ..clock import Clock
from ..runtime import Runtime
from ..storage.schema import Schema
from .i18n import translate

if TYPE_CHECKING:
    from .reload import Reloader

BUILTIN_TEMPLATES = Path(__file__).parents[1] / "templates"
"""The built-in templates, installed with the package as ``gridwork/templates`` (in a checkout,
a link to the repository's ``templates/``); a deployment's own ``templates/`` comes first."""

@dataclass(frozen=True)
class NodeInfo:
    """One grid node as pickers and pages show it."""

    id: int
    code: str
    name: str
    level: str
    depth: int
    path: str


@dataclass
class Site:
    """The running deployment, built once at start-up and shared by every request."""

    runtime: Runtime
    engine: Engine
    clock: Clock
    data_dir: Path
    tiles: str = ""
    """A map tile URL template ({z}/{x}/{y}); without one, maps show the grid boundaries only."""
    templates: Environment = field(init=False)
    reloader: Reloader | None = field(default=None, init=False)
    """Swaps ``runtime`` to the edited folder (`web.reload`); set by the app."""
    _nodes: dict[int, NodeInfo] = field(default_factory=dict, init=False)
    _by_code: dict[str, NodeInfo] = field(default_factory=dict, init=False)

    @property
    def deployment(self) -> Deployment:
        """The deployment served."""
        return self.runtime.deployment

    @property
    def schema(self) -> Schema:
        """Its tables."""
        return self.runtime.schema

    def __post_init__(self) -> None:
        loaders = [FileSystemLoader(str(self.deployment.root / "templates")),
                   FileSystemLoader(str(BUILTIN_TEMPLATES))]
        self.templates = Environment(loader=ChoiceLoader(loaders), autoescape=select_autoescape(),
                                     trim_blocks=True, lstrip_blocks=True)
        self.templates.globals.update(_=self.t, t=self.t, label=self.label, site=self)

    @property
    def locale(self) -> str:
        """The language of labels and pages."""
        return self.runtime.locale

    def t(self, text: str, **params: Any) -> str:
        """The page's word ``text`` in the deployment's language."""
        return translate(text, self.locale, **params)

    def label(self, value: Label | None, fallback: str = "") -> str:
        """A config label in the deployment's language."""
        return value.text(self.locale) if value is not None else fallback

    def nodes(self) -> dict[int, NodeInfo]:
        """Every node by id, read on first use (the tree changes only by migration)."""
        if not self._nodes:
            table = self.schema.system("nodes")
            with self.engine.connect() as conn:
                rows = conn.execute(select(table.c.id, table.c.code, table.c.name, table.c.level,
                                           table.c.depth, table.c.path).order_by(table.c.path))
                self._nodes = {row.id: NodeInfo(*row) for row in rows}
        return self._nodes

    def node_by_code(self, code: str) -> NodeInfo | None:
        """The node with ``code``."""
        if not self._by_code:
            self._by_code = {node.code: node for node in self.nodes().values()}
        return self._by_code.get(code)

    def level_label(self, key: str) -> str:
        """A hierarchy level's name."""
        level = next((lv for lv in self.deployment.hierarchy.levels if lv.key == key), None)
        return self.label(level.label, key) if level else key

    def render(self, names: str | list[str], **context: Any) -> str:
        """Render the first template of ``names`` that exists."""
        template = self.templates.select_template([names] if isinstance(names, str) else names)
        return template.render(**context)
