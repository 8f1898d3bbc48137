"""Cross-reference checks of the `open311:` block: its register, services, field mapping,
fixed values, public actions and fallback node name things that exist and fit."""

from __future__ import annotations

from .context import Context
from .models import Open311, Register

_KINDS = {"description": ("text", "textarea"), "address_string": ("text", "textarea"),
          "location": ("geo_point",), "first_name": ("text",), "phone": ("phone", "text"),
          "email": ("email", "text"), "media_url": ("text", "textarea")}
"""The field types each standard request field may fill."""


def check_open311(ctx: Context) -> None:
    """Check the `open311:` block, when there is one."""
    config = ctx.deployment.open311
    if config is None:
        return
    registers = ctx.deployment.registers
    if not ctx.name_in(("open311", "register"), "register", config.register_name, registers):
        return
    register = registers[config.register_name]
    if register.workflow is None or not register.categorized:
        ctx.error(("open311", "register"), f"register '{config.register_name}' needs a workflow "
                  "and `categorized: true` to take public requests")
        return
    for index, code in enumerate(config.services):
        ctx.name_in(("open311", "services", index), "category", code, ctx.categories)
    _fields(ctx, config, register)
    transitions = {t.name for t in ctx.deployment.workflows[register.workflow].transitions} \
        if register.workflow in ctx.deployment.workflows else set()
    for index, name in enumerate(config.notes):
        ctx.name_in(("open311", "notes", index), "action", name, transitions)
    d = ctx.deployment
    fallback = config.fallback_node
    if fallback is not None and ctx.name_in(
            ("open311", "fallback_node"), "node", fallback, ctx.node_codes) \
            and not d.holds_records(config.register_name, fallback, ctx.node_level[fallback]):
        ctx.error(("open311", "fallback_node"), f"node '{fallback}' is a "
                  f"{ctx.node_level[fallback]}; {config.register_name} records sit at "
                  f"{d.record_place(config.register_name)}")


def _fields(ctx: Context, config: Open311, register: Register) -> None:
    names = [f.name for f in register.fields]
    for standard, name in config.fields.model_dump().items():
        path = ("open311", "fields", standard)
        if name is None or not ctx.name_in(path, "field", name, names):
            continue
        kind = register.field(name).type  # type: ignore[union-attr]
        if kind not in _KINDS[standard]:
            ctx.error(path, f"field '{name}' is a {kind}; `{standard}` fills a field of "
                      f"type {' or '.join(_KINDS[standard])}")
    for name in config.values:
        ctx.name_in(("open311", "values", name), "field", name, names, at="key")
