"""Consequences: rules over a subject's sheets in the year, shown on the sheet where
they hold and sent as notices once per subject, rule and year — however many sweepers
keep the sheets and however many revisions are saved."""

from __future__ import annotations

import datetime as dt
import json
import threading

from assessment_support import SCORED, Made, Scored, Step, write
from sqlalchemy import func, select
from support import run_cli

from gridwork.assessment.closing import close_due
from gridwork.assessment.store import latest
from gridwork.runtime import Runtime

LATE = [Step(60, 0), Step(60, 2), Step(60, 1)]
"""Accepted, the handling deadline passed, handled: late."""


def _notices(world: Scored) -> list[tuple[str, str]]:
    outbox, users = world.schema.system("outbox"), world.schema.system("users")
    with world.engine.connect() as conn:
        return sorted(conn.execute(select(users.c.username, outbox.c.subject)
                                   .join(users, users.c.id == outbox.c.recipient)
                                   .where(outbox.c.cause == "consequence")).all())


def _line(world: Scored, period: str, key: str) -> dict:
    with world.engine.connect() as conn:
        kept = latest(conn, world.schema, period, "level:grid")
    assert kept is not None
    return next(line for line in kept.shape["subjects"] if line["subject"]["key"] == key)


def test_a_rule_held_twice_in_the_year_follows_and_is_told_once(scored: Scored) -> None:
    runtime = Runtime.build(scored.deployment)
    # S1C1G2 handles late in October and again in November; S1C1G1 on time.
    write(scored, [Made("S1C1G2", 60 * 24 * 25, "water", None, None, None, None, None, LATE),
                   Made("S1C1G2", 60 * 24 * 50, "water", None, None, None, None, None, LATE),
                   Made("S1C1G1", 60 * 24 * 50, "city", None, None, None, None, None,
                        [Step(60, 0, "w_S1C1G1"), Step(60, 1, "w_S1C1G1")])])
    close_due(scored.engine, runtime, dt.datetime.fromisoformat("2026-11-10T12:00:00+08:00"))
    assert _line(scored, "2026-10", "S1C1G2")["consequences"] == ["通报批评"]
    assert _notices(scored) == [], "criticism tells no one; reassignment needs twice"

    december = dt.datetime.fromisoformat("2026-12-10T12:00:00+08:00")
    threads = [threading.Thread(target=close_due, args=(scored.engine, runtime, december))
               for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert _line(scored, "2026-11", "S1C1G2")["consequences"] == ["通报批评", "调整"]
    assert _line(scored, "2026-11", "S1C1G1")["consequences"] == []
    told = [("officer_S1", "【考核】东一2：调整"), ("w_S1C1G2", "【考核】东一2：调整")]
    assert _notices(scored) == told

    # A new revision of November, and the command's JSON, say the same; nobody is told twice.
    code, out, err = run_cli("assess", str(SCORED), "--db", scored.url, "--period", "2026-11",
                             "--level", "grid", "--recompute", "--save", "--json",
                             "--now", december.isoformat())
    assert code == 0, err
    lines = {line["subject"]["key"]: line for line in json.loads(out)["subjects"]}
    assert lines["S1C1G2"]["consequences"] == ["通报批评", "调整"]
    assert _notices(scored) == told

    # Late a third time, in December: it follows again, and is not told again that year;
    # its community, late in October and December, now follows too (its officer is told).
    write(scored, [Made("S1C1G2", 60 * 24 * 80, "water", None, None, None, None, None, LATE)])
    close_due(scored.engine, runtime, dt.datetime.fromisoformat("2027-01-10T12:00:00+08:00"))
    assert _line(scored, "2026-12", "S1C1G2")["consequences"] == ["通报批评", "调整"]
    assert _notices(scored) == sorted([*told, ("officer_S1", "【考核】东一社区：调整")])


def test_a_rule_over_the_year_sheet_reads_its_score(scored: Scored) -> None:
    write(scored, [Made("S1C1G2", 60 * 24 * 25, "water", None, None, None, None, None, LATE)])
    code, out, err = run_cli("assess", str(SCORED), "--db", scored.url, "--period", "2026",
                             "--level", "grid", "--json", "--now", "2027-01-20T12:00:00+08:00")
    assert code == 0, err
    lines = {line["subject"]["key"]: line for line in json.loads(out)["subjects"]}
    assert lines["S1C1G2"]["score"] < 70 and lines["S1C1G2"]["consequences"] == ["培训"]
    assert lines["S1C1G1"]["consequences"] == []
    outbox = scored.schema.system("outbox")
    with scored.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(outbox)).scalar() == 0, \
            "a sheet only shown is not kept, so nobody is told"
