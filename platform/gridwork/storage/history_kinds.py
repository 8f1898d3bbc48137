"""The kinds of change a history row records, and the migration steps that bring rows
written before the `kind` column (and sign-ins once kept as history rows) in line.

The vocabulary sits beside the tables rather than in the workflow package so that
`gridwork migrate` can fill old rows without importing the layer above it; the workflow's
`history` module is the only code that writes new rows.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Connection, case, delete, func, inspect, insert, select, update

from .plan import Migrator, Step
from .schema import Schema
from .system import NODE_SUBJECT


class Kind(StrEnum):
    """What a history row records. A move's `action` is its transition's name; every
    other kind has one action name (`ACTIONS`), which the timeline shows."""

    CREATED = "created"
    MOVED = "moved"
    EDITED = "edited"
    SUPERVISED = "supervised"
    OVERDUE = "overdue"
    REMINDED = "reminded"
    ESCALATED = "escalated"
    MOVED_UP = "moved_up"
    REPRIORITIZED = "reprioritized"
    PLUGIN_ACTION = "plugin_action"
    NO_HOLIDAY_DATA = "no_holiday_data"
    IMPORTED = "imported"
    SEEDED = "seeded"
    REGRIDDED = "regridded"
    DUTY_MISSED = "duty_missed"
    SWITCHED = "switched"


ACTIONS: dict[Kind, str] = {
    Kind.CREATED: "create", Kind.EDITED: "edit", Kind.SUPERVISED: "supervise",
    Kind.OVERDUE: "overdue", Kind.REMINDED: "remind", Kind.ESCALATED: "escalate",
    Kind.MOVED_UP: "move_up", Kind.REPRIORITIZED: "priority",
    Kind.NO_HOLIDAY_DATA: "no_holiday_data", Kind.IMPORTED: "import", Kind.REGRIDDED: "move",
    Kind.DUTY_MISSED: "miss",
    Kind.SWITCHED: "switch",
}
"""The action name each kind writes; moves, seeded rows and plugin actions name their own."""

SIGNIN_SUBJECT = "_signin"
"""The `history.register` of sign-in attempts in databases from before the signins table."""


def history_steps(conn: Connection, schema: Schema) -> list[Step]:
    """Move old sign-in rows out of history, then give every row without a kind its kind
    (the schema steps before these add the `kind` column and the signins table)."""
    present = set(inspect(conn).get_table_names())
    if "history" not in present:
        return []
    history = schema.system("history")
    has_kind = "kind" in {c["name"] for c in inspect(conn).get_columns("history")}
    steps = []
    signins = conn.execute(select(func.count()).select_from(history)
                           .where(history.c.register == SIGNIN_SUBJECT)).scalar_one()
    if signins:
        steps.append(Step(f"move {signins} sign-in(s) from history to the signins table",
                          _move_signins))
    unkinded = select(func.count()).select_from(history).where(
        history.c.register != SIGNIN_SUBJECT)
    if has_kind:
        unkinded = unkinded.where(history.c.kind.is_(None))
    rows = conn.execute(unkinded).scalar_one()
    if rows:
        steps.append(Step(f"fill the kind of {rows} history row(s)", _fill_kinds))
    return steps


def _move_signins(m: Migrator) -> None:
    history, signins = m.schema.system("history"), m.schema.system("signins")
    old = history.c.register == SIGNIN_SUBJECT
    # The attempt's typed name was kept as the comment; the user (when it named one) as
    # the actor; a success as the action `signin`, a failure as `signin_failed`.
    m.conn.execute(insert(signins).from_select(
        ["username", "user", "at", "ok"],
        select(func.coalesce(history.c.comment, ""), history.c.actor, history.c.at,
               history.c.action == "signin").where(old).order_by(history.c.id)))
    m.conn.execute(delete(history).where(old))


def _fill_kinds(m: Migrator) -> None:
    history = m.schema.system("history")
    by_action = {action: kind.value for kind, action in ACTIONS.items()
                 if kind is not Kind.REGRIDDED}
    kind = case((history.c.register == NODE_SUBJECT, Kind.REGRIDDED.value),
                *((history.c.action == action, value) for action, value in by_action.items()),
                (history.c.to_state.is_(None), Kind.PLUGIN_ACTION.value),
                else_=Kind.MOVED.value)
    m.conn.execute(update(history).where(history.c.kind.is_(None)).values(kind=kind))
