"""`GET /api/v1/duties` lists the caller's area's duties; a record posted with `duty`
fulfils one (once: a second record for it is refused)."""

from __future__ import annotations

import datetime as dt

from duty_world import START, DutyWorld
from starlette.testclient import TestClient

from gridwork.auth import create_token
from gridwork.duties.run import run_duties
from gridwork.web import create_app


def test_duties_over_the_api(world: DutyWorld, tmp_path) -> None:
    run_duties(world.engine, world.runtime, now=START)
    with world.engine.begin() as conn:
        tokens = {name: create_token(conn, world.schema, name, START)[1]
                  for name in ("w3", "lead")}
    app = create_app(world.runtime, engine=world.engine, secret="api-" + "x" * 28,
                     data_dir=tmp_path / "data", clock=lambda: START + dt.timedelta(hours=1))
    client = TestClient(app)

    def get(who: str, query: str) -> dict:
        answer = client.get("/api/v1/duties" + query,
                            headers={"Authorization": f"Bearer {tokens[who]}"})
        assert answer.status_code == 200, answer.text
        return answer.json()

    mine = get("w3", "?assignee=me&schedule=patrol")
    assert [(d["node"], d["state"], d["assignee"]) for d in mine["items"]] == [
        ("C1G2", "open", "w3")]
    # The leader's area is the community: every grid's duties, C1G3's unassigned.
    unassigned = get("lead", "?unassigned=true&schedule=patrol")
    assert [d["node"] for d in unassigned["items"]] == ["C1G3"]
    refused = client.get("/api/v1/duties?state=nonsense",
                         headers={"Authorization": f"Bearer {tokens['w3']}"})
    assert refused.status_code == 422 and "state" in refused.json()["errors"]

    duty = mine["items"][0]["id"]
    posted = client.post("/api/v1/registers/patrol/records",
                         headers={"Authorization": f"Bearer {tokens['w3']}"},
                         json={"node": "C1G2", "values": {"kind": "daily"}, "duty": duty})
    assert posted.status_code == 201, posted.text
    after = get("w3", "?assignee=me&schedule=patrol")["items"][0]
    assert after["record"] == posted.json()["id"] and after["state"] == "open"
    again = client.post("/api/v1/registers/patrol/records",
                        headers={"Authorization": f"Bearer {tokens['w3']}"},
                        json={"node": "C1G2", "values": {"kind": "daily"}, "duty": duty})
    assert again.status_code == 422 and "duty" in again.json()["errors"]
