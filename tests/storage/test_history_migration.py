"""Upgrading a database from before typed history: `gridwork migrate` adds the `kind`
column and fills it for every old row, moves sign-ins kept as history rows into their own
table (so lock-outs still count them), and `serve` refuses the database until then."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, insert, select
from storage_support import NOW

from gridwork import auth
from gridwork.config import Deployment
from gridwork.storage import DatabaseBehind, ensure_current, migrate
from gridwork.storage.schema import Schema, build_schema

OLD_ROWS = [  # (register, action, from_state, to_state, expected kind)
    ("case", "create", None, "open", "created"),
    ("case", "close", "open", "closed", "moved"),
    ("case", "edit", "closed", "closed", "edited"),
    ("case", "overdue", None, None, "overdue"),
    ("case", "escalate", None, None, "escalated"),
    ("case", "move_up", None, None, "moved_up"),
    ("case", "supervise", None, None, "supervised"),
    ("case", "notify_hotline", None, None, "plugin_action"),
    ("place", "import", None, None, "imported"),
    ("_node", "move", None, None, "regridded"),
]


def _make_old(engine: Engine, schema: Schema) -> int:
    """Turn a migrated database into one from before the `kind` column and the signins
    table, holding old rows; return the id of the user who signed in."""
    history = schema.system("history")
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE signins")
        conn.exec_driver_sql("ALTER TABLE history DROP COLUMN kind")
        user = int(conn.execute(insert(schema.system("users")).values(
            username="leader1", display_name="Leader", created_at=NOW)
        ).inserted_primary_key[0])
        for number, (register, action, start, end, _) in enumerate(OLD_ROWS):
            conn.execute(insert(history).values(
                register=register, record=number + 1, at=NOW, action=action,
                from_state=start, to_state=end))
        for second, (action, actor, name) in enumerate((("signin_failed", None, "leader1"),
                                                        ("signin_failed", None, "nobody"),
                                                        ("signin", user, "leader1"),
                                                        ("signin_failed", None, "leader1"))):
            conn.execute(insert(history).values(
                register="_signin", record=0, actor=actor,
                at=NOW + dt.timedelta(seconds=second), action=action, comment=name))
    return user


def test_migrate_types_old_history_and_moves_sign_ins(migrated: Deployment, engine: Engine,
                                                     db_url: str) -> None:
    schema = build_schema(migrated)
    user = _make_old(engine, schema)
    with pytest.raises(DatabaseBehind, match="signins.*run: gridwork migrate"):
        ensure_current(engine, migrated)

    lines: list[str] = []
    migrate(db_url, migrated, echo=lines.append)
    plan = "\n".join(lines)
    assert "add table signins" in plan and "add column history.kind" in plan
    assert "move 4 sign-in(s) from history to the signins table" in plan
    assert f"fill the kind of {len(OLD_ROWS)} history row(s)" in plan
    ensure_current(engine, migrated)

    history, signins = schema.system("history"), schema.system("signins")
    with engine.connect() as conn:
        kinds = conn.execute(select(history.c.action, history.c.kind)
                             .order_by(history.c.id)).all()
        moved = conn.execute(select(signins.c.username, signins.c.user, signins.c.ok)
                             .order_by(signins.c.id)).all()
        # The failure after the success still counts toward a lock-out; the earlier
        # one does not, as before the upgrade.
        failures = auth.failures(conn, schema, "leader1", NOW + dt.timedelta(minutes=1))
    assert [(a, k) for a, k in kinds] == [(row[1], row[4]) for row in OLD_ROWS]
    assert [tuple(r) for r in moved] == [("leader1", None, False), ("nobody", None, False),
                                         ("leader1", user, True), ("leader1", None, False)]
    assert failures == 1

    again: list[str] = []
    migrate(db_url, migrated, echo=again.append)
    assert again[1:] == ["  nothing to change"], again
