"""Real records of the shipped deployments pass their generated forms, as JSON and as posted forms."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from form_support import CREDIT_CODE, FUNCTIONS, ID_CARD, PHONE, FormData

from gridwork.config import Deployment
from gridwork.forms.models import validate_record

# (deployment, register): (typed values, system values, some expected clean values)
RECORDS: dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = {
    ("community", "resident"): (
        {"name": "张三", "id_card": ID_CARD, "birth_date": "1949-12-31", "residence_type": "1",
         "phone": PHONE, "focus_tags": ["empty_nest"], "guardian": "李四",
         "guardian_phone": "13900139000", "arrival_date": "2020-01-01"},
        {}, {"gender": "2", "age": 76, "ethnicity": "01", "guardian": "李四",
             "arrival_date": None}),
    ("community", "household"): (
        {"address": "翠苑一区12幢3单元502室", "head_name": "张三", "head_id_card": ID_CARD,
         "members": "3", "rented_out": "on", "tenants": "2", "last_visit": "2026-03-01"},
        {}, {"visit_class": "3", "tenants": 2, "days_since_visit": 14}),
    ("community", "organization"): (
        {"org_name": "文一路小学", "credit_code": CREDIT_CODE, "kind": "school", "phone": PHONE,
         "address": "文一路1号", "location": "30.28,120.12", "area": "120.5"},
        {}, {"key_supervision": True, "risk_grade": "4", "area": Decimal("120.5")}),
    ("community", "event"): (
        {"title": "楼道堆放杂物", "description": "三单元楼道堆放大量纸箱", "address": "翠苑一区12幢",
         "source": "hotline", "caller_name": "王五", "caller_phone": PHONE, "satisfaction": "2",
         "occurred_at": "2026-03-14T10:00", "party_a": "hidden"},
        {"category": "hazard_fire"}, {"satisfaction_score": 80, "caller_name": "王五",
                                      "party_a": None}),
    ("community", "visit"): (
        {"household": "1", "kind": "verification", "corrections": "电话已变更"},
        {}, {"info_correct": False, "corrections": "电话已变更", "method": "home"}),
    ("community", "patrol"): (
        {"patrolled_on": "2026-03-14", "found_issues": "on", "issues": "井盖缺失"},
        {}, {"kind": "daily", "issues": "井盖缺失"}),
    ("community", "inspection"): (
        {"organization": "5", "items": ["exits", "gas"], "hazard_found": "on",
         "hazard_desc": "灭火器过期", "rectification": "deadline", "rectify_by": "2026-03-30"},
        {}, {"rectify_by": dt.date(2026, 3, 30), "organization": 5}),
    ("community", "info_report"): (
        {"report_date": "2026-03-31", "moved_in": "3"}, {}, {"moved_in": 3}),
    ("safety", "enterprise"): (
        {"name": "某化工有限公司", "credit_code": CREDIT_CODE, "industry": "hazchem", "scale": "sme",
         "risk_grade": "A", "supervising_dept": "ajj", "phone": PHONE, "address": "工业园区8号",
         "licence_no": "(浙)WH安许证字[2024]000123号", "licence_expiry": "2027-06-30",
         "location": "30.2,120.1", "emergency_plan": "on"},
        {}, {"emergency_plan": True, "key_supervision": False, "location": (30.2, 120.1)}),
    ("safety", "hazard"): (
        {"title": "消防通道堵塞", "description": "一号车间消防通道堆放原料", "found_at": "2026-03-14 09:30",
         "photos": ["p1.jpg"], "rectify_mode": "deadline", "rectify_deadline": "2026-03-21",
         "five_in_place": ["measures", "funds"], "funds": "5000", "supervision_no": "DB-7"},
        {"category": "fire_exit", "severity": "major"},
        {"source": "patrol", "funds": Decimal("5000.00"), "supervision_no": "DB-7",
         "interim_measures": None}),
    ("safety", "inspection"): (
        {"title": "三月例行检查", "kind": "monthly", "enterprise": "3", "result": "clear",
         "hazards_found": "0"}, {}, {"hazards_found": 0}),
    ("safety", "work_report"): (
        {"title": "三月工作月报", "kind": "monthly_report", "attachments": ["r.docx"]},
        {}, {"attachments": ["r.docx"]}),
    ("safety", "safety_officer"): (
        {"name": "赵六", "id_card": ID_CARD, "enterprise": "3", "post": "special_worker",
         "operation": "welding", "phone": PHONE}, {}, {"operation": "welding"}),
    ("safety", "accident"): (
        {"title": "叉车伤人", "occurred_at": "2026-03-10T14:00", "kind": "vehicle", "deaths": "0",
         "injuries": "1", "loss": "12000.5"}, {}, {"deaths": 0, "loss": Decimal("12000.50")}),
    ("environment", "pollution_source"): (
        {"name": "某电镀厂", "credit_code": CREDIT_CODE, "source_types": ["wastewater", "waste_gas"],
         "permit_no": "91110000600037341L001P", "outfall_code": "329902-GY-001",
         "outfall_location_lat": "30.1", "outfall_location_lon": "120.3"},
        {}, {"control_level": "general", "status": "operating", "obsolete_type": "none",
             "key_enterprise": False, "outfall_location": (30.1, 120.3)}),
    ("environment", "pollution_event"): (
        {"title": "河道暗管排污", "description": "石塘村河道发现暗管排污", "location": "30.1,120.2",
         "channel": "petition", "petition_no": "XF2026-001", "reporter_name": "钱七",
         "reporter_phone": PHONE, "disposal": "order_rectify", "rectify_deadline": "2026-04-01"},
        {"category": "water_secret_discharge"},
        {"anonymous": False, "reporter_name": "钱七", "odour_description": None}),
    ("environment", "patrol"): (
        {"subject": "石塘村河道", "patrol_type": "source_inspection", "source": "2",
         "facilities_running": "on", "items": ["enterprises", "ecology"], "position": "30,120"},
        {}, {"source": 2, "facilities_running": True, "problem_found": False}),
    ("environment", "construction_project"): (
        {"project_name": "某厂扩建", "builder": "某建设公司", "approval_level": "city",
         "three_simultaneous": ["design"]}, {}, {"industrial": True, "stage": "construction"}),
    ("environment", "meeting_record"): (
        {"topic": "一季度联席会议", "meeting_date": "2026-03-28"}, {}, {}),
}


def _posted(values: dict[str, Any]) -> FormData:
    """The same values as a browser posts them: lists as repeated keys, all text."""
    items: list[tuple[str, Any]] = []
    for name, value in values.items():
        items.extend((name, str(v)) for v in (value if isinstance(value, list) else [value]))
    return FormData(items)


def test_every_shipped_register_has_a_sample(shipped: dict[str, Deployment]) -> None:
    assert {(n, r) for n, d in shipped.items() for r in d.registers} == set(RECORDS)


@pytest.mark.parametrize("posted", [False, True], ids=["json", "form"])
@pytest.mark.parametrize(("deployment", "register"), list(RECORDS))
def test_a_real_record_validates(shipped: dict[str, Deployment], deployment: str, register: str,
                                 posted: bool) -> None:
    values, system, expected = RECORDS[(deployment, register)]
    raw = _posted(values) if posted else values
    clean, errors = validate_record(shipped[deployment], register, raw, system=system,
                                    functions=FUNCTIONS)
    assert errors == {}
    assert clean is not None
    assert {name: clean[name] for name in expected} == expected
    assert set(clean) == {f.name for f in shipped[deployment].registers[register].fields}


@pytest.mark.parametrize(("deployment", "register"), list(RECORDS))
def test_an_empty_record_asks_for_exactly_the_required_fields(
        shipped: dict[str, Deployment], deployment: str, register: str) -> None:
    fields = shipped[deployment].registers[register].fields
    asked = {f.name: ["required"] for f in fields
             if f.required and f.show_if is None and f.default is None and f.type != "boolean"}
    clean, errors = validate_record(shipped[deployment], register, {})
    assert errors == asked
    assert (clean is None) == bool(asked)
