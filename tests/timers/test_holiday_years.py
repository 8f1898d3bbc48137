"""Years without holiday data: stated in config, warned about by check, marked when used."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, insert, select
from starlette.testclient import TestClient
from support import CONFIGS, quick_hash, run_cli, runtime_of
from timers_support import at, calendar, dur

from gridwork.config import Deployment, load_deployment
from gridwork.config.models import Calendar
from gridwork.storage import build_schema, make_engine, migrate
from gridwork.web import create_app
from gridwork.workflow import create_record, load_user

# Test data for a year the library does not know (not the official 2027 schedule).
YEAR_2027 = {2027: {"holidays": ["2027-01-01"], "workdays": ["2027-01-09"]}}
NEW_YEARS_EVE = at("2026-12-31 16:00")  # a Thursday, the last working day of 2026


def test_a_year_stated_in_config_counts_its_holidays_and_adjusted_days() -> None:
    stated = calendar(years=YEAR_2027)
    assert not stated.is_working_day(dt.date(2027, 1, 1))   # Friday, stated holiday
    assert stated.is_working_day(dt.date(2027, 1, 9))       # Saturday, stated working day
    assert not stated.is_working_day(dt.date(2027, 1, 10))  # an ordinary Sunday
    assert stated.add(NEW_YEARS_EVE, dur("1wd")) == at("2027-01-04 16:00")
    assert stated.unknown_years(NEW_YEARS_EVE, at("2027-01-04 16:00")) == ()


def test_without_data_a_year_is_a_guess_and_says_so() -> None:
    plain = calendar()
    assert plain.add(NEW_YEARS_EVE, dur("1wd")) == at("2027-01-01 16:00")
    assert plain.unknown_years(NEW_YEARS_EVE, at("2027-01-01 16:00")) == (2027,)
    assert plain.unknown_years(at("2026-03-02 09:00"), at("2026-03-05 09:00")) == ()
    assert calendar(holidays="none").unknown_years(NEW_YEARS_EVE, at("2027-01-04 16:00")) == ()


def test_a_year_in_config_wins_over_the_library() -> None:
    national_day = dt.date(2026, 10, 1)  # a Thursday the library makes a holiday
    assert not calendar().is_working_day(national_day)
    assert calendar(years={2026: {"holidays": [], "workdays": []}}).is_working_day(national_day)


def test_a_date_under_the_wrong_year_is_refused() -> None:
    with pytest.raises(ValidationError, match="2028-01-01 is listed under 2027; list it under 2028"):
        Calendar.model_validate({"years": {2027: {"holidays": ["2028-01-01"]}}})
    with pytest.raises(ValidationError, match="2027-01-01 is both a holiday and a working day"):
        Calendar.model_validate({"years": {2027: {"holidays": ["2027-01-01"],
                                                  "workdays": ["2027-01-01"]}}})


WARNING = ("deployment.yaml:49:3: warning: no holiday data for 2027: the installed "
           "chinese-calendar knows up to 2026, so deadlines in 2027 would count its statutory "
           "holidays as working days; state them under 'calendar: years: 2027: {holidays: "
           "[...], workdays: [...]}' (or upgrade chinese-calendar)")


def test_check_warns_when_next_year_has_no_holiday_data() -> None:
    code, out, _ = run_cli("check", "-q", "--today", "2026-12-03", str(CONFIGS / "community"))
    assert (code, out.splitlines()) == (0, [WARNING])
    code, out, _ = run_cli("check", "-q", "--today", "2025-12-03", str(CONFIGS / "community"))
    assert (code, out.splitlines()) == (0, [])


def test_check_is_quiet_once_the_year_is_stated(tmp_path: Path) -> None:
    folder = _write(tmp_path, YEAR_2027)
    code, out, _ = run_cli("check", "-q", "--today", "2026-12-03", str(folder))
    assert (code, out.splitlines()) == (0, [])
    code, out, _ = run_cli("check", "-q", "--today", "2027-06-01", str(folder))
    assert code == 0
    assert out.splitlines() == [
        "deployment.yaml:2:88: warning: no holiday data for 2028: the installed "
        "chinese-calendar knows up to 2026, so deadlines in 2028 would count its statutory "
        "holidays as working days; state them under 'calendar: years: 2028: {holidays: "
        "[...], workdays: [...]}' (or upgrade chinese-calendar)"]


DEPLOYMENT = """\
deployment: {name: holidays, title: 节假日, timezone: Asia/Shanghai, locale: zh}
calendar: {working_days: mon-fri, hours: ["08:30-12:00", "13:30-17:30"], holidays: cn, years: YEARS}
hierarchy:
  levels:
    - {key: street, label: 街道}
    - {key: grid, label: 网格}
  nodes:
    - {code: S1, name: 街道, level: street}
    - {code: S1G1, name: 网格, level: grid, parent: S1}
roles:
  worker: {label: 网格员, at: grid, can: [view, "create:event"]}
  admin: {label: 管理员, at: street, can: [view, admin]}
registers:
  event:
    label: 事件
    workflow: flow
    fields: [{name: title, type: text}]
workflows:
  flow:
    label: 流程
    states:
      reported: {label: 已上报, initial: true}
      closed: {label: 已办结, final: true}
    transitions:
      - {name: close, from: reported, to: closed, by: worker}
limits:
  - {state: reported, within: 1wd}
notifications:
  channels:
    inbox: {type: inbox, label: 站内消息}
"""


def _write(tmp_path: Path, years: dict[int, dict[str, list[str]]]) -> Path:
    folder = tmp_path / "deployment"
    folder.mkdir()
    text = DEPLOYMENT.replace("YEARS", "{" + ", ".join(
        f"{year}: {{holidays: [{', '.join(days['holidays'])}], "
        f"workdays: [{', '.join(days['workdays'])}]}}" for year, days in years.items()) + "}")
    (folder / "deployment.yaml").write_text(text, encoding="utf-8")
    return folder


def _report(tmp_path: Path, years: dict[int, dict[str, list[str]]],
            url: str) -> tuple[Deployment, str, int]:
    """Migrate, add a worker and an administrator, report one event on New Year's Eve."""
    deployment = load_deployment(_write(tmp_path, years))
    migrate(url, deployment, echo=lambda _: None)
    engine = make_engine(url)
    schema = build_schema(deployment)
    with engine.begin() as conn:
        nodes = dict(conn.execute(select(schema.system("nodes").c.code,
                                         schema.system("nodes").c.id)).all())
        for name, node in (("worker", "S1G1"), ("admin", "S1")):
            user = conn.execute(insert(schema.system("users")).values(
                username=name, display_name=name, password_hash=quick_hash("demo"),
                active=True, created_at=NEW_YEARS_EVE).returning(schema.system("users").c.id)
            ).scalar_one()
            conn.execute(insert(schema.system("grants")).values(
                user=user, role=name, node=nodes[node]))
        worker = load_user(conn, schema, "worker")
    record = create_record(engine, runtime_of(deployment), worker, "event", "S1G1",
                           {"title": "楼道堆物"}, clock=lambda: NEW_YEARS_EVE)
    engine.dispose()
    return deployment, url, record.id


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'holidays.sqlite3'}"
    return str(request.getfixturevalue("pg_schema")())


@pytest.fixture
def signed_in(tmp_path: Path) -> Iterator[Callable[[Deployment, str, str], TestClient]]:
    """Clients signed in through the sign-in form; their engines disposed afterwards."""
    engines: list[Engine] = []

    def make(deployment: Deployment, url: str, username: str) -> TestClient:
        engine = make_engine(url)
        engines.append(engine)
        app = create_app(runtime_of(deployment), engine=engine, clock=lambda: NEW_YEARS_EVE,
                         secret="test-secret-" + "x" * 20, data_dir=tmp_path / "data")
        client = TestClient(app)
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/signin").text)
        assert token is not None
        client.post("/signin", data={"csrf": token.group(1), "username": username,
                                     "password": "demo", "next": "/"})
        return client
    yield make
    for engine in engines:
        engine.dispose()


def test_a_deadline_counted_in_a_year_without_data_is_marked(
        tmp_path: Path, db_url: str, signed_in: Callable[[Deployment, str, str], TestClient]
) -> None:
    deployment, url, record = _report(tmp_path, {}, db_url)
    worker = signed_in(deployment, url, "worker")
    page = worker.get(f"/registers/event/{record}").text
    assert "无节假日数据" in page
    assert "2027 年没有节假日数据：本期限把这些年的工作日都按周一至周五计算" in page
    admin = signed_in(deployment, url, "admin")
    assert "2027 年节假日数据缺失，期限可能不准" in admin.get("/messages").text


def test_a_stated_year_leaves_no_mark(
        tmp_path: Path, db_url: str, signed_in: Callable[[Deployment, str, str], TestClient]
) -> None:
    deployment, url, record = _report(tmp_path, YEAR_2027, db_url)
    worker = signed_in(deployment, url, "worker")
    page = worker.get(f"/registers/event/{record}").text
    assert "没有节假日数据" not in page
    admin = signed_in(deployment, url, "admin")
    assert "节假日数据缺失" not in admin.get("/messages").text
