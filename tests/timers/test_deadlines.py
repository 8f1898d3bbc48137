"""Time limits through the category tree and rules, and the timers planned on entering a state."""

from __future__ import annotations

import datetime as dt

import pytest
from timers_support import at, dur

from gridwork.config.models import Category, LimitRule
from gridwork.time.deadlines import MAX_REPEATS, Deadlines, TimerPlan

REPORT = at("2026-09-30 16:00")


def _limit(deadlines: Deadlines, state: str, category: str | None,
           severity: str | None) -> str | None:
    found = deadlines.limit("flow", state, category, severity)
    return None if found is None else str(found.duration)


@pytest.mark.parametrize(("state", "category", "severity", "expected"), [
    ("handling", "a", "general", "3wd"),     # the category's own per-severity limit
    ("handling", "a", "major", "1wd"),
    ("handling", "a1", "major", "1wd"),      # inherited from the parent
    ("handling", "a1x", "major", "4wh"),     # a grandchild's own limit
    ("handling", "a1x", None, "4wh"),
    ("handling", "a2", "general", "3wd"),    # a2 limits only accepting: handling is inherited
    ("accepting", "a2", "general", "2h"),
    ("handling", "a", "urgent", "1h"),       # the mapping lacks urgent: the rules decide
    ("handling", "a", None, "5wd"),
    ("handling", None, None, "5wd"),
    ("handling", None, "urgent", "1h"),      # a severity is more specific than none
    ("handling", "b", "general", "2wd"),     # a rule for the category
    ("handling", "b", "major", "4h"),        # ...and for its severity too
    ("handling", "b1", "general", "1wd"),    # a rule for the subcategory beats the parent's
    ("handling", "b1", "major", "1wd"),      # the closer category beats the severity
    ("handling", "b1", "urgent", "1wd"),
    ("reported", None, None, "2wh"),
    ("reported", "b1", "urgent", "30min"),
    ("accepting", "b", "general", "1wd"),    # accept_limit on; fast_lane off
    ("closed", "a", "general", None),
])
def test_limit_resolution(timing: Deadlines, state: str, category: str | None,
                          severity: str | None, expected: str | None) -> None:
    assert _limit(timing, state, category, severity) == expected


def test_limit_sources(timing: Deadlines) -> None:
    inherited = timing.limit("flow", "handling", "a1", "major")
    assert inherited is not None and isinstance(inherited.source, Category)
    assert inherited.source.code == "a" and inherited.clock == "working"
    ruled = timing.limit("flow", "handling", "b1", "major")
    assert ruled is not None and isinstance(ruled.source, LimitRule)
    assert ruled.source.category == ("b1",)


def test_switches_decide_which_rules_apply(switched: Deadlines) -> None:
    assert _limit(switched, "accepting", "b", "general") == "10min"   # fast_lane on
    assert _limit(switched, "accepting", "a2", "general") == "2h"     # categories are not switched


def test_an_overriding_rule_beats_the_categories_own_limits_while_its_switch_is_on(
        timing: Deadlines, switched: Deadlines) -> None:
    assert _limit(timing, "handling", "a1x", "major") == "4wh"        # fast_lane off
    assert _limit(switched, "handling", "a", "major") == "30min"      # on: beats a's 1wd
    assert _limit(switched, "handling", "a1x", None) == "30min"       # ...and a1x's own 4wh
    assert _limit(switched, "handling", "b", "general") == "2wd"      # outside its category


def test_unknown_category(timing: Deadlines) -> None:
    with pytest.raises(KeyError, match="nope"):
        timing.limit("flow", "handling", "nope", None)


@pytest.mark.parametrize(("category", "severity", "ladder"), [
    ("a", "major", "fast"),
    ("a", "general", "default"),      # the mapping names no ladder for general
    ("a1x", "major", "fast"),         # inherited down two levels
    ("a2", "major", "slow"),          # the child's own ladder beats the parent's mapping
    ("b1", "major", "default"),
    (None, None, "default"),
])
def test_ladder_resolution(timing: Deadlines, category: str | None, severity: str | None,
                           ladder: str) -> None:
    name, steps = timing.ladder(category, severity)
    assert name == ladder and steps == timing.deployment.escalation[ladder]


def _table(plan: TimerPlan) -> list[tuple[str, int, int, str, str]]:
    return [(t.kind, t.step, t.repeat, t.at.strftime("%m-%d %H:%M:%S"), t.clock)
            for t in plan.timers]


def test_plan_across_national_day(timing: Deadlines) -> None:
    plan = timing.plan("flow", "handling", REPORT, "a", "general")
    assert plan is not None and plan.ladder == "default"
    # 3wd from Wednesday 09-30 16:00: 10-08, 10-09 and the adjusted Saturday 10-10.
    assert plan.deadline == at("2026-10-10 16:00")
    repeats = ["10-14", "10-15", "10-16", "10-19", "10-20", "10-21", "10-22", "10-23", "10-26",
               "10-27"]
    assert _table(plan) == [
        # 25% of 3wd = 5h37m30s of working time before the deadline: 2h30 back to 13:30,
        # the rest from 12:00 back to 08:52:30.
        ("reminder", 0, 0, "10-10 08:52:30", "working"),
        ("reminder", 1, 0, "10-10 14:00:00", "calendar"),     # 2h before
        ("deadline", 0, 0, "10-10 16:00:00", "working"),
        ("escalation", 0, 0, "10-10 16:00:00", "working"),    # after 0
        ("escalation", 1, 0, "10-12 16:00:00", "working"),    # after 1wd (Sunday skipped)
        # 150% of 3wd since entering = 50% (11h15m of working time) after the deadline:
        # 1h30 on 10-10, 7h30 on 10-12, then 2h15 from 08:30 on 10-13.
        ("escalation", 2, 0, "10-13 10:45:00", "working"),
        ("escalation", 3, 0, "10-13 16:00:00", "working"),    # after 2wd, then every 1wd
        ("escalation", 3, 1, "10-14 16:00:00", "working"),
        ("escalation", 3, 2, "10-15 16:00:00", "working"),
        *[("escalation", 3, n, f"{day} 16:00:00", "working")
          for n, day in enumerate(repeats[2:], start=3)],
    ]
    assert len([t for t in plan.timers if t.step == 3 and t.kind == "escalation"]) == \
        MAX_REPEATS + 1


def test_plan_on_a_fast_ladder(timing: Deadlines) -> None:
    plan = timing.plan("flow", "handling", at("2026-10-08 16:00"), "a", "major")
    assert plan is not None and plan.ladder == "fast"
    assert plan.deadline == at("2026-10-09 16:00")
    table = _table(plan)
    assert table[:4] == [
        ("reminder", 1, 0, "10-09 14:00:00", "calendar"),
        ("reminder", 0, 0, "10-09 14:07:30", "working"),      # 25% of 7h30 = 1h52m30s
        ("deadline", 0, 0, "10-09 16:00:00", "working"),
        ("escalation", 0, 0, "10-09 16:30:00", "calendar"),   # after 30min
    ]
    assert table[4] == ("escalation", 0, 1, "10-09 17:30:00", "calendar")   # every hour
    assert table[-1] == ("escalation", 0, MAX_REPEATS, "10-10 02:30:00", "calendar")


def test_reminders_before_entering_are_left_out(timing: Deadlines) -> None:
    plan = timing.plan("flow", "handling", at("2026-10-08 10:00"), None, "urgent")
    assert plan is not None and plan.deadline == at("2026-10-08 11:00")
    reminders = [t for t in plan.timers if t.kind == "reminder"]
    assert [(t.step, t.at) for t in reminders] == [(0, at("2026-10-08 10:45"))]  # 25% of 1h
    escalation = {t.step: t.at for t in plan.timers if t.kind == "escalation" and not t.repeat}
    assert escalation[2] == at("2026-10-08 11:30")            # 150% of a calendar hour


def test_no_plan_for_paused_or_unlimited_states(timing: Deadlines) -> None:
    assert timing.plan("flow", "waiting", REPORT, "a", "general") is None
    assert timing.plan("flow", "closed", REPORT, "a", "general") is None


def test_resume_moves_the_deadline_and_what_is_still_due(timing: Deadlines) -> None:
    plan = timing.plan("flow", "handling", REPORT, "a", "general")
    assert plan is not None
    # Paused a whole working day (7h30 of working time): everything moves on by that.
    moved = timing.resume(plan, at("2026-10-08 09:00"), at("2026-10-09 09:00"))
    assert moved.deadline == at("2026-10-12 16:00")
    assert len(moved.timers) == len(plan.timers)
    assert moved.timers[0].at == at("2026-10-12 08:52:30")
    # Paused an hour after the 25% reminder fired: it does not fire again.
    later = timing.resume(plan, at("2026-10-10 09:00"), at("2026-10-10 10:00"))
    assert later.deadline == at("2026-10-10 17:00")
    assert [(t.step, t.at) for t in later.timers if t.kind == "reminder"] == \
        [(1, at("2026-10-10 15:00"))]
    # A second pause over the weekend: 2h of working time on Saturday, none on Sunday.
    again = timing.resume(later, at("2026-10-10 15:30"), at("2026-10-12 08:30"))
    assert again.deadline == at("2026-10-12 10:00")
    assert not [t for t in again.timers if t.kind == "reminder"]
    assert again.timers[0].kind == "deadline"


def test_offsets_count_in_the_limits_clock(timing: Deadlines) -> None:
    plan = timing.plan("flow", "handling", REPORT, "b", "major")   # 4h of calendar time
    assert plan is not None and plan.deadline == at("2026-09-30 20:00")
    first = {(t.kind, t.step): t for t in plan.timers if not t.repeat}
    assert first["reminder", 0].at == at("2026-09-30 19:00")         # 25% of 4h
    assert first["escalation", 2].at == at("2026-09-30 22:00")       # 150% of 4h since 16:00
    assert first["escalation", 1].at == timing.calendar.add(plan.deadline, dur("1wd"))
    assert first["escalation", 1].at == at("2026-10-08 17:30")


def test_a_deadline_from_a_date_field(timing: Deadlines) -> None:
    limit = timing.limit("flow", "handling", "c", "general")
    assert limit is not None and (limit.duration, limit.until) == (None, "due_date")
    plan = timing.plan("flow", "handling", REPORT, "c", "general",
                       values={"due_date": dt.date(2026, 10, 9)})
    assert plan is not None and plan.limit.clock == "calendar"
    assert plan.deadline == at("2026-10-10 00:00")        # a date ends at midnight
    assert plan.length == (9 * 24 + 8) * 3600             # 09-30 16:00 to 10-10 00:00
    first = {(t.kind, t.step): t.at for t in plan.timers if not t.repeat}
    assert first["reminder", 0] == at("2026-10-07 16:00")  # 25% of 224h = 56h before
    # 1wd after midnight counts from 08:30 on the adjusted Saturday: due at its close.
    assert first["escalation", 1] == at("2026-10-10 17:30")
    assert first["escalation", 2] == at("2026-10-14 16:00")  # 50% of 224h after = 112h


def test_a_deadline_from_a_datetime_field(timing: Deadlines) -> None:
    naive = timing.plan("flow", "handling", REPORT, "c1", None,
                        values={"due_at": dt.datetime(2026, 10, 9, 12, 0)})
    assert naive is not None and naive.deadline == at("2026-10-09 12:00")
    utc = dt.datetime(2026, 10, 9, 4, 0, tzinfo=dt.UTC)
    aware = timing.plan("flow", "handling", REPORT, "c1", None, values={"due_at": utc})
    assert aware is not None and aware.deadline == at("2026-10-09 12:00")
    assert timing.plan("flow", "handling", REPORT, "c1", None, values={"due_at": None}) is None
    assert timing.plan("flow", "handling", REPORT, "c1", None) is None
