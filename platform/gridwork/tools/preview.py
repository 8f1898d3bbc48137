"""What an edited configuration would do to live data, before it is applied: deadlines of
open records that move, records left in states that disappear, schedules added or removed
and the duties each asks for in its current period, roles whose users gain or lose
registers, the current period's score sheets whose lines would change, and the migration
steps still pending. Duties and sheets are counted with the duties' and the assessment's
own planning and scoring functions, read-only.

The configuration the database runs is the one `gridwork migrate` (or a reload) stored
with its version; a database migrated before the files were kept is compared with a
folder given instead (``--from``), or only with its live records.

A record's stay is taken to start at its latest move into its current state; time spent
in a paused state since is not subtracted, so a deadline that a pause moved on shows as
moving by the paused time.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, or_, select
from sqlalchemy.exc import SQLAlchemyError

from ..assessment.metrics import CannotAssess
from ..assessment.periods import period_of
from ..assessment.sheet import Sheet, compute
from ..assessment.subjects import spec_key
from ..config import Deployment, load_deployment
from ..duties.generate import preview as planned_duties
from ..duties.periods import period_at
from ..config.sql import NotInSQL
from ..hierarchy import ancestor_codes
from ..runtime import Runtime
from ..storage import Schema, build_schema
from ..storage.migration import migrate
from ..storage.version import applied_config
from ..time.deadlines import Deadlines

SHOWN = 50
"""Records listed by name per kind of change; the counts cover all."""


@dataclass
class Moved:
    """An open record whose deadline the edit would move."""

    register: str
    id: int
    state: str
    before: str | None
    after: str | None
    hours: float | None
    """How far it moves (negative: earlier); None when it gains or loses its deadline."""


@dataclass
class Preview:
    """Everything `gridwork preview` reports."""

    running: str | None
    """The hash of the configuration the database runs."""
    edited: str
    compared_with: str
    """Where the running configuration came from: `database`, a folder, or `none`."""
    migration: list[str] = field(default_factory=list)
    moved: list[Moved] = field(default_factory=list)
    moved_counts: dict[str, int] = field(default_factory=dict)
    """earlier, later, gained, lost."""
    orphaned: dict[str, dict[str, int]] = field(default_factory=dict)
    """Open records by register and state, for states the edit removes."""
    schedules: dict[str, list[str]] = field(default_factory=dict)
    """added, removed, changed."""
    duties: list[dict[str, Any]] = field(default_factory=list)
    """Per schedule whose current period would ask for a different number of duties: its
    period and the duties before and after (0 for a schedule added or removed)."""
    access: list[dict[str, Any]] = field(default_factory=list)
    """Per role: users holding it, the registers they gain or lose sight of and the records
    in those registers within their areas."""
    sheets: list[dict[str, Any]] = field(default_factory=list)
    """Per subject set and current period whose sheet would change: its subjects and how
    many of their lines would score, grade or veto differently."""
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The JSON `--json` prints."""
        return asdict(self)


def preview(engine: Engine, edited: Deployment, *, running_folder: Path | None = None,
            now: dt.datetime | None = None) -> Preview:
    """Compare the configuration ``engine``'s database runs with ``edited`` (the current
    periods are those holding ``now``, default: now)."""
    now = now or dt.datetime.now(dt.UTC)
    new_schema = build_schema(edited)
    with engine.connect() as conn:
        applied = applied_config(conn, new_schema)
    running, source = _running(applied.files if applied else {}, running_folder)
    result = Preview(applied.hash if applied else None, edited.source_hash, source)
    lines: list[str] = []
    migrate(engine, edited, plan_only=True, echo=lines.append, schema=new_schema)
    result.migration = [line.strip() for line in lines[1:]
                        if line.strip() and "nothing to change" not in line]
    with engine.connect() as conn:
        _deadlines(conn, running, edited, new_schema, result)
        _orphans(conn, edited, new_schema, result)
        if running is not None:
            _access(conn, running, edited, new_schema, result)
    if running is not None:
        result.schedules = _schedules(running, edited)
        if running.source_hash != edited.source_hash:  # else no count or score can differ
            old, new = Runtime.build(running), Runtime.build(edited)
            _duties(engine, old, new, now, result)
            _sheets(engine, old, new, now, result)
    else:
        result.notes.append("the database keeps no copy of the configuration it runs: "
                            "schedules, duties, access and score sheets are not compared "
                            "(give the folder it runs with --from)")
    return result


def _running(files: Mapping[str, bytes], folder: Path | None) -> tuple[Deployment | None, str]:
    """The running configuration: from a folder when given, else from the stored files."""
    if folder is not None:
        return load_deployment(folder), str(folder)
    if not files:
        return None, "none"
    with tempfile.TemporaryDirectory(prefix="gridwork-running-") as tmp:
        for name, data in files.items():
            path = Path(tmp) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        return load_deployment(tmp), "database"


def _deadlines(conn: Connection, running: Deployment | None, edited: Deployment,
               schema: Schema, result: Preview) -> None:
    """Plan each open record's current stay with the running and the edited limits (or,
    without the running configuration, compare with the deadline the record holds)."""
    deadlines = Deadlines(edited)
    old = Deadlines(running) if running is not None else None
    history, nodes = schema.system("history"), schema.system("nodes")
    settings = _switch_settings(conn, schema)
    counts: Counter[str] = Counter()
    moved: list[Moved] = []
    for register, spec in edited.registers.items():
        if spec.workflow is None:
            continue
        flow = edited.workflows[spec.workflow]
        open_states = [s for s, state in flow.states.items() if not state.final]
        rows = schema.table(register)
        entered = (select(history.c.record, func.max(history.c.at).label("at"))
                   .join(rows, and_(rows.c.id == history.c.record,
                                    rows.c.state == history.c.to_state))
                   .where(history.c.register == register).group_by(history.c.record)
                   .subquery())
        query = (select(rows.c.id, rows.c.state, rows.c.category, rows.c.severity,
                        rows.c.deadline, entered.c.at, nodes.c.path)
                 .join(entered, entered.c.record == rows.c.id)
                 .join(nodes, nodes.c.id == rows.c.node)
                 .where(rows.c.state.in_(open_states)))
        for row in conn.execute(query):
            switches = _switches_at(flow.switches, settings.get(spec.workflow, {}), row.path)
            try:
                plan = deadlines.plan(spec.workflow, row.state, _aware(row.at), row.category,
                                      row.severity, None, switches)
                before = (_aware(row.deadline) if row.deadline is not None else None) \
                    if old is None else _planned(old, spec.workflow, row, switches)
            except KeyError:  # a category or workflow one side lacks: not comparable
                continue
            if plan is not None and plan.limit.until is not None:
                continue
            after = plan.deadline if plan is not None else None
            if before == after:
                continue
            if before is None or after is None:
                kind, hours = ("gained" if before is None else "lost"), None
            else:
                hours = round((after - before).total_seconds() / 3600, 2)
                kind = "earlier" if hours < 0 else "later"
            counts[kind] += 1
            moved.append(Moved(register, row.id, row.state, _text(before), _text(after), hours))
    moved.sort(key=lambda m: (m.hours is not None, -abs(m.hours or 0)))
    result.moved, result.moved_counts = moved[:SHOWN], dict(counts)


def _planned(deadlines: Deadlines, workflow: str, row: Any,
             switches: Mapping[str, bool]) -> dt.datetime | None:
    """The deadline the running configuration plans for the record's stay."""
    flow = deadlines.deployment.workflows[workflow]
    if row.state not in flow.states:
        raise KeyError(row.state)
    plan = deadlines.plan(workflow, row.state, _aware(row.at), row.category, row.severity,
                          None, {**switches, **{k: v for k, v in flow.switches.items()
                                                if k not in switches}})
    return plan.deadline if plan is not None else None


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _text(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(dt.UTC).isoformat()


def _switch_settings(conn: Connection, schema: Schema) -> dict[str, dict[str, dict[str, bool]]]:
    """Switches set for subtrees: by workflow, the node code, each switch's value."""
    found: dict[str, dict[str, dict[str, bool]]] = {}
    switches, nodes = schema.system("switches"), schema.system("nodes")
    try:
        rows = conn.execute(select(switches.c.workflow, switches.c.name, switches.c.on,
                                   nodes.c.code).join(nodes, nodes.c.id == switches.c.node))
        for flow, name, on, code in rows:
            found.setdefault(flow, {}).setdefault(code, {})[name] = bool(on)
    except Exception:  # noqa: BLE001 - a database without the table has no settings
        conn.rollback()
    return found


def _switches_at(configured: Mapping[str, bool], settings: Mapping[str, Mapping[str, bool]],
                 path: str) -> dict[str, bool]:
    values = dict(configured)
    for code in ancestor_codes(path):
        for name, on in settings.get(code, {}).items():
            if name in values:
                values[name] = on
    return values


def _orphans(conn: Connection, edited: Deployment, schema: Schema, result: Preview) -> None:
    """Open records in states the edited workflow no longer has (set-based, per register)."""
    for register, spec in edited.registers.items():
        if spec.workflow is None:
            continue
        states = list(edited.workflows[spec.workflow].states)
        rows = schema.table(register)
        counted = conn.execute(select(rows.c.state, func.count()).where(
            rows.c.state.is_not(None), rows.c.state.not_in(states)).group_by(rows.c.state))
        found = {state: int(n) for state, n in counted}
        if found:
            result.orphaned[register] = found


def _schedules(running: Deployment, edited: Deployment) -> dict[str, list[str]]:
    old = {s.name: s for s in running.schedules}
    new = {s.name: s for s in edited.schedules}
    return {"added": sorted(set(new) - set(old)), "removed": sorted(set(old) - set(new)),
            "changed": sorted(n for n in set(old) & set(new) if old[n] != new[n])}


def _duties(engine: Engine, old: Runtime, new: Runtime, now: dt.datetime,
            result: Preview) -> None:
    """Per schedule: the duties its current period asks for, as running and as edited."""
    names = list(dict.fromkeys(s.name for rt in (old, new) for s in rt.deployment.schedules))
    for name in names:
        counts: list[int] = []
        period = ""
        for runtime in (old, new):
            schedule = next((s for s in runtime.deployment.schedules if s.name == name), None)
            if schedule is None:
                counts.append(0)
                continue
            current = period_at(schedule.period, now, runtime.calendar)
            period = current.key
            try:
                with engine.connect() as conn:
                    counts.append(planned_duties(conn, runtime, schedule, current, now).duties)
            except (SQLAlchemyError, NotInSQL) as err:
                result.notes.append(f"duties of {name}: not counted ({_first_line(err)}); "
                                    "migrate first")
                break
        else:
            if counts[0] != counts[1]:
                result.duties.append({"schedule": name, "period": period,
                                      "before": counts[0], "after": counts[1]})


def _sheets(engine: Engine, old: Runtime, new: Runtime, now: dt.datetime,
            result: Preview) -> None:
    """Per subject set: the current period's sheet as running and as edited, line by line."""
    sides = [_subject_sets(runtime) for runtime in (old, new)]
    for key in dict.fromkeys([*sides[0], *sides[1]]):
        sheets: list[Sheet | None] = []
        kind = (sides[1].get(key) or sides[0][key])[1]
        try:
            with engine.connect() as conn:
                for runtime, found in zip((old, new), sides, strict=True):
                    if key not in found:
                        sheets.append(None)
                        continue
                    subject, _ = found[key]
                    d = runtime.deployment
                    sheets.append(compute(conn, d, runtime.schema, subject,
                                          period_of(kind, now, runtime.zone), now))
        except (SQLAlchemyError, CannotAssess) as err:
            result.notes.append(f"score sheets of {key}: not compared ({_first_line(err)})")
            continue
        before, after = (_scored(sheet) for sheet in sheets)
        subjects = set(before) | set(after)
        differ = sum(1 for who in subjects if before.get(who) != after.get(who))
        if differ:
            result.sheets.append({"subjects": key, "period": period_of(kind, now, new.zone).key,
                                  "lines": len(subjects), "differ": differ})


def _subject_sets(runtime: Runtime) -> dict[str, tuple[Any, str]]:
    """A deployment's subject sets by key, each with the shortest period it is scored for."""
    assessment = runtime.deployment.assessment
    if assessment is None:
        return {}
    return {spec_key(subject): (subject, assessment.periods[0])
            for subject in assessment.subjects}


def _scored(sheet: Sheet | None) -> dict[Any, tuple[Any, ...]]:
    """Each subject's score, grade and veto on a sheet."""
    if sheet is None:
        return {}
    return {line.who.id: (line.score, line.grade, line.veto) for line in sheet.lines}


def _first_line(err: Exception) -> str:
    return str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__


def _access(conn: Connection, running: Deployment, edited: Deployment, schema: Schema,
            result: Preview) -> None:
    """Per role whose sight of registers changes: how many active users hold it, and how
    many records come into or go out of their sight (within their grants' areas)."""
    grants, users = schema.system("grants"), schema.system("users")
    holders = dict(conn.execute(
        select(grants.c.role, func.count(func.distinct(grants.c.user)))
        .join(users, users.c.id == grants.c.user).where(users.c.active.is_(True))
        .group_by(grants.c.role)).all())
    live = build_schema(running)
    for role in sorted(set(running.roles) | set(edited.roles)):
        before = _sees(running, role)
        after = _sees(edited, role)
        scope_changed = (role in running.roles and role in edited.roles
                         and running.roles[role].scope != edited.roles[role].scope)
        if before == after and not scope_changed:
            continue
        spec = edited.roles.get(role) or running.roles[role]
        users_of_role = int(holders.get(role, 0))
        result.access.append({
            "role": role, "users": users_of_role,
            "gain": sorted(after - before), "lose": sorted(before - after),
            "records_gained": _seen(conn, live, role, spec.scope, after - before)
            if users_of_role else 0,
            "records_lost": _seen(conn, live, role, spec.scope, before - after)
            if users_of_role else 0,
            "scope": edited.roles[role].scope if scope_changed else None})


def _seen(conn: Connection, schema: Schema, role: str, scope: str,
          registers: set[str]) -> int:
    """Records of ``registers`` (those the database has) that at least one active holder of
    ``role`` has in their grants' areas, as the scope filter reads a grant."""
    grants, users, nodes = (schema.system(n) for n in ("grants", "users", "nodes"))
    held, place = nodes.alias("held"), nodes.alias("place")
    total = 0
    for register in sorted(registers & set(schema.registers)):
        table = schema.table(register)
        at_node = (place.c.id == held.c.id if scope == "node" else
                   func.substr(place.c.path, 1, func.length(held.c.path)) == held.c.path)
        territorial = and_(grants.c.node.is_not(None), at_node)
        if "department" in table.c:
            area = or_(and_(grants.c.department.is_not(None),
                            table.c.department == grants.c.department),
                       and_(grants.c.department.is_(None), territorial))
        else:
            area = territorial
        holder = (select(grants.c.id).join(users, users.c.id == grants.c.user)
                  .outerjoin(held, held.c.id == grants.c.node)
                  .where(grants.c.role == role, users.c.active.is_(True), area))
        total += conn.execute(select(func.count()).select_from(table)
                              .join(place, place.c.id == table.c.node)
                              .where(holder.exists())).scalar_one()
    return int(total)


def _sees(deployment: Deployment, role: str) -> set[str]:
    spec = deployment.roles.get(role)
    if spec is None:
        return set()
    return {name for name in deployment.registers
            if "view" in spec.can or f"view:{name}" in spec.can}


def report(found: Preview) -> list[str]:
    """The preview as lines of text."""
    lines = [f"running config {(found.running or 'none')[:12]} (compared with "
             f"{found.compared_with}), edited {found.edited[:12]}"]
    lines.append("migration: " + ("none pending" if not found.migration else
                                  f"{len(found.migration)} step(s)"))
    lines += [f"  {line}" for line in found.migration]
    counts = found.moved_counts
    lines.append(f"deadlines: {sum(counts.values())} open record(s) would change — "
                 f"{counts.get('earlier', 0)} earlier, {counts.get('later', 0)} later, "
                 f"{counts.get('gained', 0)} gain one, {counts.get('lost', 0)} lose theirs")
    for m in found.moved:
        shift = f"{m.hours:+g} h" if m.hours is not None else ("new" if m.before is None
                                                                else "none")
        lines.append(f"  {m.register} #{m.id} ({m.state}): {m.before or '-'} -> "
                     f"{m.after or '-'} ({shift})")
    if found.orphaned:
        for register, states in found.orphaned.items():
            for state, n in states.items():
                lines.append(f"states removed: {n} {register} record(s) in '{state}', "
                             "which the edited workflow lacks")
    else:
        lines.append("states removed: no record is in a state the edit removes")
    for kind in ("added", "removed", "changed"):
        if found.schedules.get(kind):
            lines.append(f"schedules {kind}: {', '.join(found.schedules[kind])}")
    for duty in found.duties:
        change = duty["after"] - duty["before"]
        lines.append(f"duties: schedule {duty['schedule']} ({duty['period']}) would ask for "
                     f"{duty['after']} instead of {duty['before']} ({change:+d})")
    for role in found.access:
        parts = [f"gain {', '.join(role['gain'])} ({role['records_gained']} record(s))"
                 if role["gain"] else "",
                 f"lose {', '.join(role['lose'])} ({role['records_lost']} record(s))"
                 if role["lose"] else "",
                 f"scope now {role['scope']}" if role["scope"] else ""]
        lines.append(f"access: {role['users']} user(s) of role {role['role']}: "
                     + "; ".join(p for p in parts if p))
    for sheet in found.sheets:
        lines.append(f"score sheets: {sheet['differ']} of {sheet['lines']} line(s) of "
                     f"{sheet['subjects']} ({sheet['period']}) would score differently")
    lines += [f"note: {note}" for note in found.notes]
    return lines
