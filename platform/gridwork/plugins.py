"""The plugin manager, the built-in plugins and what the hooks offer.

A plugin is a Python module with ``@hookimpl`` functions named like the hooks in
`gridwork.hookspecs`.
It is loaded from the entry-point group ``gridwork.plugins`` (installed packages) or from a
deployment's ``plugins:`` list (module names, each with its settings). A plugin that takes
settings declares them as a pydantic model named ``Settings`` in its module; each hook that
has a ``settings`` argument is called with that plugin's own validated settings (None for a
plugin without a ``Settings`` model).

Built-in behaviour is written as plugins too (``DEFAULT_PLUGINS``), so every hook is
used by gridwork's own code first; plugins/README.md is the author's guide.

One precedence rule: where two plugins offer the same name (an action, a channel type,
a field type, …), the one registered later wins. The manager registers the built-ins
first, then the installed (entry-point) plugins, then the deployment's ``plugins:`` in
their order, so a deployment's plugin overrides an installed one, which overrides a
built-in.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import inspect
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pluggy
from pydantic import BaseModel, ValidationError

if TYPE_CHECKING:
    import click
    from starlette.routing import BaseRoute

    from .config import Deployment
    from .config.models.outputs import MessageTemplate
    from .forms import FieldType

from . import hookspecs

hookimpl = pluggy.HookimplMarker("gridwork")

DEFAULT_PLUGINS = (
    "gridwork.forms.fieldtypes",
    "gridwork.default_functions",
    "gridwork.default_actions",
    "gridwork.default_effects",
    "gridwork.default_channels",
    "gridwork.default_templates",
)
"""The built-in plugins, registered first (so any other plugin may override them)."""
ENTRY_POINT_GROUP = "gridwork.plugins"
log = logging.getLogger("gridwork.plugins")


@dataclass(frozen=True)
class Pages:
    """A plugin's web pages and API routes, served under ``/plugins/<plugin module>``."""

    routes: Sequence[BaseRoute]
    """Starlette routes; an endpoint reads the site and signed-in user through
    `gridwork.web.plugin_pages.visit`, which also gives it the user's records only."""
    templates: Path | None = None
    """A folder of Jinja2 templates the pages render (after the deployment's and the
    built-in ones, so a deployment may override them)."""


HOOKS = tuple(name for name in vars(hookspecs) if name.startswith("gridwork_"))


@dataclass(frozen=True)
class Loaded:
    """One plugin in a manager: where it came from, its version and what it implements."""

    name: str
    source: str
    """'built-in', 'config' or 'entry point'."""
    version: str | None
    hooks: tuple[str, ...]
    settings: BaseModel | None


@dataclass(frozen=True)
class Offer:
    """What one plugin's implementation of a hook returned, with the plugin's name."""

    plugin: str
    value: Any


class Manager(pluggy.PluginManager):
    """The plugin manager of one deployment: pluggy's, with each plugin registered as a
    `_Bound` that passes the plugin its own settings."""

    def __init__(self) -> None:
        super().__init__("gridwork")
        self.add_hookspecs(hookspecs)
        self.settings: dict[str, BaseModel | None] = {}
        self.sources: dict[str, tuple[str, str | None]] = {}
        self.skipped: dict[str, str] = {}
        """Installed plugins that could not be loaded, with the reason."""
        self.memo: dict[str, Any] = {}
        """What the hooks offered, by hook: asked once, since settings never change."""

    def add(self, plugin: ModuleType | object, name: str, settings: BaseModel | None,
            source: tuple[str, str | None] | None = None) -> None:
        """Register ``plugin`` under ``name`` with its validated settings."""
        self.settings[name] = settings
        if source is not None:
            self.sources[name] = source
        self.register(_Bound(plugin, name, settings), name=name)

    def loaded(self) -> list[Loaded]:
        """Every registered plugin, in registration order."""
        found = []
        for name, plugin in self.list_name_plugin():
            hooks = tuple(h.name for h in self.get_hookcallers(plugin) or ())
            source, version = self.sources.get(name, ("built-in", None))
            found.append(Loaded(name, source, version, tuple(sorted(hooks)),
                                self.settings.get(name)))
        return found

    def each(self, hook: str, **kwargs: Any) -> Iterator[tuple[str, Any]]:
        """Call ``hook`` through pluggy (each plugin gets its own settings); yield
        (plugin name, result) for each result that is not None, first registered first."""
        caller = getattr(self.hook, hook)
        if "settings" in (caller.spec.argnames if caller.spec else ()):
            kwargs = {"settings": None, **kwargs}  # each `_Bound` passes its own instead
        for offer in reversed(caller(**kwargs)):
            yield offer.plugin, offer.value


class _Bound:
    """A plugin as the manager registers it: each of its hook implementations with the
    plugin's settings bound, answering with an `Offer` that names the plugin (pluggy
    passes every implementation the same arguments and does not say whose result is whose)."""

    def __init__(self, plugin: ModuleType | object, name: str,
                 settings: BaseModel | None) -> None:
        self.__name__ = name
        self.module = plugin
        for attribute in dir(plugin):
            function = getattr(plugin, attribute, None)
            if callable(function) and hasattr(function, "gridwork_impl"):
                setattr(self, attribute, _bind(function, name, settings))


def _bind(function: Callable[..., Any], plugin: str,
          settings: BaseModel | None) -> Callable[..., Any]:
    """``function`` as pluggy calls it (positionally, by its own argument names, which
    `functools.wraps` shows), with ``settings`` replaced by the plugin's own."""
    names = [p.name for p in inspect.signature(function).parameters.values()
             if p.default is inspect.Parameter.empty
             and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]

    @functools.wraps(function)
    def call(*args: Any) -> Offer | None:
        given = [settings if name == "settings" else arg for name, arg in zip(names, args)]
        result = function(*given)
        return None if result is None else Offer(plugin, result)
    return call


def settings_model(plugin: ModuleType | object) -> type[BaseModel] | None:
    """The pydantic model a plugin declares its settings with (``Settings``), if any."""
    model = getattr(plugin, "Settings", None)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def default_settings(plugin: ModuleType | object) -> BaseModel | None:
    """A plugin's settings when it is given none; ValidationError when it needs some."""
    model = settings_model(plugin)
    return None if model is None else model.model_validate({})


def plugin_manager(modules: Iterable[str] = (),
                   settings: Mapping[str, BaseModel | None] | None = None) -> Manager:
    """A manager with the built-in plugins, the installed entry points and ``modules`` (a
    deployment's, with their validated ``settings`` by module; see
    `gridwork.config.plugin_checks`), registered in that order.

    Raises ImportError, ValidationError (a module that needs settings it was not given) or
    PluginValidationError for a broken ``modules`` plugin; an installed plugin that fails to
    load is skipped and noted in ``skipped``.
    """
    pm = Manager()
    given = dict(settings or {})
    for name in DEFAULT_PLUGINS:
        pm.add(importlib.import_module(name), name, None)
    named = [name for name in modules if name not in DEFAULT_PLUGINS]
    for entry in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if entry.value in named or entry.module in named:
            continue  # registered below, with the deployment's settings
        try:
            plugin = entry.load()
            name = getattr(plugin, "__name__", entry.name)
            if name in named or pm.get_plugin(name) is not None:
                continue
            pm.add(plugin, name, default_settings(plugin),
                   ("entry point", entry.dist.version if entry.dist else None))
        except ValidationError:
            pm.skipped[entry.value] = "needs settings: name it under 'plugins:' with them"
        except Exception as err:  # noqa: BLE001 - a broken installed plugin must not stop us
            pm.skipped[entry.value] = f"failed to load: {type(err).__name__}: {err}"
            log.warning("installed plugin %s skipped: %s", entry.name, err)
    for name in named:
        if pm.get_plugin(name) is None:
            module = importlib.import_module(name)
            pm.add(module, name, given[name] if name in given else default_settings(module),
                   ("config", _version(module)))
    pm.check_pending()
    return pm


def _version(module: ModuleType) -> str | None:
    """The version of the distribution a module comes from, if it is installed."""
    top = module.__name__.split(".")[0]
    for dist in importlib.metadata.packages_distributions().get(top, []):
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return getattr(module, "__version__", None)


@functools.cache
def default_manager() -> Manager:
    """The manager of the built-in and installed plugins, for what no deployment names."""
    return plugin_manager()


def field_types(pm: pluggy.PluginManager | None = None) -> dict[str, FieldType]:
    """Every field type the loaded plugins offer, by name (a later plugin's wins)."""
    def build(manager: Manager) -> dict[str, FieldType]:
        return {kind.name: kind for _, batch in manager.each("gridwork_field_types")
                for kind in batch}
    return dict(_memo(pm, "gridwork_field_types", build))


def offered(pm: pluggy.PluginManager | None, hook: str) -> dict[str, tuple[str, Any]]:
    """What the plugins offer through a hook returning name → thing: (plugin, thing) by
    name, a later plugin replacing an earlier one's."""
    def build(manager: Manager) -> dict[str, tuple[str, Any]]:
        return {name: (plugin, thing) for plugin, mapping in manager.each(hook)
                for name, thing in dict(mapping).items()}
    return dict(_memo(pm, hook, build))


def functions(pm: pluggy.PluginManager | None = None) -> dict[str, Callable[..., Any]]:
    """Expression functions the plugins add, by name."""
    return {name: fn for name, (_, fn) in offered(pm, "gridwork_expression_functions").items()}


def channel_types(pm: pluggy.PluginManager | None = None) -> dict[str, Any]:
    """Channel types the plugins offer (the built-in ones among them), by name."""
    def build(manager: Manager) -> dict[str, Any]:
        return {kind.name: kind for _, batch in manager.each("gridwork_channel_types")
                for kind in batch}
    return dict(_memo(pm, "gridwork_channel_types", build))


def message_templates(pm: pluggy.PluginManager | None = None) -> dict[str, MessageTemplate]:
    """Message templates the plugins offer (the built-in ones among them), by name."""
    return {name: template for name, (_, template)
            in offered(pm, "gridwork_message_templates").items()}


def pages(pm: pluggy.PluginManager | None) -> list[tuple[str, Pages]]:
    """Each plugin's pages, with the plugin's name."""
    return list(_each(pm, "gridwork_pages"))


def cli_commands(pm: pluggy.PluginManager | None = None) -> list[click.Command]:
    """The commands installed plugins add to ``gridwork``."""
    return [command for _, batch in _each(pm, "gridwork_cli_commands") for command in batch]


def config_problems(pm: pluggy.PluginManager, deployment: Deployment) -> list[tuple[str, str]]:
    """(plugin, message) for each problem a plugin finds with a checked deployment."""
    return [(plugin, str(message)) for plugin, messages in
            _each(pm, "gridwork_config_loaded", deployment=deployment) for message in messages]


def _manager(pm: pluggy.PluginManager | None) -> Manager:
    return pm if isinstance(pm, Manager) else default_manager()


def _each(pm: pluggy.PluginManager | None, hook: str, **kwargs: Any) -> Iterator[tuple[str, Any]]:
    return _manager(pm).each(hook, **kwargs)


def _memo(pm: pluggy.PluginManager | None, hook: str, build: Callable[[Manager], Any]) -> Any:
    manager = _manager(pm)
    if hook not in manager.memo:
        manager.memo[hook] = build(manager)
    return manager.memo[hook]
