"""Every hook states its contract, and gridwork's own behaviour comes through the hooks."""

from __future__ import annotations

import inspect

from support import CONFIGS, run_cli

from gridwork import hookspecs, plugins


def test_each_hook_states_its_contract() -> None:
    for name in plugins.HOOKS:
        doc = inspect.getdoc(getattr(hookspecs, name)) or ""
        assert len(doc) > 80, name


def test_the_built_ins_are_plugins_using_the_hooks() -> None:
    code, out, _ = run_cli("plugins", str(CONFIGS / "community"))
    assert code == 0
    built_in = {line.split()[0]: line.split("]  ")[1] for line in out.splitlines()
                if "[built-in]" in line}
    assert built_in == {
        "gridwork.forms.fieldtypes": "field_types",
        "gridwork.default_functions": "expression_functions",
        "gridwork.default_actions": "workflow_actions",
        "gridwork.default_effects": "escalation_actions",
        "gridwork.default_channels": "channel_types",
        "gridwork.default_templates": "message_templates",
    }
