"""Loading a deployment's plugins for `gridwork check`: each failure (not installed, fails to
import, does not fit the hooks, bad settings, a problem its config-loaded hook finds) is a
problem at the plugin's `plugins:` entry."""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from pluggy import PluginValidationError
from pydantic import BaseModel, ValidationError

from ..plugins import HOOKS, Manager, config_problems, plugin_manager, settings_model
from .models import Deployment
from .problems import Problem, did_you_mean
from .schema_errors import schema_problems


class SettingsError(ValueError):
    """A plugin's settings do not fit its `Settings` model."""

    def __init__(self, module: str, problems: list[tuple[tuple[Any, ...], str]]) -> None:
        super().__init__(f"plugin '{module}': " + "; ".join(m for _, m in problems))
        self.module = module
        self.problems = problems
        """(path inside the settings, message) pairs."""


def validate_settings(plugin: ModuleType | object, raw: Mapping[str, Any]) -> BaseModel | None:
    """The plugin's settings from config; SettingsError listing what is wrong."""
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
        for problem in schema_problems(err):
            if not problem.message.startswith("unknown key"):
                problems.append((problem.path, problem.message))
        settings = None
    if problems:
        raise SettingsError(name, problems)
    return settings


def deployment_manager(deployment: Deployment) -> Manager:
    """A new manager with a checked deployment's plugins and their settings; its runtime
    builds it once."""
    settings = {plugin.module: validate_settings(importlib.import_module(plugin.module),
                                                 plugin.settings)
                for plugin in deployment.plugins}
    return plugin_manager(list(settings), settings)


def load_plugins(deployment: Deployment) -> tuple[Manager | None, list[Problem]]:
    """The deployment's plugin manager (None when a plugin cannot load) and the problems."""
    problems: list[Problem] = []
    settings: dict[str, BaseModel | None] = {}
    refused: list[SettingsError] = []
    for index, plugin in enumerate(deployment.plugins):
        try:
            module = importlib.import_module(plugin.module)
        except ModuleNotFoundError as err:
            if err.name and plugin.module.startswith(err.name):
                message = (f"plugin module '{plugin.module}' is not installed; install its "
                           "package (pip install …) or remove it from 'plugins:'")
            else:
                message = f"plugin '{plugin.module}' failed to load: {err}"
            problems.append(Problem(message, path=("plugins", index)))
        except Exception as err:  # noqa: BLE001 - any error in a plugin is the plugin's
            problems.append(Problem(f"plugin '{plugin.module}' failed to load: "
                                    f"{type(err).__name__}: {err}", path=("plugins", index)))
        else:
            try:
                settings[plugin.module] = validate_settings(module, plugin.settings)
            except SettingsError as err:
                refused.append(err)
    if refused:
        return None, [*problems, *(problem for err in refused
                                   for problem in _settings_problems(deployment, err))]
    try:
        manager = plugin_manager(list(settings), settings)
    except PluginValidationError as err:
        index = _index(deployment, getattr(err.plugin, "__name__", None))
        reason = str(err).split(" in plugin ")[0]
        hook = re.search(r"unknown hook '(\w+)'", reason)
        if hook:
            reason += did_you_mean(hook.group(1), HOOKS)
        return None, [*problems, Problem(f"plugin does not fit gridwork's hooks: {reason}",
                                         path=("plugins", index))]
    for module, reason in manager.skipped.items():
        if reason.startswith("failed"):
            problems.append(Problem(f"installed plugin '{module}' {reason}; it is not loaded",
                                    "warning"))
    return manager, problems


def loaded_problems(manager: Manager, deployment: Deployment) -> list[Problem]:
    """What the plugins' `gridwork_config_loaded` hooks find, at each plugin's entry."""
    return [Problem(f"plugin '{plugin}': {message}", path=("plugins", _index(deployment, plugin)))
            for plugin, message in config_problems(manager, deployment)]


def _settings_problems(deployment: Deployment, err: SettingsError) -> list[Problem]:
    index = _index(deployment, err.module)
    entry: tuple[Any, ...] = ("plugins", index)
    given = deployment.plugins[index].settings
    found = []
    for path, message in err.problems:
        # A setting that is there is pointed at; a missing one at the entry's `settings:`.
        at = (*entry, "settings", *path) if path and path[0] in given else (
            (*entry, "settings") if given else entry)
        unknown = message.startswith("unknown setting")
        found.append(Problem(message, path=at, at="key" if unknown and at[-1] in given else "value"))
    return found


def _index(deployment: Deployment, module: str | None) -> int:
    return next((i for i, p in enumerate(deployment.plugins) if p.module == module), 0)
