"""`gridwork simulate`: the JSON an administrator's tools read, in time order on the
deployment's clock, deadlines pushed past holidays, and clear errors for what does not exist."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from support import CONFIGS, run_cli

COMMUNITY = str(CONFIGS / "community")
GRID = "330106001001001"
ENTRY_KEYS = {"at", "after", "kind", "clock", "state", "to", "detail"}


def _simulate(*args: str) -> dict[str, Any]:
    code, out, err = run_cli("simulate", COMMUNITY, "--json", *args)
    assert code == 0, err
    return json.loads(out)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def before_holiday() -> dict[str, Any]:
    """A neighbour dispute reported at 16:00 on the last working day before National Day."""
    return _simulate("--category", "dispute_neighbour", "--severity", "general",
                     "--at", GRID, "--reported-at", "2026-09-30T16:00", "--days", "13")


def _lines(result: dict[str, Any], *kinds: str) -> list[tuple[str, str]]:
    return [(e["at"], e["kind"]) for e in result["timeline"] if e["kind"] in kinds]


def test_json_has_the_record_and_a_timeline_in_time_order(before_holiday: dict[str, Any]) -> None:
    record, timeline = before_holiday["record"], before_holiday["timeline"]
    assert record["category"] == "dispute_neighbour"
    assert record["node"] == GRID
    assert record["reported_at"] == "2026-09-30T16:00:00+08:00"
    assert record["department"] == "sqjwh"
    assert record["stopped"] == "horizon"
    assert all(set(entry) == ENTRY_KEYS for entry in timeline)
    instants = [dt.datetime.fromisoformat(e["at"]) for e in timeline]
    assert instants == sorted(instants)
    assert all(e["at"].endswith("+08:00") for e in timeline)
    start = dt.datetime.fromisoformat(record["reported_at"])
    # "after" is the ISO 8601 duration since the report: 2026-10-08 10:00 is 7 days 18 hours on
    assert [e["after"] for e in timeline if e["kind"] == "reminder"] == ["P7DT18H"]
    assert all(at >= start for at in instants)
    assert {e["kind"] for e in timeline} == {"transition", "reminder", "deadline", "escalation",
                                             "notification"}
    assert {e["clock"] for e in timeline if e["kind"] in ("deadline", "escalation")} == {
        "working"}
    for entry in timeline:
        assert all(set(who) >= {"role", "node"} for who in entry["to"])


def test_recipients_are_roles_at_nodes_up_the_branch(before_holiday: dict[str, Any]) -> None:
    told = {e["at"]: e["to"] for e in before_holiday["timeline"] if e["kind"] == "escalation"}
    assert told["2026-10-08T11:00:00+08:00"] == [
        {"role": "grid_leader", "node": GRID},
        {"role": "dept_staff", "node": None, "department": "sqjwh"}]
    assert told["2026-10-09T11:00:00+08:00"] == [{"role": "community_head", "node": "330106001001"}]
    assert told["2026-10-10T11:00:00+08:00"] == [{"role": "street_officer", "node": "330106001"}]
    assert told["2026-10-12T11:00:00+08:00"] == [{"role": "supervisor", "node": "330106"}]
    assert before_holiday["record"]["final_node"] == "330106"


def test_the_holiday_pushes_the_deadline_and_the_adjusted_saturday_counts(
        before_holiday: dict[str, Any]) -> None:
    week_before = _simulate("--category", "dispute_neighbour", "--severity", "general",
                            "--reported-at", "2026-09-23T16:00", "--days", "2")
    # 4 working hours from 16:00: the next morning at 11:00 in an ordinary week…
    assert _lines(week_before, "deadline") == [("2026-09-24T11:00:00+08:00", "deadline")]
    # …but after the seven days off (Oct 1-7) when reported on Sep 30.
    assert _lines(before_holiday, "deadline") == [("2026-10-08T11:00:00+08:00", "deadline")]
    steps = [at for at, _ in _lines(before_holiday, "escalation")]
    # 1wd, 2wd, 3wd after the deadline: Fri, the working Saturday (调休), then Monday
    assert steps[1:4] == ["2026-10-09T11:00:00+08:00", "2026-10-10T11:00:00+08:00",
                          "2026-10-12T11:00:00+08:00"]


def test_the_table_reads_like_the_timeline() -> None:
    code, out, _ = run_cli("simulate", COMMUNITY, "--category", "emergency_fire",
                           "--severity", "urgent", "--reported-at", "2026-10-03T21:00+08:00",
                           "--days", "1")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith(f"event #1: emergency_fire/urgent at {GRID}")
    assert lines[2].split() == ["at", "after", "kind", "clock", "state", "to", "detail"]
    assert any(line.startswith("2026-10-03 21:15 Sat  00:15") and " deadline " in line
               and " calendar " in line for line in lines)
    # The district step repeats every hour for ever; the simulation stops after the tenth.
    assert sum(", repeat " in line for line in lines) == 10
    assert lines[-1].startswith("ends in state accepting at 330106")
    assert lines[-1].endswith("(stopped: repeating)")


def test_defaults_are_the_first_grid_and_now() -> None:
    result = _simulate("--category", "city_noise", "--severity", "general", "--days", "1")
    assert result["record"]["node"] == GRID
    reported = dt.datetime.fromisoformat(result["record"]["reported_at"])
    assert abs(reported - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)


@pytest.mark.parametrize(("args", "message"), [
    (("--category", "dispute_neighbor"),
     "error: unknown category 'dispute_neighbor'; did you mean 'dispute_neighbour'?"),
    (("--category", "dispute", "--at", "33010600100100X"),
     "error: unknown node '33010600100100X'; did you mean '330106001001008'?"),
    (("--category", "dispute", "--at", "330106001"),
     ("error: node '330106001' is a street; event records sit at a grid node, "
     "e.g. '330106001001001'")),
    (("--category", "dispute", "--severity", "huge"),
     "error: cannot create the record: severity: "),
])
def test_unknown_names_are_refused_with_a_clear_message(args: tuple[str, ...],
                                                        message: str) -> None:
    code, out, err = run_cli("simulate", COMMUNITY, *args)
    assert code == 2
    assert out == ""
    assert err.startswith(message)


def test_a_bad_report_time_is_a_usage_error() -> None:
    code, _, err = run_cli("simulate", COMMUNITY, "--category", "dispute",
                           "--reported-at", "30/09/2026")
    assert code == 2
    assert "'30/09/2026' is not an ISO 8601 time" in err
