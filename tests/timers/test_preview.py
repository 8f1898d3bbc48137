"""`gridwork preview`: on a seeded copy of the community deployment, an edit with a shorter
limit, a removed state, a new schedule, a narrower role and a new score rule is listed
record by record, duty counts and score lines included, before anything is applied — and
applying nothing changes nothing."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select
from support import CONFIGS, run_cli

from gridwork.config import load_deployment
from gridwork.storage import build_schema, make_engine, migrate
from gridwork.workflow import load_user
from gridwork.demo.seed import seed_demo
from gridwork.hierarchy import scope_filter
from gridwork.tools.preview import preview, report

NEW_SCHEDULE = """
  - name: weekly_report
    label: {zh: 每周信息报送, en: Weekly report}
    each: grid
    every: week
    on: [mon, thu]
    creates: patrol
    assign: grid_worker
"""


def _edit(folder: Path) -> None:
    """A shorter accepting limit, no `paused` state, a new schedule, a narrower role, less
    credit for on-time feedback where there was none to give."""
    timing = folder / "timing.yaml"
    text = timing.read_text(encoding="utf-8")
    old = "  - {workflow: event_flow, state: accepting, within: 4wh, if: accept_limit}"
    assert text.count(old) == 1
    text = text.replace(old, old.replace("4wh", "2wh"))
    text = text.replace("schedules:\n", "schedules:" + NEW_SCHEDULE, 1)
    timing.write_text(text, encoding="utf-8")
    flows = folder / "workflows.yaml"
    text = flows.read_text(encoding="utf-8")
    text = re.sub(r"      paused:\n        label: .*\n        paused: true.*\n", "", text)
    for name in ("hold", "resume"):
        text = re.sub(rf"      - name: {name}\n(        .*\n|          .*\n)+", "", text)
    text = text.replace(", paused]", "]").replace("paused, ", "")
    flows.write_text(text, encoding="utf-8")
    (folder / "scenarios" / "paused_sanitation.yaml").unlink()  # it walks through `paused`
    roles = folder / "roles.yaml"
    text = roles.read_text(encoding="utf-8")
    old = '    can: [view, "create:event"]'
    assert text.count(old) == 1
    roles.write_text(text.replace(old, '    can: ["view:event", "create:event"]'),
                     encoding="utf-8")
    assessment = folder / "assessment.yaml"
    text = assessment.read_text(encoding="utf-8")
    old = "30 * (on_time_feedback if on_time_feedback != null else 1)"
    assert text.count(old) == 1
    assessment.write_text(text.replace(old, old.replace("else 1", "else 0.5")),
                          encoding="utf-8")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A seeded community database and an edited copy of its folder."""
    root = tmp_path_factory.mktemp("preview")
    url = f"sqlite:///{root / 'community.sqlite3'}"
    deployment = load_deployment(CONFIGS / "community")
    migrate(url, deployment, echo=lambda _: None)
    engine = make_engine(url)
    seed_demo(engine, deployment, records=300, echo=lambda _: None)
    engine.dispose()
    edited = root / "community"
    shutil.copytree(CONFIGS / "community", edited)
    _edit(edited)
    return edited, url


def test_the_preview_lists_what_the_edit_would_do(seeded: tuple[Path, str]) -> None:
    folder, url = seeded
    engine = make_engine(url)
    schema = build_schema(load_deployment(CONFIGS / "community"))
    table = schema.table("event")
    with engine.connect() as conn:
        accepting = conn.execute(select(func.count()).select_from(table).where(
            table.c.state == "accepting", table.c.deadline.is_not(None))).scalar_one()
        paused = conn.execute(select(func.count()).select_from(table).where(
            table.c.state == "paused")).scalar_one()
        holders = conn.execute(select(func.count()).select_from(schema.system("grants"))
                               .where(schema.system("grants").c.role == "building_head")
                               ).scalar_one()
        assert accepting and paused, "the seed left records in both states"
        head = load_user(conn, schema, "building_head")
        lost = ("household", "info_report", "inspection", "organization", "patrol",
                "resident", "visit")
        in_sight = sum(conn.execute(select(func.count()).select_from(schema.table(name))
                                    .where(scope_filter(head, schema.table(name))))
                       .scalar_one() for name in lost)
    try:
        previewed = preview(engine, load_deployment(folder))
    finally:
        engine.dispose()
    found = previewed.as_json()
    assert found["compared_with"] == "database"
    assert found["migration"] == []
    moved = [m for m in found["moved"] if m["register"] == "event" and m["state"] == "accepting"]
    assert len(moved) == found["moved_counts"]["earlier"] > 0
    assert all(m["hours"] < 0 for m in moved), "a shorter limit brings deadlines forward"
    # Severity 'major' and 'urgent' keep their own, shorter limits: not every record moves.
    assert len(moved) <= accepting
    assert found["orphaned"] == {"event": {"paused": paused}}
    assert found["schedules"] == {"added": ["weekly_report"], "removed": [], "changed": []}
    assert [(d["schedule"], d["before"]) for d in found["duties"]] == [("weekly_report", 0)]
    assert found["duties"][0]["after"] > 0
    assert found["sheets"] and all(0 < s["differ"] <= s["lines"] for s in found["sheets"])
    role = next(r for r in found["access"] if r["role"] == "building_head")
    assert role["users"] == holders == 1
    assert role["lose"] == list(lost) and role["records_lost"] == in_sight > 0

    text = "\n".join(report(previewed))
    assert f"states removed: {paused} event record(s) in 'paused'" in text
    assert "schedules added: weekly_report" in text
    assert (f"access: 1 user(s) of role building_head: lose {', '.join(lost)} "
            f"({in_sight} record(s))") in text
    sheet = found["sheets"][0]
    assert (f"score sheets: {sheet['differ']} of {sheet['lines']} line(s) of "
            f"{sheet['subjects']} ({sheet['period']}) would score differently") in text

    code, out, _ = run_cli("preview", str(CONFIGS / "community"), "--db", url, "--json")
    unchanged = json.loads(out)
    assert unchanged["moved"] == [] and unchanged["orphaned"] == {}
    assert unchanged["access"] == [] and unchanged["schedules"]["added"] == []
    assert unchanged["duties"] == [] and unchanged["sheets"] == []
