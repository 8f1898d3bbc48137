"""The built-in workflow actions (assign, notify, set, supervise, start/stop a timer,
dispatch), offered through `gridwork_workflow_actions` like a plugin's; each is a
function of the step being taken and its argument from the transition's ``actions:``.

Each imports the engine when it runs, so that `gridwork check` learns the names without
loading SQLAlchemy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .plugins import hookimpl

if TYPE_CHECKING:
    from .workflow.actions import Action, Step


def _assign(step: Step, role: Any) -> None:
    from .workflow.dispatch import assignee_for

    user = assignee_for(step.conn, step.schema, str(role), step.record, step.values())
    if user is not None:
        step.changes["assignee"] = user


def _notify(step: Step, targets: Any) -> None:
    from .workflow.notify import as_targets, recipients, send

    about = step.about()
    users = recipients(step.conn, step.schema, about, as_targets(targets))
    record = step.record
    send(step.conn, step.runtime, about, users, cause="transition",
         occasion=f"{step.transition.name}@{record.version}",
         context={"record": record.values, "step": step.label(), "comment": step.comment,
                  "from": record.state, "to": step.transition.to},
         now=step.now)


def _set(step: Step, values: Any) -> None:
    from .workflow.records import department_ids

    register = step.schema.deployment.registers[step.record.register]
    for name, value in dict(values).items():
        if name == "department":
            ids = department_ids(step.conn, step.schema)
            if value not in ids:
                raise LookupError(f"'set' names department '{value}', which does not exist")
            step.changes["department"] = ids[value]
        elif register.field(name) is not None:
            step.changes.update(step.schema.columns(step.record.register, {name: value}))
        else:
            step.changes[name] = value


def _supervise(step: Step, _: Any) -> None:
    from .workflow import supervision

    if not supervision.is_open(step.conn, step.schema, step.record):
        supervision.open_row(step.conn, step.runtime, step.record, by=step.actor,
                             reason=step.comment or step.label(), now=step.now)


def _start_timer(step: Step, state: Any) -> None:
    from .workflow import stays
    from .workflow.switches import switches_at

    record = step.record
    plan = step.runtime.deadlines.plan(step.workflow, str(state), step.now, record.category,
                               record.severity, record.values,
                               switches_at(step.conn, step.schema, step.workflow,
                                           record.node_path))
    if plan is not None:
        stays.write_plan(step.conn, step.schema, record, plan, record.round, step.now)


def _stop_timer(step: Step, state: Any) -> None:
    from .workflow import stays

    stays.cancel(step.conn, step.schema, step.record, str(state), step.now)


def _dispatch(step: Step, _: Any) -> None:
    from .workflow.dispatch import route
    from .workflow.records import department_ids

    workflow = step.schema.deployment.workflows[step.workflow]
    found = route(step.conn, step.runtime, workflow, step.record, step.values(), step.functions)
    if found is None:
        return
    if "department" not in step.given:
        step.changes["department"] = department_ids(step.conn, step.schema)[found.department]
    if found.assignee is not None and "assignee" not in step.given:
        step.changes["assignee"] = found.assignee


@hookimpl
def gridwork_workflow_actions() -> dict[str, Action]:
    """The built-in actions by the name a transition's ``actions:`` uses."""
    return {"assign": _assign, "notify": _notify, "set": _set, "supervise": _supervise,
            "start_timer": _start_timer, "stop_timer": _stop_timer, "dispatch": _dispatch}
