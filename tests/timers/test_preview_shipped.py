"""`gridwork preview` on a seeded copy of the safety and environment deployments (the
community one is in test_preview.py), each with three kinds of edit: a shorter limit, a
removed (paused) state and a new schedule — each listed before anything is applied; the
environment one also narrows a role kept to its own village, on PostgreSQL."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select
from support import CONFIGS

from gridwork.config import check, load_deployment
from gridwork.demo.seed import seed_demo
from gridwork.hierarchy import scope_filter
from gridwork.storage import build_schema, make_engine, migrate
from gridwork.tools.preview import preview, report
from gridwork.workflow import load_user


@dataclass(frozen=True)
class Edit:
    """Where each of the three edits goes in one shipped deployment."""

    limit: tuple[str, str, str]
    """The file, a limit rule as written, and the shorter limit it gets."""
    register: str
    state_file: str
    state: str
    """A paused state to remove, with the transitions in and out of it."""
    transitions: tuple[str, ...]
    scenario: str
    """The scenario that walks through the state (removed with it)."""
    backend: str = "sqlite"
    role: tuple[str, str, str] | None = None
    """A role, its `can:` as written in deployment.yaml, and the register it keeps sight of
    when narrowed to it."""


EDITS = {
    "safety": Edit(("timing.yaml", "{workflow: hazard_flow, state: accepting, within: 1wd, "
                    "if: time_accept}", "4wh"), "hazard", "workflows.yaml", "suspended",
                   ("suspend", "resume"), "suspended_hazchem.yaml"),
    "environment": Edit(("timing.yaml", "{workflow: env_flow, state: rejected, within: 2wd}",
                         "1wd"), "pollution_event", "workflow.yaml",
                        "monitoring", ("await_monitoring", "monitoring_done"),
                        "monitoring_pause.yaml", "postgresql",
                        ("env_grid_worker", "can: [view, create:pollution_event, create:patrol, "
                         "edit:patrol, edit:pollution_source]", "pollution_event")),
}


def _edit(folder: Path, edit: Edit) -> str:
    """Apply the three edits; return the new schedule's name."""
    name, rule, shorter = edit.limit
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert text.count(rule) == 1
    text = text.replace(rule, re.sub(r"within: \w+", f"within: {shorter}", rule))
    # A new schedule: the first one again, weekly, under a name of its own.
    first = re.search(r"(?m)^  - name: (\w+)\n(?:(?!  - name:|\S).*\n)+", text)
    assert first is not None
    copy = first.group(0).replace(f"name: {first.group(1)}", "name: weekly_copy", 1)
    copy = re.sub(r"(?m)^    every: \w+$", "    every: week", copy)
    copy = re.sub(r"(?m)^    times: \d+\n", "", copy)
    text = text.replace(first.group(0), first.group(0) + copy, 1)
    path.write_text(text, encoding="utf-8")
    flows = folder / edit.state_file
    text = flows.read_text(encoding="utf-8")
    text = re.sub(rf"(?m)^      {edit.state}:\n(?:        .*\n)+", "", text)
    text = re.sub(rf"(?m)^      {edit.state}: .*\n", "", text)
    for transition in edit.transitions:
        text = re.sub(rf"(?m)^      - name: {transition}\n(?:        .*\n)+", "", text)
    text = text.replace(f", {edit.state}]", "]").replace(f"{edit.state}, ", "")
    flows.write_text(text, encoding="utf-8")
    (folder / "scenarios" / edit.scenario).unlink()
    if edit.role is not None:
        _, can, kept = edit.role
        main = folder / "deployment.yaml"
        text = main.read_text(encoding="utf-8")
        assert text.count(can) == 1
        main.write_text(text.replace(can, can.replace("[view,", f'["view:{kept}",')),
                        encoding="utf-8")
    return "weekly_copy"


@pytest.fixture(params=list(EDITS))
def edited(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, Path, str]:
    """A seeded database of the deployment (on its backend) and an edited copy of its
    folder; skipped on PostgreSQL without one."""
    name = request.param
    root = tmp_path
    url = (f"sqlite:///{root / 'db.sqlite3'}" if EDITS[name].backend == "sqlite"
           else request.getfixturevalue("pg_schema")())
    deployment = load_deployment(CONFIGS / name)
    migrate(url, deployment, echo=lambda _: None)
    engine = make_engine(url)
    seed_demo(engine, deployment, records=300, echo=lambda _: None)
    engine.dispose()
    folder = root / name
    shutil.copytree(CONFIGS / name, folder)
    _edit(folder, EDITS[name])
    return name, folder, url


def test_each_edit_is_listed(edited: tuple[str, Path, str]) -> None:
    name, folder, url = edited
    edit = EDITS[name]
    result = check(folder)
    assert result.deployment is not None, [p.format() for p in result.errors]
    running = load_deployment(CONFIGS / name)
    schema = build_schema(running)
    table = schema.table(edit.register)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            held = conn.execute(select(func.count()).select_from(table).where(
                table.c.state == edit.state)).scalar_one()
            if edit.role is not None:
                user = load_user(conn, schema, edit.role[0])
                lost = sorted(set(running.registers) - {edit.role[2]})
                in_sight = sum(conn.execute(
                    select(func.count()).select_from(schema.table(register))
                    .where(scope_filter(user, schema.table(register)))).scalar_one()
                    for register in lost)
        found = preview(engine, result.deployment)
    finally:
        engine.dispose()
    assert found.migration == []
    state = re.search(r"state: (\w+)", edit.limit[1])
    assert state is not None
    moved = [m for m in found.moved if m.state == state.group(1)]
    assert moved and all(m.hours is not None and m.hours < 0 for m in moved)
    assert found.moved_counts.get("later", 0) == 0
    if held:
        assert found.orphaned == {edit.register: {edit.state: held}}
    else:  # the seed left nobody there: nothing is orphaned, and the preview says so
        assert found.orphaned == {}
    assert found.schedules["added"] == ["weekly_copy"]
    [duties] = [d for d in found.duties if d["schedule"] == "weekly_copy"]
    assert duties["before"] == 0 < duties["after"] and re.fullmatch(r"\d{4}-W\d\d",
                                                                    duties["period"])
    if edit.role is not None:
        [role] = [r for r in found.access if r["role"] == edit.role[0]]
        assert (role["users"], role["gain"], role["lose"]) == (1, [], lost)
        assert role["records_lost"] == in_sight > 0 and role["records_gained"] == 0
    text = "\n".join(report(found))
    assert f"duties: schedule weekly_copy ({duties['period']}) would ask for " \
           f"{duties['after']} instead of 0 (+{duties['after']})" in text
