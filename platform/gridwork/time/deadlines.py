"""What is due once a record enters a state: its time limit, deadline, reminders, escalation.

Rules:

- The limit for (workflow, state, category, severity) is, first, the most specific
  top-level ``limits:`` rule with ``override: true`` that matches (an emergency mode's
  limits); else the category's own ``limits`` entry for the state, else its parent's, up the
  tree (a per-severity mapping that lacks the severity counts as no entry); failing that,
  the most specific other top-level rule that matches. A rule names the state and may
  narrow by workflow, category (the category or an ancestor), severity and an ``if`` switch
  (a rule whose switch is off never applies). Specificity compares, in order: how close the
  rule's category is to the record's, whether it names a severity, a workflow, a switch; the
  first such rule in the file breaks a tie.
- Switches are the workflow's, as set where the record sits when its stay is planned
  (``switches``, from the workflow's runtime settings for subtrees); without them, as the
  config sets them. A ladder step with ``if``/``unless`` is left out of a plan made while
  its switch is off/on.
- A rule with ``until`` takes the deadline from a date or datetime field of the record
  (``values`` given to ``plan``); a date means the end of that day, a naive datetime is on
  the deployment's clock, and an empty field means no deadline. Its clock is calendar time
  and its length, for shares, is the time from entering the state to that deadline.
- The ladder is the category's ``escalation`` (a name, or a name per severity), inherited
  down the tree; failing that, ``default``.
- Offsets are distances from the deadline: ``before`` earlier, ``after`` later. A share
  (``25%``, ``150%``) is that share of the limit, measured in the limit's own clock; a
  duration counts in its own clock. Reminders that would fall at or before the moment the
  state was entered are left out.
- A step with ``repeat`` fires again every ``repeat`` while the record stays in the state;
  a plan holds its first firing and ``MAX_REPEATS`` repetitions (leaving the state cancels
  them all).
- A plan names the years without holiday data (neither the library nor ``calendar: years``)
  that its working time runs through, so the caller can say the deadline is a guess.
- A paused state (``paused: true``) has no plan: its clock is stopped. ``Deadlines.resume``
  moves a plan on by the paused time when the record returns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal
from zoneinfo import ZoneInfo

from ..config.models import Category, Deployment, EscalationStep, LimitRule, Reminder
from ..config.types import Duration, Offset
from .calendar import BusinessCalendar

Kind = Literal["deadline", "reminder", "escalation"]
Counting = Literal["working", "calendar"]
"""Whether an offset counts working time or calendar time."""

MAX_REPEATS = 10
"""Repetitions of a repeating escalation step planned after its first firing."""

_KIND_ORDER = {"reminder": 0, "deadline": 1, "escalation": 2}


def _clock(duration: Duration) -> Counting:
    return "working" if duration.working else "calendar"


@dataclass(frozen=True, slots=True)
class TimeLimit:
    """The time allowed in a state, and the category or rule that sets it."""

    duration: Duration | None
    """The time allowed; None when a field of the record holds the deadline."""
    until: str | None
    """The date or datetime field that holds the deadline, for ``until`` rules."""
    source: Category | LimitRule

    @property
    def clock(self) -> Counting:
        """Whether the limit counts working or calendar time."""
        return "calendar" if self.duration is None else _clock(self.duration)


@dataclass(frozen=True, slots=True)
class Timer:
    """One planned firing: the deadline, a reminder or an escalation step."""

    kind: Kind
    at: dt.datetime
    clock: Counting
    """The clock its offset was counted in."""
    step: int
    """Index of its reminder in ``reminders:`` or of its step in the ladder; 0 for a deadline."""
    repeat: int
    """0 for a first firing, n for the n-th repetition of a repeating step."""
    source: Category | LimitRule | Reminder | EscalationStep
    """The config entry it comes from (for a deadline, the limit's category or rule)."""

    @property
    def key(self) -> tuple[Kind, int, int]:
        """What identifies the timer within its plan, however its instant moves."""
        return self.kind, self.step, self.repeat


@dataclass(frozen=True, slots=True)
class TimerPlan:
    """Everything due for one stay of a record in one state."""

    workflow: str
    state: str
    category: str | None
    severity: str | None
    entered_at: dt.datetime
    limit: TimeLimit
    length: float
    """Seconds of the limit in its own clock; shares (``25%``) are taken of it."""
    deadline: dt.datetime
    ladder: str
    """The escalation ladder's name (it may have no steps)."""
    timers: tuple[Timer, ...]
    """In time order; at one instant reminders, then the deadline, then escalation."""
    unknown_years: tuple[int, ...] = ()
    """Years the plan counts working time in without knowing their holidays: there every
    working weekday was taken for a working day, which may be wrong."""
    switches: Mapping[str, bool] = field(default_factory=dict)
    """The workflow's switches the plan was made with (its guarded ladder steps follow them)."""


class Deadlines:
    """Time limits, escalation ladders and timer plans of one deployment."""

    def __init__(self, deployment: Deployment, calendar: BusinessCalendar | None = None) -> None:
        self.deployment = deployment
        self.calendar = calendar or BusinessCalendar.from_config(
            deployment.calendar, deployment.about.timezone)
        self._parents = {c.code: (c, p) for c, p in deployment.all_categories()}
        self._limited = {(rule.workflow, rule.state) for rule in deployment.limits} | {
            (None, state) for category, _ in deployment.all_categories()
            for state in category.limits}
        self.reads_values = any(rule.until is not None for rule in deployment.limits)
        """Whether a plan may read the record's fields (an ``until`` limit)."""

    def limited(self, workflow: str, state: str) -> bool:
        """Whether a stay in ``state`` may have a plan, so timers: some limit rule or a
        category's ``limits`` names it. One no limit names never has any."""
        return (workflow, state) in self._limited or (None, state) in self._limited

    def _lineage(self, category: str | None) -> tuple[Category, ...]:
        """The category with ``category`` as code, then its ancestors up to the top."""
        found: list[Category] = []
        code = category
        while code is not None:
            if code not in self._parents:
                raise KeyError(f"unknown category '{code}'")
            node, parent = self._parents[code]
            found.append(node)
            code = parent.code if parent is not None else None
        return tuple(found)

    def switches(self, workflow: str,
                 switches: Mapping[str, bool] | None = None) -> Mapping[str, bool]:
        """The workflow's switches: as given (where a record sits), else as configured."""
        return self.deployment.workflows[workflow].switches if switches is None else switches

    def limit(self, workflow: str, state: str, category: str | None = None,
              severity: str | None = None,
              switches: Mapping[str, bool] | None = None) -> TimeLimit | None:
        """The time allowed in ``state``, or None when nothing limits it."""
        lineage = self._lineage(category)
        switches = self.switches(workflow, switches)
        overriding = self._rule(workflow, state, lineage, severity, switches, override=True)
        if overriding is not None:
            return overriding
        for node in lineage:
            spec = node.limits.get(state)
            if isinstance(spec, dict):
                spec = spec.get(severity) if severity is not None else None
            if spec is not None:
                return TimeLimit(spec, None, node)
        return self._rule(workflow, state, lineage, severity, switches, override=False)

    def _rule(self, workflow: str, state: str, lineage: tuple[Category, ...],
              severity: str | None, switches: Mapping[str, bool], *,
              override: bool) -> TimeLimit | None:
        """The most specific top-level rule that applies, among those that do (or do not)
        override the categories' own limits."""
        best: tuple[tuple[int, bool, bool, bool], LimitRule] | None = None
        for rule in self.deployment.limits:
            if rule.override != override:
                continue
            score = _specificity(rule, workflow, state, lineage, severity, switches)
            if score is not None and (best is None or score > best[0]):
                best = score, rule
        if best is None:
            return None
        return TimeLimit(best[1].within, best[1].until, best[1])

    def ladder(self, category: str | None = None,
               severity: str | None = None) -> tuple[str, tuple[EscalationStep, ...]]:
        """The name and steps of the escalation ladder for a category and severity (every
        step, guarded or not: a timer's step is its index here)."""
        name = "default"
        for node in self._lineage(category):
            chosen = node.escalation
            if isinstance(chosen, dict):
                chosen = chosen.get(severity) if severity is not None else None
            if chosen is not None:
                name = chosen
                break
        return name, self.deployment.escalation.get(name, ())

    def plan(self, workflow: str, state: str, entered_at: dt.datetime,
             category: str | None = None, severity: str | None = None,
             values: Mapping[str, Any] | None = None,
             switches: Mapping[str, bool] | None = None) -> TimerPlan | None:
        """The timers due for a record entering ``state`` at ``entered_at``; None if unlimited.

        ``values`` are the record's fields, read only by ``until`` limits; ``switches``
        the workflow's switches where the record sits (default: as configured).
        """
        if self.deployment.workflows[workflow].states[state].paused:
            return None
        switches = self.switches(workflow, switches)
        limit = self.limit(workflow, state, category, severity, switches)
        if limit is None:
            return None
        if limit.duration is not None:
            deadline = self.calendar.add(entered_at, limit.duration)
            length = self.calendar.length(limit.duration)
        else:
            field = (values or {}).get(limit.until or "")
            if field is None:
                return None
            deadline = _field_deadline(field, self.calendar.tz)
            length = max((deadline - entered_at).total_seconds(), 0.0)
        ladder, steps = self.ladder(category, severity)
        plan = TimerPlan(
            workflow=workflow, state=state, category=category, severity=severity,
            entered_at=entered_at, limit=limit, length=length, deadline=deadline,
            ladder=ladder, timers=(), switches=dict(switches),
        )
        timers = self._timers(plan, deadline, steps)
        return replace(plan, timers=timers, unknown_years=self._guessed(plan, timers))

    def _guessed(self, plan: TimerPlan, timers: tuple[Timer, ...]) -> tuple[int, ...]:
        """The years without holiday data that the plan's working time runs through."""
        working = [t.at for t in timers if t.clock == "working"]
        if not working:
            return ()
        return self.calendar.unknown_years(plan.entered_at, max(working))

    def resume(self, plan: TimerPlan, paused_at: dt.datetime,
               resumed_at: dt.datetime) -> TimerPlan:
        """The plan once the record returns from a pause: deadline and timers moved on.

        Timers due at or before ``paused_at`` fired before the pause and stay gone; the
        others keep their offsets from the moved deadline.
        """
        working = plan.limit.clock == "working"
        deadline = self.calendar.resume(plan.deadline, paused_at, resumed_at, working=working)
        pending = {timer.key for timer in plan.timers if timer.at > paused_at}
        _, steps = self.ladder(plan.category, plan.severity)
        timers = tuple(t for t in self._timers(plan, deadline, steps) if t.key in pending)
        return replace(plan, deadline=deadline, timers=timers,
                       unknown_years=self._guessed(plan, timers))

    def _timers(self, plan: TimerPlan, deadline: dt.datetime,
                steps: tuple[EscalationStep, ...]) -> tuple[Timer, ...]:
        limit = plan.limit
        timers = [Timer("deadline", deadline, limit.clock, 0, 0, limit.source)]
        for index, reminder in enumerate(self.deployment.reminders):
            if reminder.states and plan.state not in reminder.states:
                continue
            at, clock = self._offset(deadline, reminder.before, plan, later=False)
            if at > plan.entered_at:
                timers.append(Timer("reminder", at, clock, index, 0, reminder))
        for index, step in enumerate(steps):
            if not _switched_on(step, plan.switches):
                continue
            at, clock = self._offset(deadline, step.after, plan, later=True)
            timers.append(Timer("escalation", at, clock, index, 0, step))
            if step.repeat is not None and step.repeat.amount > 0:
                for repeat in range(1, MAX_REPEATS + 1):
                    at = self.calendar.add(at, step.repeat)
                    timers.append(Timer("escalation", at, _clock(step.repeat), index, repeat,
                                        step))
        return tuple(sorted(timers, key=lambda t: (t.at, _KIND_ORDER[t.kind], t.step, t.repeat)))

    def _offset(self, deadline: dt.datetime, offset: Offset, plan: TimerPlan,
                *, later: bool) -> tuple[dt.datetime, Counting]:
        """The instant ``offset`` before or after ``deadline``, and the clock it counted in."""
        duration = offset.duration
        if duration is None or duration.amount == 0:
            # A reminder's share counts back from the deadline; an escalation's share is of
            # the limit elapsed since entering (100% is the deadline itself).
            percent = (offset.percent or 0) - (100 if later and offset.percent else 0)
            share = percent / 100 * plan.length
            clock = plan.limit.clock
            at = self.calendar.shift(deadline, share if later else -share,
                                     working=clock == "working")
            return at, clock
        if later:
            return self.calendar.add(deadline, duration), _clock(duration)
        return self.calendar.before(deadline, duration), _clock(duration)


def _field_deadline(value: Any, tz: ZoneInfo) -> dt.datetime:
    """The deadline a date or datetime field holds: a date ends at the following midnight."""
    if isinstance(value, dt.datetime):
        return value.astimezone(tz) if value.tzinfo is not None else value.replace(tzinfo=tz)
    if isinstance(value, dt.date):
        midnight = dt.datetime.combine(value + dt.timedelta(days=1), dt.time())
        return midnight.replace(tzinfo=tz)
    raise TypeError(f"a deadline field holds a date or datetime, not {value!r}")


def _switched_on(step: EscalationStep, switches: Mapping[str, bool]) -> bool:
    """Whether a ladder step's ``if``/``unless`` switch lets it into a plan."""
    return ((step.if_ is None or switches.get(step.if_, False))
            and (step.unless is None or not switches.get(step.unless, False)))


def _specificity(rule: LimitRule, workflow: str, state: str, lineage: tuple[Category, ...],
                 severity: str | None,
                 switches: Mapping[str, bool]) -> tuple[int, bool, bool, bool] | None:
    """How closely ``rule`` fits, or None when it does not apply."""
    if rule.state != state or rule.workflow not in (None, workflow):
        return None
    if rule.if_ is not None and not switches.get(rule.if_, False):
        return None
    if rule.severity and severity not in rule.severity:
        return None
    closeness = 0
    if rule.category:
        hits = [len(lineage) - depth for depth, node in enumerate(lineage)
                if node.code in rule.category]
        if not hits:
            return None
        closeness = max(hits)
    return closeness, bool(rule.severity), rule.workflow is not None, rule.if_ is not None
