"""Hook specifications and the plugin manager.

A plugin is a Python module with ``@hookimpl`` functions named like the hooks in `Hooks`.
It is loaded from the entry-point group ``gridwork.plugins`` (installed packages) or from a
deployment's ``plugins:`` list (module names, each with its settings). A plugin that takes
settings declares them as a pydantic model named ``Settings`` in its module; each hook that
has a ``settings`` argument is called with that plugin's own validated settings (None for a
plugin without a ``Settings`` model).

Built-in behaviour is written as plugins too (``DEFAULT_PLUGINS``), so every hook is
used by gridwork's own code first; plugins/README.md is the author's guide.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pluggy
from pydantic import BaseModel, ValidationError

if TYPE_CHECKING:
    import click
    from starlette.routing import BaseRoute

    from .config import Deployment
    from .forms import FieldType

hookspec = pluggy.HookspecMarker("gridwork")
hookimpl = pluggy.HookimplMarker("gridwork")

DEFAULT_PLUGINS = ("gridwork.forms.fieldtypes",)
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


class Hooks:
    """The hooks a plugin may implement. Every argument is a keyword; an implementation
    takes only the arguments it needs. ``settings`` is always the plugin's own settings."""

    @hookspec
    def gridwork_field_types(self, settings: Any) -> Iterable[FieldType]:  # type: ignore[empty-body]
        """Return field types to add: instances of `gridwork.forms.FieldType` subclasses,
        each one class with a method per concern (columns, validation, widget, display,
        import/export cells, demo value); a type replaces an earlier one of its `name`.

        Called when a deployment's checks, forms and tables are built, outside any
        transaction. `validate` runs inside the form check of every write and must not
        touch the database.
        """

    @hookspec
    def gridwork_expression_functions(  # type: ignore[empty-body]
            self, settings: Any) -> Mapping[str, Callable[..., Any]]:
        """Return functions by the name expressions call them (`show_if`, guards, routing
        `where`, computed fields).

        Called once when the deployment is checked (so `gridwork check` knows the names) and
        when the engine starts a call. The functions run inside the caller's transaction,
        get plain values and must be pure: no database, no clock (use the arguments).
        """

    @hookspec
    def gridwork_routing_strategies(  # type: ignore[empty-body]
            self, settings: Any) -> Mapping[str, Callable[..., Any]]:
        """Return routing strategies by the name a routing rule's `strategy:` uses.

        A strategy is ``strategy(conn, schema, record, rule) -> Route | None``, called by
        dispatch inside the transaction that creates or moves the record; it may read any
        table through ``conn`` and must not write. None falls back to the rule's own fields.
        """

    @hookspec
    def gridwork_workflow_actions(  # type: ignore[empty-body]
            self, settings: Any) -> Mapping[str, Callable[..., Any]]:
        """Return workflow actions by the name a transition's `actions:` uses.

        An action is ``action(step, argument) -> None``, called inside the transition's
        transaction; it records column changes in ``step.changes`` or writes rows through
        ``step.conn``. If it raises, the whole transition rolls back (nothing changed, no
        history row) and the user sees a PluginFailed error naming the plugin.
        """

    @hookspec
    def gridwork_escalation_actions(  # type: ignore[empty-body]
            self, settings: Any) -> Mapping[str, Callable[..., Any]]:
        """Return escalation-step effects by name, for steps of an `escalation:` ladder.

        Called by the timer sweep inside the transaction that fires the step (with its
        history row); an effect that raises rolls that firing back and it is retried on the
        next sweep.
        """

    @hookspec
    def gridwork_channel_types(self, settings: Any) -> Iterable[Any]:  # type: ignore[empty-body]
        """Return notification channel types (`gridwork.notify.ChannelType`) by their name,
        which a channel's `type:` names.

        ``send(message) -> receipt`` runs in delivery, one message a transaction holding
        its outbox row locked: raising leaves the message in the outbox to be retried
        with backoff; raising `PermanentFailure` marks it failed at once.
        """

    @hookspec
    def gridwork_pages(self, settings: Any) -> Pages | None:  # type: ignore[empty-body]
        """Return web pages and API routes with their templates (`Pages`).

        Called once when the web app is built; the routes are mounted under
        ``/plugins/<plugin module>`` and each request runs outside any transaction.
        """

    @hookspec
    def gridwork_cli_commands(self) -> Iterable[click.Command]:  # type: ignore[empty-body]
        """Return click commands to add to ``gridwork``; called when the command starts,
        for installed (entry-point) plugins only, since no deployment is known yet."""

    @hookspec
    def gridwork_config_loaded(  # type: ignore[empty-body]
            self, deployment: Deployment, settings: Any) -> Iterable[str] | None:
        """A deployment passed its own checks; return problems (messages) with it, which
        `gridwork check` reports as errors at the plugin's `plugins:` entry.

        Runs during the check, outside any transaction; the deployment is immutable.
        """


HOOKS = tuple(name for name in vars(Hooks) if name.startswith("gridwork_"))


@dataclass(frozen=True)
class Loaded:
    """One plugin in a manager: where it came from, its version and what it implements."""

    name: str
    source: str
    """'built-in', 'config' or 'entry point'."""
    version: str | None
    hooks: tuple[str, ...]
    settings: BaseModel | None


class Manager(pluggy.PluginManager):
    """The plugin manager of one deployment: pluggy's, plus each plugin's settings."""

    def __init__(self) -> None:
        super().__init__("gridwork")
        self.add_hookspecs(Hooks)
        self.settings: dict[str, BaseModel | None] = {}
        self.sources: dict[str, tuple[str, str | None]] = {}
        self.skipped: dict[str, str] = {}
        """Installed plugins that could not be loaded, with the reason."""
        self.memo: dict[str, Any] = {}
        """What the hooks offered, by hook: asked once, since settings never change."""

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
        """Call every implementation of ``hook`` with its own plugin's settings, first
        registered first; yield (plugin name, result) for each result that is not None."""
        for impl in getattr(self.hook, hook).get_hookimpls():
            given = {**kwargs, "settings": self.settings.get(impl.plugin_name)}
            result = impl.function(*(given[name] for name in impl.argnames))
            if result is not None:
                yield impl.plugin_name, result


class SettingsError(ValueError):
    """A plugin's settings do not fit its `Settings` model."""

    def __init__(self, module: str, problems: list[tuple[tuple[Any, ...], str]]) -> None:
        super().__init__(f"plugin '{module}': " + "; ".join(m for _, m in problems))
        self.module = module
        self.problems = problems
        """(path inside the settings, message) pairs."""


def settings_model(plugin: ModuleType | object) -> type[BaseModel] | None:
    """The pydantic model a plugin declares its settings with (``Settings``), if any."""
    model = getattr(plugin, "Settings", None)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def validate_settings(plugin: ModuleType | object, raw: Mapping[str, Any]) -> BaseModel | None:
    """The plugin's settings from config; SettingsError listing what is wrong."""
    from .config.problems import did_you_mean  # the config package imports this module

    name = getattr(plugin, "__name__", str(plugin))
    model = settings_model(plugin)
    if model is None:
        if raw:
            raise SettingsError(name, [((), f"plugin '{name}' takes no settings; remove "
                                             "'settings:'")])
        return None
    known = [info.alias or key for key, info in model.model_fields.items()]
    problems = [((key,), f"unknown setting '{key}'{did_you_mean(key, known)} "
                         f"(settings of '{name}': {', '.join(known)})")
                for key in raw if key not in known]
    try:
        settings = model.model_validate(dict(raw))
    except ValidationError as err:
        from .config.schema_errors import schema_problems

        for problem in schema_problems(err):
            if not problem.message.startswith("unknown key"):
                problems.append((problem.path, problem.message))
        settings = None
    if problems:
        raise SettingsError(name, problems)
    return settings


def plugin_manager(modules: Iterable[str] = (),
                   settings: Mapping[str, Mapping[str, Any]] | None = None) -> Manager:
    """A manager with the built-in plugins, ``modules`` (a deployment's, with their raw
    ``settings`` by module) and the installed entry points loaded.

    Raises ImportError, SettingsError or PluginValidationError for a broken ``modules``
    plugin; an installed plugin that fails to load is skipped and noted in ``skipped``.
    """
    pm = Manager()
    given = dict(settings or {})
    for name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(name), name=name)
    for name in modules:
        if pm.get_plugin(name) is None:
            module = importlib.import_module(name)
            pm.settings[name] = validate_settings(module, given.get(name, {}))
            pm.register(module, name=name)
            pm.sources[name] = ("config", _version(module))
    for entry in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            plugin = entry.load()
            name = getattr(plugin, "__name__", entry.name)
            if pm.get_plugin(name) is not None:
                continue
            pm.settings[name] = validate_settings(plugin, {})
            pm.register(plugin, name=name)
        except SettingsError:
            pm.skipped[entry.value] = "needs settings: name it under 'plugins:' with them"
            continue
        except Exception as err:  # noqa: BLE001 - a broken installed plugin must not stop us
            pm.skipped[entry.value] = f"failed to load: {type(err).__name__}: {err}"
            log.warning("installed plugin %s skipped: %s", entry.name, err)
            continue
        pm.sources[name] = ("entry point", entry.dist.version if entry.dist else None)
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


def _key(deployment: Deployment) -> tuple[tuple[str, str], ...]:
    return tuple((p.module, json.dumps(p.settings, sort_keys=True, default=str))
                 for p in deployment.plugins)


@lru_cache(maxsize=16)
def _cached(key: tuple[tuple[str, str], ...]) -> Manager:
    return plugin_manager([module for module, _ in key],
                          {module: json.loads(raw) for module, raw in key})


def for_deployment(deployment: Deployment | None) -> Manager:
    """The (cached) manager of a deployment's plugins; the default one for None."""
    return _cached(_key(deployment) if deployment is not None else ())


def field_types(pm: pluggy.PluginManager | None = None) -> dict[str, FieldType]:
    """Every field type the loaded plugins offer, by name (a later plugin refines a
    built-in of the same name)."""
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
    """Channel types the plugins add, by name."""
    def build(manager: Manager) -> dict[str, Any]:
        return {kind.name: kind for _, batch in manager.each("gridwork_channel_types")
                for kind in batch}
    return dict(_memo(pm, "gridwork_channel_types", build))


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
    return pm if isinstance(pm, Manager) else for_deployment(None)


def _each(pm: pluggy.PluginManager | None, hook: str, **kwargs: Any) -> Iterator[tuple[str, Any]]:
    return _manager(pm).each(hook, **kwargs)


def _memo(pm: pluggy.PluginManager | None, hook: str, build: Callable[[Manager], Any]) -> Any:
    manager = _manager(pm)
    if hook not in manager.memo:
        manager.memo[hook] = build(manager)
    return manager.memo[hook]
