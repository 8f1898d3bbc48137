"""Cross-reference checks of who and what: levels, departments, roles, choices, registers, categories."""

from __future__ import annotations

from typing import Any

from .context import Context
from .models import SPECIAL_TARGETS, SYSTEM_FIELDS, VERBS, FieldSpec, Leaves, Register, Rule
from .models.organisation import RECORD_VERBS
from .problems import Path, unknown
from .types import Moment

_COMMON_OPTIONS = {"name", "type", "label", "help", "section", "required", "unique", "default",
                   "personal", "show_if", "computed", "renamed_from"}


def check_structure(ctx: Context) -> None:
    """Run every check of this module."""
    _levels(ctx)
    _departments(ctx)
    _roles(ctx)
    for role in ctx.deployment.dashboards:
        ctx.name_in(("dashboards", role), "role", role, ctx.deployment.roles, at="key")
    _choices(ctx)
    for name, register in ctx.deployment.registers.items():
        _register(ctx, name, register)
    _categories(ctx)


def _levels(ctx: Context) -> None:
    seen: list[str] = []
    for index, level in enumerate(ctx.deployment.hierarchy.levels):
        path = ("hierarchy", "levels", index)
        if level.key in seen:
            ctx.error((*path, "key"), f"duplicate level '{level.key}'")
        if index == 0 and level.under:
            ctx.error((*path, "under"), f"'{level.key}' is the top level and sits under "
                      "nothing; remove 'under:' (or list a level above it first)", at="key")
        for number, key in enumerate(level.under if index else ()):
            where = (*path, "under", number)
            if key in seen:
                continue
            if key in ctx.levels:
                ctx.error(where, f"'{key}' is listed after '{level.key}', so a "
                          f"{level.key} node cannot sit under it: the levels go from the top "
                          f"down and a level sits only under levels above it; remove '{key}' "
                          f"here, or list '{key}' above '{level.key}'")
            else:
                ctx.error(where, unknown("level", key, seen))
        seen.append(level.key)


def _departments(ctx: Context) -> None:
    seen: set[str] = set()
    for index, dept in enumerate(ctx.deployment.departments):
        path = ("departments", index)
        if dept.code in seen:
            ctx.error((*path, "code"), f"duplicate department code '{dept.code}'")
        seen.add(dept.code)
        ctx.name_in((*path, "level"), "level", dept.level, ctx.levels)
        if dept.node is not None and ctx.name_in((*path, "node"), "node", dept.node,
                                                 ctx.node_codes):
            if ctx.node_level[dept.node] != dept.level:
                ctx.error((*path, "node"), f"node '{dept.node}' is a "
                          f"{ctx.node_level[dept.node]}, not a {dept.level}")


def _roles(ctx: Context) -> None:
    registers = list(ctx.deployment.registers)
    for key, role in ctx.deployment.roles.items():
        path = ("roles", key)
        if key in SPECIAL_TARGETS:
            ctx.error(path, f"'{key}' is a reserved recipient name; call the role otherwise",
                      at="key")
        for index, level in enumerate(role.at):
            if ctx.name_in((*path, "at", index), "level", level, ctx.levels) and \
                    level in role.at[:index]:
                ctx.error((*path, "at", index), f"level '{level}' is listed twice")
        if role.department not in (None, "*"):
            ctx.name_in((*path, "department"), "department", role.department,
                        [*ctx.departments, "*"])
        for index, grant in enumerate(role.can):
            verb, _, register = str(grant).partition(":")
            where = (*path, "can", index)
            if not ctx.name_in(where, "permission", verb, VERBS):
                continue
            if verb == "switch" and not any(wf.switches for wf in ctx.deployment.workflows.values()):
                ctx.error(where, "'switch' lets a role turn workflow switches on and off, but "
                                 "no workflow has 'switches:'; add them or remove 'switch'")
            if register:
                if verb not in RECORD_VERBS:
                    ctx.error(where, f"'{verb}' applies to the whole deployment, "
                                     f"not to one register; write '{verb}'")
                else:
                    ctx.name_in(where, "register", register, registers)


def _attach_to(ctx: Context, path: Path, register: Register) -> None:
    attach = register.attach_to
    if attach is None:
        return
    if isinstance(attach, Leaves):
        ctx.name_in((*path, "leaves"), "level", attach.leaves, ctx.levels)
        return
    if isinstance(attach, str):
        ctx.name_in(path, "level", attach, ctx.levels)
        return
    if not attach:
        ctx.error(path, "an empty list of levels; name the levels records sit at, or leave "
                  "'attach_to' out for the lowest level")
    for index, key in enumerate(attach):
        if ctx.name_in((*path, index), "level", key, ctx.levels) and key in attach[:index]:
            ctx.error((*path, index), f"level '{key}' is listed twice")


def _choices(ctx: Context) -> None:
    for name, options in ctx.deployment.choices.items():
        if not options:
            ctx.error(("choices", name), f"choice list '{name}' has no options")


def _register(ctx: Context, name: str, register: Register) -> None:
    d = ctx.deployment
    path = ("registers", name)
    if register.workflow is not None:
        ctx.name_in((*path, "workflow"), "workflow", register.workflow, d.workflows)
    _attach_to(ctx, (*path, "attach_to"), register)
    if register.categorized and not d.categories:
        ctx.error((*path, "categorized"), "no categories are defined; add 'categories:'")
    names: dict[str, int] = {}
    for index, spec in enumerate(register.fields):
        fpath = (*path, "fields", index)
        if spec.name in names:
            ctx.error((*fpath, "name"), f"duplicate field '{spec.name}' in register '{name}'")
        elif spec.name in SYSTEM_FIELDS:
            ctx.error((*fpath, "name"), f"'{spec.name}' is kept by the engine on every record; "
                      "name the field otherwise")
        names[spec.name] = index
        _field(ctx, fpath, spec)
    for spec in register.fields:
        kind = ctx.field_types.get(spec.type)
        for column in kind.column_names(spec) if kind is not None else ():
            if column != spec.name and column in names:
                ctx.error((*path, "fields", names[column], "name"),
                          f"'{column}' is a column of {spec.type} field '{spec.name}'; "
                          "name it otherwise")
    if register.title is not None:
        ctx.name_in((*path, "title"), "field", register.title, names)
    readable = ctx.register_names(name)
    for index, spec in enumerate(register.fields):
        fpath = (*path, "fields", index)
        if spec.renamed_from is not None and spec.renamed_from in names:
            ctx.error((*fpath, "renamed_from"), f"'{spec.renamed_from}' is still a field of "
                      f"'{name}'; a renamed field's old name must be gone")
        for option in ("show_if", "computed"):
            expr = getattr(spec, option)
            if expr is None:
                continue
            others = [n for n in readable if n != spec.name]
            if spec.name in {n for n, _ in expr.names}:
                col = next(c for n, c in expr.names if n == spec.name)
                ctx.error((*fpath, option), f"'{option}' of '{spec.name}' may not read the "
                          "field itself", offset=col)
            ctx.expression((*fpath, option), expr, [*others, spec.name], f"field of register '{name}'")
    if register.create is not None:
        for i, field in enumerate(register.create):
            ctx.name_in((*path, "create", i), f"field of register '{name}'", field, names)
    for index, rule in enumerate(register.rules):
        check_rule(ctx, (*path, "validate", index), rule, readable, list(names),
                   f"field of register '{name}'")


def check_rule(ctx: Context, path: tuple[Any, ...], rule: Rule, readable: list[str],
               fields: list[str], what: str) -> None:
    """Check a `validate:` rule: the names and functions it uses, and where it shows."""
    ctx.expression((*path, "rule"), rule.rule, readable, what)
    if rule.field is not None:
        ctx.name_in((*path, "field"), what, rule.field, fields)


def _field(ctx: Context, path: tuple[Any, ...], spec: FieldSpec) -> None:
    d = ctx.deployment
    field_type = ctx.field_types.get(spec.type)
    if field_type is None:
        ctx.error((*path, "type"), unknown("field type", spec.type, ctx.field_types))
        return
    given = {key for key in spec.model_fields_set if getattr(spec, key) not in (None, False)}
    attribute = {"register_name": "register"}
    for key in sorted(given):
        option = attribute.get(key, key)
        if option not in _COMMON_OPTIONS and option not in field_type.options:
            ctx.error((*path, option), f"'{option}' does not apply to a {spec.type} field",
                      at="key")
    for option in sorted(field_type.required_options):
        if getattr(spec, "register_name" if option == "register" else option) is None:
            ctx.error(path, f"a {spec.type} field needs '{option}'", at="key")
    if isinstance(spec.choices, str):
        ctx.name_in((*path, "choices"), "choice list", spec.choices, d.choices)
    if spec.register_name is not None and "register" in field_type.options:
        ctx.name_in((*path, "register"), "register", spec.register_name, d.registers)
    if spec.level is not None and "level" in field_type.options:
        ctx.name_in((*path, "level"), "level", spec.level, ctx.levels)
    if spec.role is not None and "role" in field_type.options:
        ctx.name_in((*path, "role"), "role", spec.role, d.roles)
    for key in ("min", "max"):
        if isinstance(getattr(spec, key), Moment) and not ctx.dated(spec):
            ctx.error((*path, key), f"'{getattr(spec, key)}' moves with the clock; only date and "
                      f"datetime fields take it, not {spec.type} fields")
    if (spec.min is not None and spec.max is not None and type(spec.min) is type(spec.max)
            and not isinstance(spec.min, Moment)):
        if spec.min > spec.max:  # type: ignore[operator]
            ctx.error((*path, "max"), f"max {_number(spec.max)} is below min {_number(spec.min)}")
    if spec.default is not None:
        _default(ctx, path, spec, field_type.validate)
    if spec.computed is not None and spec.required:
        ctx.error((*path, "required"), "a computed field is never typed; drop 'required'",
                  at="key")


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _default(ctx: Context, path: tuple[Any, ...], spec: FieldSpec, validate: Any) -> None:
    if isinstance(spec.choices, str) and spec.choices in ctx.deployment.choices:
        codes = [str(c) for c in ctx.deployment.choices[spec.choices]]
        many = isinstance(spec.default, list)
        for index, value in enumerate(spec.default if many else [spec.default]):
            if str(value) not in codes:
                where = (*path, "default", index) if many else (*path, "default")
                ctx.error(where, unknown("option", str(value), codes))
        return
    try:
        validate(spec.default, spec)
    except (ValueError, TypeError) as err:
        ctx.error((*path, "default"), f"default {spec.default!r} is not a valid "
                  f"{spec.type}: {err}")


def _categories(ctx: Context) -> None:
    d = ctx.deployment
    severity_codes = [str(c) for c in d.choices.get("severity", {})]
    flows = {r.workflow for r in d.registers.values() if r.categorized and r.workflow}
    states = {s for flow in flows if flow in d.workflows for s in d.workflows[flow].states}
    seen: set[str] = set()
    for index, top in enumerate(d.categories):
        _category(ctx, ("categories", index), top, None, seen, severity_codes, states)


def _category(ctx: Context, path: tuple[Any, ...], cat: Any, inherited: Any,
              seen: set[str], severity_codes: list[str], states: set[str]) -> None:
    d = ctx.deployment
    if cat.code in seen:
        ctx.error((*path, "code"), f"duplicate category code '{cat.code}'")
    seen.add(cat.code)
    if cat.department is not None:
        ctx.name_in((*path, "department"), "department", cat.department, ctx.departments)
    if cat.severities is not None:
        if not d.choices.get("severity"):
            ctx.error((*path, "severities"), "severities need a 'severity' choice list "
                      "under 'choices:' with their labels")
        else:
            for i, code in enumerate(cat.severities):
                ctx.name_in((*path, "severities", i), "severity", code, severity_codes)
    severities = cat.severities if cat.severities is not None else inherited
    for state, limit in cat.limits.items():
        if states:
            if not ctx.name_in((*path, "limits", state), "state", state, states):
                continue
        if isinstance(limit, dict):
            for code in limit:
                allowed = [str(s) for s in (severities or ())]
                ctx.name_in((*path, "limits", state, code), "severity", code, allowed)
    if isinstance(cat.escalation, str):
        ctx.name_in((*path, "escalation"), "escalation ladder", cat.escalation, d.escalation)
    elif cat.escalation is not None:
        for code, ladder in cat.escalation.items():
            ctx.name_in((*path, "escalation", code), "severity", code,
                        [str(s) for s in (severities or ())], at="key")
            ctx.name_in((*path, "escalation", code), "escalation ladder", ladder, d.escalation)
    for index, child in enumerate(cat.children):
        _category(ctx, (*path, "children", index), child, severities, seen,
                  severity_codes, states)
