"""What a record page shows of its workflow: state and deadline, supervisions (督办), the
timeline by round, and the forms of the actions the user may take now.

Everything here is read from the workflow engine; nothing is decided here."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from .. import workflow
from ..auth import User
from .display import Names, photos, show, state_label, when
from .site import Site
from .widgets import FieldView, FormState, build_views

SYSTEM_VALUES = ("department", "assignee", "priority")
"""Values an action may ask for that are the record's own, not a field of its register."""

_PLAIN_ACTIONS = {"create": "created", "edit": "edited", "supervise": "supervision opened",
                  "overdue": "deadline passed", "remind": "reminder sent",
                  "escalate": "escalated", "move_up": "moved up a level",
                  "priority": "priority raised"}
"""History actions that are no transition of the workflow (people's and the timer
sweep's), as the timeline names them; any other shows as its own name."""


@dataclass(frozen=True)
class Change:
    """One value a step set: its label, text and photos."""

    label: str
    text: str
    photos: list[str]


@dataclass(frozen=True)
class TimelineEntry:
    """One history row as the timeline shows it."""

    at: str
    actor: str
    action: str
    from_state: str
    to_state: str
    comment: str
    changes: list[Change]
    by_system: bool


@dataclass
class Round:
    """The steps of one round (a return for a second round starts the next)."""

    number: int
    steps: list[TimelineEntry] = field(default_factory=list)


@dataclass
class Extra:
    """A record value an action asks for that is no field (department, assignee, priority)."""

    name: str
    label: str
    options: list[tuple[str, str]]
    value: str
    errors: list[str]


@dataclass
class ActionForm:
    """An opened action (or supervision): where it posts, what it asks for, what was typed."""

    name: str
    label: str
    url: str
    version: int | None
    fields: list[FieldView]
    extras: list[Extra]
    comment: str = ""
    comment_required: bool = False
    errors: dict[str, list[str]] = field(default_factory=dict)
    available: bool = True
    """False when the record moved on and the action no longer applies (after a conflict)."""


def record_url(register: str, record_id: int) -> str:
    """The record page's address."""
    return f"/registers/{register}/{record_id}"


def action_names(site: Site, register: str) -> dict[str, str]:
    """Every action a timeline may show, by name: the workflow's transitions and the rest."""
    spec = site.deployment.registers[register]
    names = {name: site.t(text) for name, text in _PLAIN_ACTIONS.items()}
    if spec.workflow:
        locale = site.locale
        for transition in site.deployment.workflows[spec.workflow].transitions:
            names[transition.name] = (transition.label.text(locale) if transition.label
                                      else transition.name)
    return names


def workflow_context(conn: Connection, site: Site, user: User, record: workflow.Record,
                     names: Names, unmask: bool) -> dict[str, Any]:
    """The record page's workflow part: state, deadline, supervisions, timeline, buttons."""
    register, record_id = record.register, record.id
    actions = workflow.available_actions(conn, site.runtime, user, register,
                                         record_id, clock=site.clock, record=record)
    return {
        "wf": record,
        "deadline": when(site, record.deadline),
        "overdue": workflow.is_overdue(site.deployment, record, site.clock()),
        "priority": _choice_label(site, "priority", record.priority),
        "department": _department_label(site, record.department),
        "supervisions": _supervisions(conn, site, register, record_id),
        "rounds": timeline_rounds(conn, site, register, record_id, names, unmask),
        "actions": actions,
        "can_supervise": workflow.may_supervise(site.deployment, site.schema, user, record),
    }


def timeline_rounds(conn: Connection, site: Site, register: str, record_id: int,
                    names: Names, unmask: bool) -> list[Round]:
    """The record's history, oldest first, by round; rows without a round join the one
    before them."""
    entries = workflow.timeline(conn, site.schema, register, record_id)
    people = _display_names(conn, site, [e.actor for e in entries] + [
        (e.after or {}).get("assignee") for e in entries])
    labels = action_names(site, register)
    rounds: list[Round] = []
    for entry in entries:
        number = entry.round or (rounds[-1].number if rounds else 1)
        if not rounds or rounds[-1].number != number:
            rounds.append(Round(number))
        # A move names where it went; a new record, the state it starts in.
        moved = entry.to_state is not None and entry.from_state != entry.to_state and (
            entry.from_state is not None or entry.action == "create")
        rounds[-1].steps.append(TimelineEntry(
            at=when(site, entry.at),
            actor=people.get(entry.actor, entry.actor_name or "") if entry.actor
            else site.t("System"),
            action=labels.get(entry.action) or site.t(entry.action.replace("_", " ")),
            from_state=state_label(site, register, entry.from_state) if moved else "",
            to_state=state_label(site, register, entry.to_state) if moved else "",
            comment=entry.comment or "",
            changes=_changes(site, register, entry.after or {}, names, people, unmask)
            if entry.action != "create" else [],  # a new record's values are shown above
            by_system=entry.actor is None))
    return rounds


def history_photos(conn: Connection, site: Site, register: str, record_id: int) -> set[str]:
    """Every photo a step of the record's history set, kept for its timeline."""
    table = site.schema.system("history")
    kinds = [f.name for f in site.deployment.registers[register].fields
             if site.schema.field_type(f).files]
    found: set[str] = set()
    for after in conn.execute(select(table.c.after).where(
            table.c.register == register, table.c.record == record_id,
            table.c.after.is_not(None))).scalars():
        for name in kinds:
            found.update(photos(after.get(name)))
    return found


def action_form(conn: Connection, site: Site, user: User, register: str, record_id: int,
                version: int, available: workflow.Available, state: FormState | None = None,
                extras: Mapping[str, str] | None = None, comment: str = "",
                errors: Mapping[str, list[str]] | None = None) -> ActionForm:
    """The form of one action: the fields it asks for, a comment, the record's version."""
    spec = site.deployment.registers[register]
    errors = dict(errors or {})
    wanted = [name for name in available.asks if spec.field(name) is not None]
    views = {view.spec.name: view for view in build_views(
        conn, site, user, register, state or {}, errors, set(wanted))}
    for view in views.values():
        if view.spec.name in available.require:
            view.spec = view.spec.model_copy(update={"required": True})
    given = dict(extras or {})
    return ActionForm(
        name=available.name, label=available.label,
        url=f"{record_url(register, record_id)}/actions/{available.name}", version=version,
        fields=[views[name] for name in wanted],
        extras=[_extra(site, name, given.get(name, ""), errors.get(name, []))
                for name in available.asks if name in SYSTEM_VALUES],
        comment=comment, comment_required="comment" in available.require,
        errors={name: [site.t(text) for text in texts] for name, texts in errors.items()
                if name == "comment" or name in SYSTEM_VALUES})


def supervise_form(site: Site, register: str, record_id: int, reason: str = "",
                   errors: Mapping[str, list[str]] | None = None) -> ActionForm:
    """The form that opens a supervision: a reason."""
    return ActionForm(name="supervise", label=site.t("Supervise"),
                      url=f"{record_url(register, record_id)}/supervise", version=None,
                      fields=[], extras=[], comment=reason, comment_required=True,
                      errors=dict(errors or {}))


def _extra(site: Site, name: str, value: str, errors: list[str]) -> Extra:
    options: list[tuple[str, str]] = []
    if name == "department":
        options = [(d.code, site.label(d.name, d.code)) for d in site.deployment.departments]
    elif name == "priority":
        options = [(code, site.label(text, code))
                   for code, text in site.deployment.choices.get("priority", {}).items()]
    label = {"department": "Department", "assignee": "Assignee", "priority": "Priority"}[name]
    return Extra(name, site.t(label), options, value, [site.t(e) for e in errors])


def _changes(site: Site, register: str, after: Mapping[str, Any], names: Names,
             people: Mapping[int, str], unmask: bool) -> list[Change]:
    """What a step set, as people read it (photos as references for thumbnails)."""
    spec = site.deployment.registers[register]
    out: list[Change] = []
    for name, value in after.items():
        if value in (None, "", []):
            continue
        own = spec.field(name)
        if own is not None and site.schema.field_type(own).files:
            out.append(Change(site.label(own.label, name), "", photos(value)))
        elif own is not None:
            out.append(Change(site.label(own.label, name),
                              show(site, own, value, names, unmask), []))
        elif name == "department":
            out.append(Change(site.t("Department"), _department_label(site, value), []))
        elif name == "assignee":
            out.append(Change(site.t("Assignee"), people.get(value, str(value)), []))
        elif name == "priority":
            out.append(Change(site.t("Priority"), _choice_label(site, "priority", value), []))
        elif name == "node":
            node = site.node_by_code(str(value))
            out.append(Change(site.t("Area"), node.name if node else str(value), []))
        elif name == "to" and isinstance(value, list):
            out.append(Change(site.t("Notified"), "、".join(
                _target_text(site, target) for target in value if isinstance(target, dict)),
                []))
    return out


def _target_text(site: Site, target: Mapping[str, Any]) -> str:
    """A notified role at a node, as people read it."""
    role = str(target.get("role") or "")
    spec = site.deployment.roles.get(role)
    text = site.label(spec.label, role) if spec else role
    node = site.node_by_code(str(target.get("node") or ""))
    return f"{node.name} {text}" if node else text


def _display_names(conn: Connection, site: Site, ids: Iterable[Any]) -> dict[int, str]:
    wanted = {i for i in ids if isinstance(i, int)}
    if not wanted:
        return {}
    users = site.schema.system("users")
    rows = conn.execute(select(users.c.id, users.c.display_name).where(users.c.id.in_(wanted)))
    return {int(user_id): str(name) for user_id, name in rows}


def _supervisions(conn: Connection, site: Site, register: str,
                  record_id: int) -> list[dict[str, str]]:
    rows: list[dict[str, Any]] = workflow.supervisions(conn, site.schema, register, record_id)
    people = _display_names(conn, site, [row["by"] for row in rows])
    return [{"at": when(site, row["at"]),
             "by": people.get(row["by"], "") if row["by"] else site.t("System"),
             "reason": row["reason"] or "",
             "level": site.level_label(row["level"]) if row["level"] else "",
             "resolved": when(site, row["resolved_at"])}
            for row in rows]


def _choice_label(site: Site, choices: str, code: Any) -> str:
    if code is None:
        return ""
    text = site.deployment.choices.get(choices, {}).get(str(code))
    return site.label(text, str(code)) if text is not None else str(code)


def _department_label(site: Site, code: Any) -> str:
    if code is None:
        return ""
    found = site.deployment.department(str(code))
    return site.label(found.name, str(code)) if found else str(code)
