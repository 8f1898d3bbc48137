"""Cross-reference checks of how things move: workflows, limits, reminders, escalation,
schedules, notifications, assessment and plugins."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError
from sqlalchemy import column as sql_column
from sqlalchemy import table as sql_table

from .. import plugins
from . import sql
from .check_structure import check_rule
from .context import Context
from .expressions import Expression
from .models import SPECIAL_TARGETS, EscalationStep, Target, Workflow
from .models.timing import DUTY_LINK
from .problems import unknown

def check_flows(ctx: Context) -> None:
    """Run every check of this module."""
    for name, workflow in ctx.deployment.workflows.items():
        _workflow(ctx, name, workflow)
    _limits(ctx)
    _reminders(ctx)
    _escalation(ctx)
    _schedules(ctx)
    _notifications(ctx)
    _assessment(ctx)


def _workflow(ctx: Context, name: str, wf: Workflow) -> None:
    d = ctx.deployment
    path = ("workflows", name)
    states = list(wf.states)
    roles = list(d.roles)
    if not ctx.registers_of(name):
        ctx.warn(path, f"no register follows workflow '{name}'; name it in a register's "
                 "'workflow:'", at="key")
        fields = [*ctx.workflow_fields(name), *(f.name for r in d.registers.values()
                                                for f in r.fields)]
    else:
        fields = ctx.workflow_fields(name)
    codes = ctx.codes(ctx.registers_of(name), states)
    taken: dict[tuple[str, str], int] = {}
    for index, tr in enumerate(wf.transitions):
        tpath = (*path, "transitions", index)
        for source in tr.from_:
            if (tr.name, source) in taken:
                ctx.error((*tpath, "name"), f"transition '{tr.name}' from '{source}' is "
                          f"defined twice (also transition {taken[tr.name, source] + 1})")
            taken.setdefault((tr.name, source), index)
        for i, source in enumerate(tr.from_):
            ctx.name_in(_item(tpath, "from", i, tr.from_), "state", source, states)
        ctx.name_in((*tpath, "to"), "state", tr.to, states)
        for i, role in enumerate(tr.by):
            ctx.name_in(_item(tpath, "by", i, tr.by), "role", role, roles)
        for key in ("require", "optional"):
            names = getattr(tr, key)
            for i, field in enumerate(names):
                ctx.name_in(_item(tpath, key, i, names),
                            f"field of the registers following '{name}'", field,
                            [*fields, "comment"])
        for i, rule in enumerate(tr.rules):
            check_rule(ctx, (*tpath, "validate", i), rule, [*fields, "comment"],
                       [*fields, "comment"], f"field of the registers following '{name}'")
        if tr.guard is not None:
            ctx.expression((*tpath, "guard"), tr.guard, fields, "field", codes)
        for i, action in enumerate(tr.actions):
            _action(ctx, (*tpath, "actions", i), action, fields, codes)
    for state_name, state in wf.states.items():
        if state.auto is None:
            continue
        spath = (*path, "states", state_name, "auto")
        match = [t for t in wf.transitions if t.name == state.auto.transition]
        if not match:
            ctx.error((*spath, "transition"),
                      unknown("transition", state.auto.transition, [t.name for t in wf.transitions]))
        elif not any(state_name in t.from_ for t in match):
            ctx.error((*spath, "transition"), f"transition '{state.auto.transition}' does "
                      f"not start from '{state_name}'")
        for key in ("if_", "unless"):
            switch = getattr(state.auto, key)
            if switch is not None:
                ctx.name_in((*spath, key.rstrip("_")), "switch", switch, wf.switches)
    for index, rule in enumerate(wf.routing):
        rpath = (*path, "routing", index)
        for i, code in enumerate(rule.category):
            ctx.name_in(_item(rpath, "category", i, rule.category), "category", code,
                        ctx.categories)
        for i, code in enumerate(rule.under):
            ctx.name_in(_item(rpath, "under", i, rule.under), "node", code, ctx.node_codes)
        if rule.department is not None:
            ctx.name_in((*rpath, "department"), "department", rule.department, ctx.departments)
        if rule.assign is not None:
            ctx.name_in((*rpath, "assign"), "role", rule.assign, roles)
        if rule.where is not None:
            ctx.expression((*rpath, "where"), rule.where, fields, "field", codes)
        if rule.strategy is not None and not ctx.plugins_failed:
            ctx.name_in((*rpath, "strategy"), "routing strategy", rule.strategy,
                        plugins.offered(ctx.plugins, "gridwork_routing_strategies"))
    for qname, queue in wf.queues.items():
        qpath = (*path, "queues", qname)
        for i, state in enumerate(queue.states):
            ctx.name_in(_item(qpath, "states", i, queue.states), "state", state, states)
        for i, role in enumerate(queue.roles):
            ctx.name_in(_item(qpath, "roles", i, queue.roles), "role", role, roles)


def _item(path: tuple[Any, ...], key: str, index: int, items: tuple[Any, ...]) -> tuple[Any, ...]:
    """Path of one item of a list that may have been written as a single value."""
    return (*path, key, index) if len(items) > 1 else (*path, key)


def _action(ctx: Context, path: tuple[Any, ...], action: dict[str, Any], fields: list[str],
            codes: dict[str, list[str]]) -> None:
    if len(action) != 1:
        ctx.error(path, "an action is one 'name: argument' pair, e.g. {notify: [reporter]}")
        return
    (name, argument), = action.items()
    offered = plugins.offered(ctx.plugins, "gridwork_workflow_actions")
    if ctx.plugins_failed and name not in offered:
        return
    if not ctx.name_in((*path, name), "action", name, offered, at="key"):
        return
    roles = [*ctx.deployment.roles, *SPECIAL_TARGETS]
    if name in ("assign", "notify"):
        targets = argument if isinstance(argument, list) else [argument]
        for index, target in enumerate(targets):
            where = (*path, name, index) if isinstance(argument, list) else (*path, name)
            if isinstance(target, dict):
                try:
                    ctx.target(where, Target.model_validate(target))
                except ValidationError:
                    ctx.error(where, "a recipient is a role or {role: ROLE, level: LEVEL}")
            else:
                ctx.name_in(where, "role", target, roles)
    elif name == "set":
        if not isinstance(argument, dict):
            ctx.error((*path, name), "'set' takes field: value pairs")
        else:
            for field, value in argument.items():
                if ctx.name_in((*path, name, field), "field", field, fields, at="key"):
                    _code(ctx, (*path, name, field), field, value, codes)


def _code(ctx: Context, path: tuple[Any, ...], field: str, value: Any,
          codes: dict[str, list[str]]) -> None:
    """Report a value given to a field that holds codes when it is none of them."""
    if field in codes and value is not None:
        ctx.name_in(path, f"code of '{field}'", str(value), codes[field])


def _limits(ctx: Context) -> None:
    d = ctx.deployment
    for index, rule in enumerate(d.limits):
        path = ("limits", index)
        states = ctx.states
        switches: set[str] = set()
        if rule.workflow is not None:
            if ctx.name_in((*path, "workflow"), "workflow", rule.workflow, d.workflows):
                states = set(d.workflows[rule.workflow].states)
                switches = set(d.workflows[rule.workflow].switches)
        else:
            switches = {s for wf in d.workflows.values() for s in wf.switches}
        ctx.name_in((*path, "state"), "state", rule.state, states)
        if rule.until is not None:
            _deadline_field(ctx, (*path, "until"), rule)
        for i, code in enumerate(rule.category):
            ctx.name_in(_item(path, "category", i, rule.category), "category", code,
                        ctx.categories)
        for i, code in enumerate(rule.severity):
            ctx.name_in(_item(path, "severity", i, rule.severity), "severity", code,
                        [str(c) for c in d.choices.get("severity", {})])
        if rule.if_ is not None:
            ctx.name_in((*path, "if"), "switch", rule.if_, switches)


def _deadline_field(ctx: Context, path: tuple[Any, ...], rule: Any) -> None:
    d = ctx.deployment
    flows = [rule.workflow] if rule.workflow else list(d.workflows)
    fields = {spec.name: spec for flow in flows for name in ctx.registers_of(flow)
              for spec in d.registers[name].fields}
    spec = fields.get(rule.until)
    if spec is None:
        dated = [n for n, f in fields.items() if ctx.dated(f)]
        ctx.error(path, unknown("date field", rule.until, dated))
    elif not ctx.dated(spec):
        ctx.error(path, f"'{rule.until}' is a {spec.type} field; 'until' needs a date or "
                  "datetime field")


def _channels_and_template(ctx: Context, path: tuple[Any, ...], step: Any) -> None:
    for i, channel in enumerate(step.channels):
        ctx.name_in(_item(path, "channels", i, step.channels), "channel", channel, ctx.channels)
    if step.template is not None:
        ctx.name_in((*path, "template"), "template", step.template,
                    ctx.deployment.notifications.templates)


def _reminders(ctx: Context) -> None:
    for index, reminder in enumerate(ctx.deployment.reminders):
        path = ("reminders", index)
        for i, target in enumerate(reminder.notify):
            ctx.target(_item(path, "notify", i, reminder.notify), target)
        for i, state in enumerate(reminder.states):
            ctx.name_in(_item(path, "states", i, reminder.states), "state", state, ctx.states)
        _channels_and_template(ctx, path, reminder)


def _escalation(ctx: Context) -> None:
    d = ctx.deployment
    priorities = [str(c) for c in d.choices.get("priority", {})]
    for ladder, steps in d.escalation.items():
        if not steps:
            ctx.error(("escalation", ladder), f"escalation ladder '{ladder}' has no steps")
        for index, step in enumerate(steps):
            path = ("escalation", ladder, index)
            if step.after.percent is not None and step.after.percent < 100:
                ctx.error((*path, "after"), f"{step.after} is before the deadline; an "
                          "escalation fires from 100% of the limit on (remind earlier "
                          "with 'reminders:')")
            for i, target in enumerate(step.notify):
                ctx.target(_item(path, "notify", i, step.notify), target)
            if isinstance(step.move_up, str):
                ctx.name_in((*path, "move_up"), "level", step.move_up, ctx.levels)
            if step.priority is not None:
                if not priorities:
                    ctx.error((*path, "priority"), "priorities need a 'priority' choice list "
                              "under 'choices:'")
                else:
                    ctx.name_in((*path, "priority"), "priority", step.priority, priorities)
            if not (step.notify or step.move_up or step.supervise or step.priority
                    or step.actions):
                ctx.error(path, "this step does nothing; give it notify, move_up, supervise "
                          "or priority", at="key")
            # A step's own keys (notify, move_up, …) name built-in effects, not its actions.
            effects = [name for name in plugins.offered(ctx.plugins,
                                                        "gridwork_escalation_actions")
                       if name not in EscalationStep.model_fields]
            for i, action in enumerate(step.actions):
                if len(action) != 1:
                    ctx.error((*path, "actions", i), "an action is one 'name: argument' pair, "
                              "e.g. {call_hotline: '12345'}")
                elif not ctx.plugins_failed:
                    ctx.name_in((*path, "actions", i, *action), "escalation action",
                                next(iter(action)), effects, at="key")
            for key in ("if_", "unless"):
                switch = getattr(step, key)
                if switch is not None:
                    ctx.name_in((*path, key.rstrip("_")), "switch", switch,
                                {s for wf in d.workflows.values() for s in wf.switches})
            _channels_and_template(ctx, path, step)


def _schedules(ctx: Context) -> None:
    d = ctx.deployment
    seen: set[str] = set()
    for index, schedule in enumerate(d.schedules):
        path = ("schedules", index)
        if schedule.name in seen:
            ctx.error((*path, "name"), f"duplicate schedule '{schedule.name}'")
        seen.add(schedule.name)
        source = schedule.register_name
        if source is not None:
            if ctx.name_in((*path, "register"), "register", source, d.registers):
                if schedule.where is not None:
                    ctx.expression((*path, "where"), schedule.where,
                                   ctx.register_names(source), f"field of register '{source}'",
                                   ctx.codes([source]))
                    _in_sql(ctx, (*path, "where"), schedule.where, ctx.register_names(source),
                            "a schedule's entries are chosen in the database: compare fields "
                            "with values, joined by and, or, not")
                _sampling(ctx, path, schedule, source)
        if schedule.each is not None:
            ctx.name_in((*path, "each"), "level", schedule.each, ctx.levels)
            if schedule.where is not None:
                ctx.error((*path, "where"), "'where' selects entries of a register; "
                          "use it with 'register'")
        if ctx.name_in((*path, "creates"), "register", schedule.creates, d.registers):
            created = [f.name for f in d.registers[schedule.creates].fields]
            if DUTY_LINK in created:
                ctx.error((*path, "creates"), f"register '{schedule.creates}' has a field "
                          f"'{DUTY_LINK}', the column that links its records to their duty; "
                          "rename the field")
            # A per-node duty reads its node; a per-entry duty reads the entry's fields.
            readable = [*(ctx.register_names(source) if source in d.registers else []),
                        "node", "id"]
            codes = ctx.codes([schedule.creates])
            for field, expr in schedule.fill.items():
                ctx.name_in((*path, "fill", field), f"field of register '{schedule.creates}'",
                            field, created, at="key")
                ctx.expression((*path, "fill", field), expr, readable, "field")
                if schedule.mode == "create":
                    _in_sql(ctx, (*path, "fill", field), expr, readable,
                            "the records are created in the database: use fields, "
                            "constants, + - * /, 'x or y' and 'a if c else b'", value=True)
                if isinstance(expr.tree.body, ast.Constant):
                    _code(ctx, (*path, "fill", field), field, expr.tree.body.value, codes)
        ctx.name_in((*path, "assign"), "role", schedule.assign, d.roles)
        for key in ("if_", "unless"):
            switch = getattr(schedule, key)
            if switch is not None:
                ctx.name_in((*path, key.rstrip("_")), "switch", switch,
                            {s for wf in d.workflows.values() for s in wf.switches})
        if schedule.escalation is not None:
            ctx.name_in((*path, "escalation"), "escalation ladder", schedule.escalation,
                        d.escalation)


def _in_sql(ctx: Context, path: tuple[Any, ...], expression: Expression,
            names: Iterable[str], instead: str, *, value: bool = False) -> None:
    """Report an expression the database cannot run as the expression language means it
    (one naming an unknown field has been reported as such)."""
    known = set(names)
    if any(name not in known for name, _ in expression.names):
        return
    table = sql_table("entries", *(sql_column(name) for name in known))
    try:
        (sql.value if value else sql.condition)(expression, table)  # type: ignore[arg-type]
    except sql.NotInSQL as err:
        ctx.error(path, f"{err}; {instead}")


def _sampling(ctx: Context, path: tuple[Any, ...], schedule: Any, source: str) -> None:
    sample = schedule.sample
    if sample is None or sample.by is None:
        return
    spec = ctx.deployment.registers[source].field(sample.by)
    if spec is None or not ctx.single_choice(spec):
        ctx.error((*path, "sample", "by"), f"'{sample.by}' is not a choice field of '{source}'")
        return
    codes = ctx.choice_codes(spec.choices)
    if codes is not None:
        for code in sample.rates:
            ctx.name_in((*path, "sample", "rates", code), "option", code, codes, at="key")


def _notifications(ctx: Context) -> None:
    n = ctx.deployment.notifications
    for name, channel in n.channels.items():
        path = ("notifications", "channels", name)
        kinds = set(plugins.channel_types(ctx.plugins))
        if ctx.plugins_failed and channel.type not in kinds:
            continue
        if ctx.name_in((*path, "type"), "channel type", channel.type, kinds):
            if channel.type == "webhook" and not channel.url:
                ctx.error(path, "a webhook channel needs 'url'", at="key")
    for role, names in n.roles.items():
        if role != "*":
            ctx.name_in(("notifications", "roles", role), "role", role, ctx.deployment.roles)
        for i, channel_name in enumerate(names):
            ctx.name_in(_item(("notifications", "roles"), role, i, names), "channel",
                        channel_name, ctx.channels)
    if not n.templates:
        return
    from jinja2 import TemplateSyntaxError  # only a deployment with templates pays for it
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment()
    for name, template in n.templates.items():
        for part in ("subject", "body"):
            label = getattr(template, part)
            for language in ("zh", "en"):
                text = getattr(label, language)
                if text is None or (language == "en" and text == label.zh):
                    continue
                try:
                    env.parse(text)
                except TemplateSyntaxError as err:
                    ctx.error(("notifications", "templates", name, part, language),
                              f"template error (line {err.lineno} of the text): {err.message}")


def _compared(ctx: Context, path: tuple[Any, ...], kind: str, name: str,
              metrics: dict[str, Any]) -> None:
    """A metric's `metric:`: only a change has one, and it names a metric that is not."""
    plain = [key for key, other in metrics.items() if other.kind != "change"]
    if kind != "change":
        ctx.error(path, "only a 'change' metric compares another metric; leave 'metric' out")
    elif name in metrics and name not in plain:
        ctx.error(path, f"'{name}' is itself a change; compare a metric that is not: "
                  f"{', '.join(plain)}")
    else:
        ctx.name_in(path, "metric", name, plain)


def _assessment(ctx: Context) -> None:
    d = ctx.deployment
    a = d.assessment
    if a is None:
        return
    path: tuple[Any, ...] = ("assessment",)
    for i, subject in enumerate(a.subjects):
        spath = _item(path, "subjects", i, a.subjects)
        if subject.level is not None:
            ctx.name_in((*spath, "level"), "level", subject.level, ctx.levels)
        if subject.role is not None:
            ctx.name_in((*spath, "role"), "role", subject.role, d.roles)
    schedules = [s.name for s in d.schedules]
    for name, metric in a.metrics.items():
        mpath = (*path, "metrics", name)
        register = metric.register_name
        if register is not None and ctx.name_in((*mpath, "register"), "register", register,
                                                d.registers):
            names = ctx.register_names(register)
            for key in ("where", "of"):
                expr = getattr(metric, key)
                if expr is not None:
                    ctx.expression((*mpath, key), expr, names, f"field of register '{register}'")
            if metric.field is not None:
                spec = d.registers[register].field(metric.field)
                if spec is None:
                    ctx.error((*mpath, "field"), unknown(f"field of register '{register}'", metric.field,
                                                         [f.name for f in d.registers[register].fields]))
                elif not ctx.numeric(spec):
                    ctx.error((*mpath, "field"), f"'{metric.field}' is a {spec.type} field; "
                              "sum and average need an integer or decimal field")
            if metric.state is not None:
                flow = d.registers[register].workflow
                states = d.workflows[flow].states if flow in d.workflows else ctx.states
                ctx.name_in((*mpath, "state"), "state", metric.state, states)
        if metric.schedule is not None:
            ctx.name_in((*mpath, "schedule"), "schedule", metric.schedule, schedules)
        if metric.metric is not None:
            _compared(ctx, (*mpath, "metric"), metric.kind, metric.metric, a.metrics)
    metrics = list(a.metrics)
    ctx.expression((*path, "score"), a.score, metrics, "metric")
    for i, deduction in enumerate(a.deductions):
        ctx.name_in((*path, "deductions", i, "per"), "metric", deduction.per, metrics)
    for i, veto in enumerate(a.vetoes):
        ctx.expression((*path, "vetoes", i, "when"), veto.when, metrics, "metric")
    for index, (name, rule) in enumerate(a.consequences.items()):
        cpath = (*path, "consequences", name)
        same = next((other for other, earlier in list(a.consequences.items())[:index]
                     if earlier.label == rule.label), None)
        if same is not None:
            # A sheet shows a consequence by its label: two rules with one label could
            # not be told apart there, nor their notices.
            ctx.error((*cpath, "label"), f"consequence '{same}' has this label already; "
                      "give each consequence a label of its own")
        ctx.expression((*cpath, "when"), rule.when, [*metrics, "score"], "metric or 'score'")
        ctx.name_in((*cpath, "period"), "assessed period", rule.period, a.periods)
        for i, target in enumerate(rule.notify):
            ctx.target(_item(cpath, "notify", i, rule.notify), target)

