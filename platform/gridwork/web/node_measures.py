"""The dashboard's per-node table beside the registers' counts: duties done of those due
this month (from the duty rows), and each child's latest kept score (from the stored
sheets). Each is left out when the deployment has no schedules or no assessment."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, select

from ..assessment.subjects import spec_key
from ..auth import User
from ..hierarchy import child_owner, scope_filter
from ..storage.system import DutyState
from .pages_assessment import may_assess
from .site import NodeInfo, Site

@dataclass
class NodeMeasures:
    """Per child code: duties (done, due) and the latest kept score with its period."""

    duties: dict[str, tuple[int, int]] | None = None
    period: str = ""
    level: str = ""
    scores: dict[str, float | None] = field(default_factory=dict)


def node_measures(conn: Connection, site: Site, user: User, children: list[NodeInfo],
                  since: dt.datetime) -> NodeMeasures | None:
    """The child nodes' duties since ``since`` and latest scores; None when the deployment
    has neither schedules nor an assessment of the children's level the user may see."""
    if not children:
        return None
    found = NodeMeasures()
    if site.deployment.schedules:
        found.duties = _duties(conn, site, user, children, since)
    assessment = site.deployment.assessment
    level = f"level:{children[0].level}"
    if (assessment is not None and may_assess(site, user)
            and level in [spec_key(s) for s in assessment.subjects]):
        found.level = level
        found.period, found.scores = _scores(conn, site, level, children)
    return found if found.duties is not None or found.level else None


def _duties(conn: Connection, site: Site, user: User, children: list[NodeInfo],
            since: dt.datetime) -> dict[str, tuple[int, int]]:
    """(done, due) per child: duties in the user's scope due from ``since`` until now
    (not dropped), grouped by child in SQL."""
    duties = site.schema.system("duties")
    owner = child_owner(site.schema.system("nodes"), [c.path for c in children])
    counts = {child: (int(done), int(due)) for child, done, due in conn.execute(
        select(owner.c.child, func.count().filter(duties.c.state == DutyState.DONE),
               func.count())
        .select_from(duties.join(owner, owner.c.id == duties.c.node))
        .where(scope_filter(user, duties), duties.c.due_at >= since,
               duties.c.due_at < site.clock(), duties.c.state != DutyState.DROPPED)
        .group_by(owner.c.child))}
    return {c.code: counts.get(i, (0, 0)) for i, c in enumerate(children)}


def _scores(conn: Connection, site: Site, level: str,
            children: list[NodeInfo]) -> tuple[str, dict[str, float | None]]:
    """The period of the newest kept sheet of the children's level and their scores in it
    (its newest revision); no period when none is kept yet."""
    sheets = site.schema.system("assessment_sheets")
    row = conn.execute(select(sheets.c.period, sheets.c.sheet).where(sheets.c.subjects == level)
                       .order_by(sheets.c.computed_at.desc(), sheets.c.revision.desc())
                       .limit(1)).first()
    if row is None:
        return "", {}
    codes = {c.code for c in children}
    scores: dict[str, Any] = {line["subject"]["key"]: line.get("score")
                              for line in dict(row.sheet).get("subjects", [])
                              if line["subject"].get("key") in codes}
    return row.period, scores
