"""Over HTTP, a record whose first step only its assignee may take is its reporter's to take:
a grid worker logs a patrol and completes it; a grid leader drafts a monthly report and
submits it. Nobody else is offered the step."""

from __future__ import annotations

from collections.abc import Callable

from api_support import HttpWorld


def _created(world: HttpWorld, who: str, register: str, values: dict[str, str]) -> dict:
    level = world.deployment.registers[register].attach_to or \
        world.deployment.hierarchy.levels[-1].key
    response = world.post(who, f"/registers/{register}/records",
                          {"node": world.at[level], "values": values})
    assert response.status_code == 201, response.text
    return response.json()


def _take(world: HttpWorld, who: str, body: dict, action: str, values: dict[str, str]) -> dict:
    response = world.post(who, f"/registers/{body['register']}/records/{body['id']}/actions/"
                          f"{action}", {"version": body["version"], "values": values})
    assert response.status_code == 200, response.text
    return response.json()


def _offered(world: HttpWorld, who: str, body: dict) -> list[str]:
    response = world.get(who, f"/registers/{body['register']}/records/{body['id']}")
    return [a["name"] for a in response.json()["actions"]] if response.status_code == 200 \
        else []


def test_a_grid_worker_completes_the_patrol_they_logged(
        http: Callable[..., HttpWorld]) -> None:
    community = http("community")
    patrol = _created(community, "grid_worker", "patrol", {"route": "沿河步道"})
    assert patrol["state"] == "pending"
    assert patrol["assignee"] == patrol["reporter"] is not None
    assert [a["name"] for a in patrol["actions"]] == ["complete"]
    assert "complete" not in _offered(community, "grid_leader", patrol)
    assert "complete" not in _offered(community, "grid_worker_far", patrol)
    done = _take(community, "grid_worker", patrol, "complete", {"summary": "沿河巡查一遍，无异常"})
    assert done["state"] == "done"
    assert done["history"][0]["actor"] == "grid_worker"


def test_a_grid_leader_submits_the_report_they_drafted(http: Callable[..., HttpWorld]) -> None:
    safety = http("safety")
    kind = next(iter(safety.deployment.choices["report_kind"]))
    report = _created(safety, "grid_leader", "work_report",
                      {"title": "十一月安全生产工作月报", "kind": kind})
    assert report["assignee"] == report["reporter"]
    submitted = _take(safety, "grid_leader", report, "submit",
                      {"content": "本月检查企业12家，发现隐患3处，均已整改。"})
    assert submitted["state"] == "submitted"
    assert "approve" in _offered(safety, "town_safety_officer", submitted)


def test_a_reporter_who_may_not_take_the_first_step_is_not_its_assignee(
        http: Callable[..., HttpWorld]) -> None:
    """The administrator may log a patrol but not complete one: it waits unassigned."""
    community = http("community")
    patrol = _created(community, "admin", "patrol", {"route": "沿河步道"})
    assert patrol["assignee"] is None
    assert patrol["actions"] == []
