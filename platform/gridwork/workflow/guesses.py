"""Saying so when working time was counted in a year without holiday data.

The deadline is then a guess (New Year's Day may count as a working day), so the record's
history gets a row that says which years, and administrators get a line in the message
log (and their inbox), at most once a day per year, telling them to state that year's
holidays under ``calendar: years``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence

from sqlalchemy import Connection, insert, select

from ..config import Deployment
from ..storage import Schema
from . import history

CAUSE = "calendar"
"""The outbox cause of the administrators' message."""
_ADMIN = "admin"

_TEXT = {
    "zh": ("{years} 年没有节假日数据：本期限把这些年的工作日都按周一至周五计算，法定节假日和调休未计入；"
           "请在配置的 calendar: years 中填写该年的放假和调休安排。"),
    "en": ("No holiday data for {years}: this deadline counts every working weekday of those "
           "years as a working day, missing statutory holidays and adjusted working days; "
           "state them under calendar: years in the config."),
}
_SUBJECT = {
    "zh": "{years} 年节假日数据缺失，期限可能不准",
    "en": "No holiday data for {years}: deadlines may be wrong",
}


def explain(deployment: Deployment, years: Sequence[int]) -> str:
    """The mark's text in the deployment's locale."""
    return _TEXT[deployment.about.locale].format(years=", ".join(map(str, years)))


def mark(conn: Connection, schema: Schema, register: str, record: int, round_: int | None,
         years: Sequence[int], now: dt.datetime) -> None:
    """Write the history row on the record and tell the administrators."""
    if not years:
        return
    d = schema.deployment
    text = explain(d, years)
    history.write(conn, schema, history.Change(history.Kind.NO_HOLIDAY_DATA, register, record,
                                               now, round=round_, comment=text))
    _tell_admins(conn, schema, register, record, years, text, now)


def _tell_admins(conn: Connection, schema: Schema, register: str, record: int,
                 years: Sequence[int], text: str, now: dt.datetime) -> None:
    d = schema.deployment
    roles = [key for key, role in d.roles.items() if _ADMIN in role.can]
    grants, outbox = schema.system("grants"), schema.system("outbox")
    admins = sorted(set(conn.execute(select(grants.c.user).where(grants.c.role.in_(roles)))
                        .scalars())) if roles else []
    inbox = [name for name, channel in d.notifications.channels.items()
             if channel.type == "inbox"]
    channel = inbox[0] if inbox else "log"
    day = now.astimezone(d.about.zone).date()
    label = ", ".join(map(str, years))
    subject = _SUBJECT[d.about.locale].format(years=label)
    keys = {user: _key(label, day, user, channel) for user in admins}
    known = set(conn.execute(select(outbox.c.key).where(outbox.c.key.in_(list(keys.values()))))
                .scalars()) if keys else set()
    rows = [{"channel": channel, "recipient": user, "address": None, "subject": subject,
             "body": text, "payload": None, "register": register, "record": record,
             "created_at": now, "due_at": now, "sent_at": now, "status": "sent",
             "cause": CAUSE, "key": key} for user, key in keys.items() if key not in known]
    if rows:
        conn.execute(insert(outbox), rows)


def _key(*parts: object) -> str:
    text = "\x1f".join([CAUSE, *map(str, parts)])
    return hashlib.sha256(text.encode()).hexdigest()[:40]
