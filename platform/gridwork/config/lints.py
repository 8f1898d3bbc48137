"""Warnings about configs that are valid but will not do what the administrator means."""

from __future__ import annotations

import datetime as dt

from chinese_calendar import constants as chinese_holidays  # type: ignore[import-untyped]

from .context import Context
from .models import Category, Hierarchy, Workflow


def lint(ctx: Context, today: dt.date | None = None) -> None:
    """Run every lint; ``today`` defaults to today on the deployment's clock."""
    for name, workflow in ctx.deployment.workflows.items():
        _workflow(ctx, name, workflow)
    _category_limits(ctx)
    _shadowed_rules(ctx)
    _escalation_height(ctx)
    _duties(ctx)
    _assignee_first(ctx)
    zone = ctx.deployment.about.zone
    _holiday_years(ctx, today or dt.datetime.now(zone).date())


def _workflow(ctx: Context, name: str, wf: Workflow) -> None:
    path = ("workflows", name)
    auto = {state.auto.transition for state in wf.states.values() if state.auto}
    reached = {wf.initial_state}
    frontier = [wf.initial_state]
    while frontier:
        current = frontier.pop()
        for tr in wf.transitions:
            if current in tr.from_ and tr.to not in reached and tr.to in wf.states:
                reached.add(tr.to)
                frontier.append(tr.to)
    for state_name, state in wf.states.items():
        spath = (*path, "states", state_name)
        if state_name not in reached:
            ctx.warn(spath, f"state '{state_name}' is never reached: no transition leads to "
                     f"it from '{wf.initial_state}'", at="key")
        if not state.final and not any(state_name in tr.from_ for tr in wf.transitions):
            ctx.warn(spath, f"state '{state_name}' has no way out; add a transition from it "
                     "or mark it 'final: true'", at="key")
    for index, tr in enumerate(wf.transitions):
        if not tr.by and tr.name not in auto:
            ctx.warn((*path, "transitions", index), f"no role may take transition '{tr.name}' "
                     "and no state takes it automatically; add 'by:'", at="key")


def _shadowed_rules(ctx: Context) -> None:
    """A `limits:` rule that every record it could time gets from its category's own limit
    instead never applies: say so, and how to make it win."""
    d = ctx.deployment
    parents = {cat.code: parent for cat, parent in d.all_categories()}
    severities = [str(code) for code in d.choices.get("severity", {})] or [None]
    for index, rule in enumerate(d.limits):
        if rule.override:
            continue
        flows = [rule.workflow] if rule.workflow else [
            name for name, wf in d.workflows.items() if rule.state in wf.states]
        registers = [r for r in d.registers.values() if r.workflow in flows]
        if not registers or not all(r.categorized for r in registers):
            continue
        shadow = None
        for cat, _ in d.all_categories():
            lineage = _lineage(cat, parents)
            if rule.category and not any(c.code in rule.category for c in lineage):
                continue
            for severity in rule.severity or severities:
                owner = _own_limit(lineage, rule.state, severity)
                if owner is None:
                    break
                shadow = shadow or owner
            else:
                continue
            break
        else:
            if shadow is not None:
                ctx.warn(("limits", index), f"this rule never applies: every category it "
                         f"covers has its own limit for '{rule.state}' (e.g. '{shadow}'), "
                         "which comes first; add 'override: true' to make the rule beat "
                         "the categories' limits, or remove it", at="key")


def _lineage(cat: Category, parents: dict[str, Category | None]) -> list[Category]:
    """The category, then its ancestors up to the top."""
    found: list[Category] = []
    node: Category | None = cat
    while node is not None:
        found.append(node)
        node = parents.get(node.code)
    return found


def _own_limit(lineage: list[Category], state: str, severity: str | None) -> str | None:
    """The code of the nearest category that sets its own limit for ``state`` (for
    ``severity``), or None."""
    for node in lineage:
        spec = node.limits.get(state)
        if isinstance(spec, dict):
            spec = spec.get(severity) if severity is not None else None
        if spec is not None:
            return node.code
    return None


def _category_limits(ctx: Context) -> None:
    d = ctx.deployment
    timed = any(r.categorized and r.workflow for r in d.registers.values())
    if not timed:
        return
    general = any(not rule.category for rule in d.limits)
    covered = {code for rule in d.limits for code in rule.category}
    for index, top in enumerate(d.categories):
        _leaf_limits(ctx, ("categories", index), top, general, covered, inherited=False)


def _leaf_limits(ctx: Context, path: tuple[object, ...], cat: Category, general: bool,
                 covered: set[str], inherited: bool) -> None:
    limited = inherited or general or bool(cat.limits) or cat.code in covered
    if not cat.children and not limited:
        ctx.warn(path, f"category '{cat.code}' has no time limit in any state; give it "
                 "'limits:' or add a default under 'limits:'", at="key")
    for index, child in enumerate(cat.children):
        _leaf_limits(ctx, (*path, "children", index), child, general, covered, limited)


def _escalation_height(ctx: Context) -> None:
    """Follow the levels a register's records can be at down each ladder (a set, as a
    ragged tree gives a node parents of several levels) and warn about a step that moves
    none of them up, or every one of them past the top."""
    d = ctx.deployment
    levels = ctx.levels
    rank = {key: index for index, key in enumerate(levels)}
    for name, register in d.registers.items():
        if not (register.categorized and register.workflow):
            continue
        start = [key for key in d.record_levels(name) if key in rank] or [levels[-1]]
        for ladder, steps in d.escalation.items():
            here = set(start)
            for index, step in enumerate(steps):
                where = ("escalation", ladder, index, "move_up")
                if isinstance(step.move_up, int):
                    moved = _up_by(d.hierarchy, here, step.move_up)
                    if moved is None:
                        ctx.warn(where, "escalation goes above the top of the tree: "
                                 f"'{name}' records start at '{' or '.join(start)}' and "
                                 f"this step moves them past '{levels[0]}'")
                        break
                    here = moved
                elif isinstance(step.move_up, str) and step.move_up in rank:
                    target = rank[step.move_up]
                    if all(target >= rank[key] for key in here):
                        by_then = ", ".join(sorted(here, key=rank.__getitem__))
                        ctx.warn(where, f"'{step.move_up}' is not above where '{name}' "
                                 f"records sit by then ('{by_then}')")
                    here = {up for key in here for up in _up_to(d.hierarchy, rank, key, target)}


def _up_by(hierarchy: Hierarchy, here: set[str], steps: int) -> set[str] | None:
    """The levels records at ``here`` reach moving up ``steps`` parents (one at the top
    stays there); None when every one of them would pass the top."""
    for _ in range(steps):
        if all(not hierarchy.parent_levels(key) for key in here):
            return None
        here = {up for key in here for up in hierarchy.parent_levels(key) or (key,)}
    return here


def _up_to(hierarchy: Hierarchy, rank: dict[str, int], key: str, target: int) -> set[str]:
    """The levels a record at ``key`` can reach moving up to the level ranked ``target``:
    that level, or where a branch skips it, the nearest level above it."""
    if rank[key] <= target:
        return {key}
    found: set[str] = set()
    for up in hierarchy.parent_levels(key):
        if up not in rank:
            continue
        found |= {up} if rank[up] <= target else _up_to(hierarchy, rank, up, target)
    return found


def _duties(ctx: Context) -> None:
    """A duty must land on someone who can be found."""
    d = ctx.deployment
    levels = ctx.levels
    for index, schedule in enumerate(d.schedules):
        path = ("schedules", index)
        role = d.roles.get(schedule.assign)
        if role is None or not role.at:
            continue
        source = schedule.register_name or ""
        targets = ((schedule.each,) if schedule.each else
                   d.record_levels(source) if source in d.registers else (levels[-1],))
        mine = [levels.index(at) for at in role.at if at in levels]
        theirs = [levels.index(at) for at in targets if at in levels]
        if mine and theirs and min(mine) > max(theirs):
            ctx.warn((*path, "assign"), f"'{schedule.assign}' sits at '{' or '.join(role.at)}', "
                     f"below the '{' or '.join(targets)}' nodes these duties are for; nobody "
                     "could be assigned")


def _assignee_first(ctx: Context) -> None:
    """A first step for the assignee only needs one: a new record's reporter becomes it
    when they may take that step, so some role that reports must be able to (records that
    only schedules create get theirs from `assign:`)."""
    d = ctx.deployment
    for name, register in d.registers.items():
        workflow = d.workflows.get(register.workflow or "")
        reporting = {key for key, role in d.roles.items()
                     if "create" in role.can or f"create:{name}" in role.can}
        if workflow is None or not reporting:
            continue
        for step in workflow.assignee_steps(workflow.initial_state):
            if reporting & set(step.by):
                continue
            ctx.warn(("workflows", register.workflow, "transitions",
                      workflow.transitions.index(step), "scope"),
                     f"only the assignee may take '{step.name}', a first step, and a new "
                     "record's assignee is its reporter only when they may take it; no role "
                     f"that may create '{name}' records ({', '.join(sorted(reporting))}) is "
                     "among its 'by:' roles, so their records would wait for an assignee "
                     "nobody sets; add a reporting role to 'by:' or leave out "
                     "'scope: assigned'")


def _holiday_years(ctx: Context, today: dt.date) -> None:
    """Warn when this year or the next has no holiday data: its deadlines would be guesses."""
    calendar = ctx.deployment.calendar
    if calendar.holidays != "cn":
        return
    known = max(day.year for day in chinese_holidays.holidays)
    for year in (today.year, today.year + 1):
        if year in calendar.years or year <= known:
            continue
        ctx.warn(("calendar", "years") if calendar.years else ("calendar", "holidays"),
                 f"no holiday data for {year}: the installed chinese-calendar knows up to "
                 f"{known}, so deadlines in {year} would count its statutory holidays as "
                 f"working days; state them under 'calendar: years: {year}: {{holidays: "
                 "[...], workdays: [...]}' (or upgrade chinese-calendar)", at="key")
