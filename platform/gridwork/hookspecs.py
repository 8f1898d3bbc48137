"""The hooks a plugin may implement: their names, arguments and contracts, nothing else.

Every argument is a keyword; an implementation takes only the arguments it needs.
``settings`` is always the implementation's own plugin's validated settings (None for a
plugin without a ``Settings`` model): the manager binds them for each plugin.
Built-in behaviour implements these same hooks (``DEFAULT_PLUGINS`` in `gridwork.plugins`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click

    from .config import Deployment
    from .config.models.outputs import MessageTemplate
    from .forms import FieldType
    from .plugins import Pages

hookspec = pluggy.HookspecMarker("gridwork")


@hookspec
def gridwork_field_types(settings: Any) -> Iterable[FieldType]:  # type: ignore[empty-body]
    """Return field types to add: instances of `gridwork.forms.FieldType` subclasses,
    each one class with a method per concern (columns, validation, widget, display,
    import/export cells, demo value); a type replaces an earlier one of its `name`.

    Called when a deployment's checks, forms and tables are built, outside any
    transaction. `validate` runs inside the form check of every write and must not
    touch the database.
    """


@hookspec
def gridwork_expression_functions(settings: Any) -> Mapping[str, Callable[..., Any]]:  # type: ignore[empty-body]
    """Return functions by the name expressions call them (`show_if`, guards, routing
    `where`, computed fields).

    Called once when the deployment is checked (so `gridwork check` knows the names) and
    once when its runtime is built. The functions run inside the caller's transaction,
    get plain values and must be pure: no database, no clock (use the arguments).
    """


@hookspec
def gridwork_routing_strategies(settings: Any) -> Mapping[str, Callable[..., Any]]:  # type: ignore[empty-body]
    """Return routing strategies by the name a routing rule's `strategy:` uses.

    A strategy is ``strategy(conn, schema, record, rule) -> Route | None``, called by
    dispatch inside the transaction that creates or moves the record; it may read any
    table through ``conn`` and must not write. None falls back to the rule's own fields.
    """


@hookspec
def gridwork_workflow_actions(settings: Any) -> Mapping[str, Callable[..., Any]]:  # type: ignore[empty-body]
    """Return workflow actions by the name a transition's `actions:` uses.

    An action is ``action(step, argument) -> None``, called inside the transition's
    transaction; it records column changes in ``step.changes`` or writes rows through
    ``step.conn``. If it raises, the whole transition rolls back (nothing changed, no
    history row) and the user sees a PluginFailed error naming the plugin.
    """


@hookspec
def gridwork_escalation_actions(settings: Any) -> Mapping[str, Callable[..., Any]]:  # type: ignore[empty-body]
    """Return escalation-step effects by name: ``effect(firing, argument) -> None``.

    A step's own keys (``notify``, ``move_up``, ``supervise``, ``priority``, ``repeat``)
    are effects of those names, taken in that order with the key's value (each does
    nothing when the step leaves it empty); then the step's ``actions:``, in order.
    Called by the timer sweep inside the transaction that fires the step (with its
    history row); an effect that raises rolls that firing back and it is retried on the
    next sweep.
    """


@hookspec
def gridwork_channel_types(settings: Any) -> Iterable[Any]:  # type: ignore[empty-body]
    """Return notification channel types (`gridwork.notify.ChannelType`) by their name,
    which a channel's `type:` names.

    ``send(message) -> receipt`` runs in delivery, one message a transaction holding
    its outbox row locked: raising leaves the message in the outbox to be retried
    with backoff; raising `PermanentFailure` marks it failed at once.
    """


@hookspec
def gridwork_message_templates(settings: Any) -> Mapping[str, MessageTemplate]:  # type: ignore[empty-body]
    """Return message templates by name (`reminder`, `escalation`, `notice`, …), used when
    the deployment's `notifications: templates:` has none of that name.

    Called once when the runtime is built; the templates are sandboxed Jinja2 rendered
    in the outbox's transaction, in the deployment's language and time zone.
    """


@hookspec
def gridwork_pages(settings: Any) -> Pages | None:  # type: ignore[empty-body]
    """Return web pages and API routes with their templates (`Pages`).

    Called once when the web app is built; the routes are mounted under
    ``/plugins/<plugin module>`` and each request runs outside any transaction.
    """


@hookspec
def gridwork_cli_commands() -> Iterable[click.Command]:  # type: ignore[empty-body]
    """Return click commands to add to ``gridwork``; called when the command starts,
    for installed (entry-point) plugins only, since no deployment is known yet."""


@hookspec
def gridwork_config_loaded(deployment: Deployment, settings: Any) -> Iterable[str] | None:  # type: ignore[empty-body]
    """A deployment passed its own checks; return problems (messages) with it, which
    `gridwork check` reports as errors at the plugin's `plugins:` entry.

    Runs during the check, outside any transaction; the deployment is immutable.
    """
