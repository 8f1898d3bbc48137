"""Hook specifications and the plugin manager.

Built-in behaviour is written as plugins too (``DEFAULT_PLUGINS``), so every hook is
used by gridwork's own code first. Later features add their hooks here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("gridwork")
hookimpl = pluggy.HookimplMarker("gridwork")

DEFAULT_PLUGINS = ("gridwork.forms.fieldtypes",)
ENTRY_POINT_GROUP = "gridwork.plugins"


@dataclass(frozen=True)
class FieldType:
    """A kind of register field: how its values are checked and which options it takes."""

    name: str
    validate: Callable[[Any, Any], Any]
    """``validate(value, spec)`` returns the clean value or raises ValueError with a message
    a user can act on; ``spec`` is the field's FieldSpec."""
    options: frozenset[str] = field(default_factory=frozenset)
    """FieldSpec options that apply to this type (beyond the common ones)."""
    required_options: frozenset[str] = field(default_factory=frozenset)


class Hooks:
    """The hooks a plugin may implement (keyword arguments, one line of contract each)."""

    @hookspec
    def gridwork_field_types(self) -> Iterable[FieldType]:  # type: ignore[empty-body]
        """Return field types to add; called once when the plugin manager is built."""


def plugin_manager(modules: Iterable[str] = ()) -> pluggy.PluginManager:
    """A manager with the built-in plugins, installed entry points and ``modules`` loaded."""
    pm = pluggy.PluginManager("gridwork")
    pm.add_hookspecs(Hooks)
    for name in (*DEFAULT_PLUGINS, *modules):
        if pm.get_plugin(name) is None:
            pm.register(importlib.import_module(name), name=name)
    pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    pm.check_pending()
    return pm


@lru_cache(maxsize=1)
def _default_manager() -> pluggy.PluginManager:
    return plugin_manager()


def field_types(pm: pluggy.PluginManager | None = None) -> dict[str, FieldType]:
    """Every field type the loaded plugins offer, by name."""
    types: dict[str, FieldType] = {}
    # pluggy returns the last registered first; reverse so a plugin may refine a built-in.
    for batch in reversed((pm or _default_manager()).hook.gridwork_field_types()):
        for field_type in batch:
            types[field_type.name] = field_type
    return types
