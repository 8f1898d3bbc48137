"""Escalation steps' plugin effects (`actions:` of a step), taken after the built-in ones.

Each is ``effect(firing, argument)`` from a plugin's `gridwork_escalation_actions` hook,
run in the sweep's transaction; one that raises is logged and rolls the firing back, so
the timer stays pending and the next sweep tries again.
"""

from __future__ import annotations

import logging
from typing import Any

from .. import plugins
from ..config.models import EscalationStep
from ..workflow.errors import PluginFailed

log = logging.getLogger("gridwork.plugins")


def take_plugin_actions(firing: Any, step: EscalationStep) -> None:
    """Take each of the step's plugin actions, in order; PluginFailed when one raises."""
    if not step.actions:
        return
    offered = plugins.offered(plugins.for_deployment(firing.schema.deployment),
                              "gridwork_escalation_actions")
    for action in step.actions:
        (name, argument), = action.items()
        if name not in offered:
            raise LookupError(f"no escalation action '{name}'")
        plugin, effect = offered[name]
        try:
            effect(firing, argument)
        except Exception as err:
            log.exception("plugin %s: escalation action '%s' failed on %s #%s", plugin, name,
                          firing.record.register, firing.record.id)
            raise PluginFailed(plugin, f"escalation action '{name}'", err) from err
