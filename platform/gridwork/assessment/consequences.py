"""Consequences: rules over a subject's sheets in the year (satisfaction below 80 in two
months → reassignment; a year's score below 60 → dismissal). A rule follows on a sheet
when it holds there and held, this sheet included, in at least `times` of the year's
sheets of its period kind; earlier sheets count only once kept, so a sheet reads the same
whenever it is recomputed from the same data. Notices go out when the sheet is kept,
once per subject, rule and year however many sheets or processes keep it."""

from __future__ import annotations

import os
from collections import Counter
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from ..config import Deployment
from ..config.models.outputs import Consequence
from ..notify.outbox import BASE_URL_ENV, enqueue
from ..storage import Schema
from ..workflow.notify import About, recipients
from .periods import Period, within
from .store import revisions
from .subjects import Who

if TYPE_CHECKING:
    from ..runtime import Runtime
    from .sheet import Sheet

TEMPLATE = "assessment_consequence"
"""The message template of consequence notices (a deployment may define its own)."""
CAUSE = "consequence"


def follow(conn: Connection, deployment: Deployment, schema: Schema, sheet: Sheet) -> None:
    """Label each line of ``sheet`` with the consequences that follow for its subject."""
    assessment = deployment.assessment
    assert assessment is not None
    rules = {key: rule for key, rule in assessment.consequences.items()
             if rule.period == sheet.period.kind}
    if not rules:
        return
    earlier = [p.key for p in within(Period("year", sheet.period.year, 1, sheet.period.zone),
                                      sheet.period.kind) if p < sheet.period]
    held: Counter[tuple[str, str]] = Counter()
    for kept in revisions(conn, schema, sheet.subjects, earlier).values():
        for line in kept.shape["subjects"]:
            numbers = {**line["metrics"], "score": line["score"]}
            for key, rule in rules.items():
                if _holds(rule, numbers):
                    held[(line["subject"]["key"], key)] += 1
    for line in sheet.lines:
        numbers = {**line.metrics, "score": line.score}
        for key, rule in rules.items():
            if _holds(rule, numbers) and held[(line.who.key, key)] + 1 >= rule.times:
                line.consequences.append(rule.label.text(deployment.about.locale))


def tell(conn: Connection, runtime: Runtime, sheet: Sheet) -> int:
    """Queue a notice of each consequence on ``sheet``, in the caller's transaction: to a
    scored person and the rule's `notify` roles on the subject's branch; return how many
    messages were new."""
    assessment = runtime.deployment.assessment
    assert assessment is not None
    rules = {rule.label.text(runtime.locale): (key, rule)
             for key, rule in assessment.consequences.items()
             if rule.period == sheet.period.kind}
    lines = [line for line in sheet.lines if line.consequences]
    if not lines:
        return 0
    nodes = runtime.schema.system("nodes")
    paths = dict(conn.execute(select(nodes.c.id, nodes.c.path).where(
        nodes.c.id.in_({line.who.node for line in lines if line.who.node is not None}))).all())
    site = os.environ.get(BASE_URL_ENV, "").rstrip("/")
    new = 0
    for line in lines:
        who = line.who
        about = About("", 0, paths.get(who.node, "/"),
                      who.id if who.kind == "department" else None,
                      who.id if who.kind == "user" else None, None)
        for label in line.consequences:
            key, rule = rules[label]
            people = [who.id] if who.kind == "user" else []
            people += recipients(conn, runtime.schema, about, rule.notify)
            new += enqueue(
                conn, runtime, recipients=people, template=TEMPLATE, cause=CAUSE,
                clock=lambda: sheet.computed_at,
                occasion=f"{sheet.subjects}/{who.key}/{key}/{sheet.period.year}",
                context=_context(sheet, who, label, rule, site))
    return new


def _context(sheet: Sheet, who: Who, label: str, rule: Consequence, site: str
             ) -> dict[str, Any]:
    return {"subject": who.name, "consequence": label, "period": sheet.period.key,
            "rule": rule.when.source.strip(),
            "link": f"{site}/assessment/{sheet.subjects}/{who.key}?period={sheet.period.key}"}


def _holds(rule: Consequence, numbers: dict[str, Any]) -> bool:
    try:
        return bool(rule.when.evaluate(numbers))
    except TypeError:  # a metric it reads had nothing to count
        return False
