"""Putting messages in a web test's outbox the way the sweep does: through `enqueue`."""

from __future__ import annotations

from sqlalchemy import select
from starlette.testclient import TestClient
from web_support import Clock

from gridwork.notify.outbox import enqueue


def user_id(client: TestClient, username: str) -> int:
    """The id of the demo user ``username``."""
    site = client.app.state.site  # type: ignore[attr-defined]
    users = site.schema.system("users")
    with site.engine.connect() as conn:
        return int(conn.execute(select(users.c.id).where(users.c.username == username))
                   .scalar_one())


def escalate(client: TestClient, clock: Clock, usernames: list[str], record: int,
             step: int = 1, register: str = "event") -> int:
    """Escalate record ``record`` to ``usernames`` (each on their roles' channels) now."""
    site = client.app.state.site  # type: ignore[attr-defined]
    recipients = [user_id(client, name) for name in usernames]
    with site.engine.begin() as conn:
        return enqueue(conn, site.runtime, recipients=recipients, template="escalation",
                       context={"record": {"title": f"楼道堆物 {record}"},
                                "deadline": "2026-11-27 17:30"},
                       cause="escalation", clock=clock, register=register, record=record,
                       step=step, occasion=f"test:{record}:{step}")
