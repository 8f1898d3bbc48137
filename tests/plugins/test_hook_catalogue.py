"""Every hook is documented and used: by gridwork itself, a shipped plugin or a test plugin."""

from __future__ import annotations

import importlib
import inspect

from gridwork import plugins

USERS = ("gridwork.forms.fieldtypes", "gridwork_sms_http", "gridwork_nearest_dispatch",
         "workshop", "plate_field")


def test_each_hook_states_its_contract() -> None:
    for name in plugins.HOOKS:
        doc = inspect.getdoc(getattr(plugins.Hooks, name)) or ""
        assert len(doc) > 80, name


def test_no_hook_is_left_unused() -> None:
    used = {name for module in USERS for name in vars(importlib.import_module(module))
            if name.startswith("gridwork_")}
    assert set(plugins.HOOKS) <= used
