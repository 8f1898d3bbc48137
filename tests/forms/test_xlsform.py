"""XLSForm in and out: real workbooks from pyxform's test suite import as registers that
pass `gridwork check` and migrate, or are refused construct by construct with sheet and
row; a register exported for ODK Collect converts with pyxform and imports back unchanged."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pyxform import xls2xform

from gridwork.cli import main
from gridwork.config import check, load_deployment
from gridwork.config.models import Register
from gridwork.forms.xlsform_export import export_xlsform
from gridwork.forms.xlsform_import import read_xlsform
from gridwork.storage import migrate

ROOT = Path(__file__).parent.parent.parent
FORMS = Path(__file__).parent.parent / "fixtures" / "xlsform"
IMPORTABLE = ("extra_columns", "field-list", "group", "specify_other", "text_and_integer",
              "yes_or_no_question")
REFUSED = {
    "loop": [
        ("loop.xlsx:survey:3: error: the loop 'loop_toilet_types' cannot be carried: a register "
        "keeps one record per submission; make its questions a register of their own with a "
        "reference field to this one")],
    "or_other": [
        ("or_other.xlsx:survey:3: error: the choice_filter 'pastel=yes' of 'fav_pastel' cannot "
        "be carried: a field offers the same options whatever else was chosen")],
    "case_insensitivity": [
        ("case_insensitivity.xlsx:survey:3: error: 'q2' takes its options from outside the form "
        "(c1); an external select cannot be carried: list the options on the choices sheet"),
        ("case_insensitivity.xlsx:survey:4: error: the question type 'osm' of 'q3' has no "
        "gridwork field type; gridwork keeps text, textarea, integer, decimal, boolean, date, "
        "datetime, choice, multichoice, phone, email, id_card, credit_code, geo_point, photo, "
        "file, reference, node, user, department")],
    "choice_filter_test": [
        ("choice_filter_test.xlsx:survey:2: error: 'state' is a column the engine keeps on "
        "every record; rename the question"),
        ("choice_filter_test.xlsx:survey:3: error: the choice_filter '${state}=cf' of 'county' "
        "cannot be carried: a field offers the same options whatever else was chosen"),
        ("choice_filter_test.xlsx:survey:4: error: the choice_filter '${county}=cf' of 'city' "
        "cannot be carried: a field offers the same options whatever else was chosen"),
        ("choice_filter_test.xlsx:choices:4: error: the choice 'king' appears twice in the list "
        "'counties'")],
}
SHARED_ERRORS = [  # attribute_columns_test and flat_xlsform_test hold the same questions
    ("survey:9: error: the media prompt (image, audio, video) of "
    "'text_image_audio_video_test' cannot be carried: labels are text"),
    "survey:30: error: the question type 'acknowledge' of 'acknowledge_test' has no gridwork",
    "survey:32: error: the question type 'time' of 'time_test' has no gridwork field type",
    "survey:35: error: the question type 'barcode' of 'barcode_test' has no gridwork",
    "survey:37: error: the question type 'audio' of 'audio_test' has no gridwork field type",
    "survey:38: error: the question type 'video' of 'video_test' has no gridwork field type",
    ("survey:56: error: the name '_1' is not a field name (lower-case letters, digits and '_', "
    "starting with a letter); rename it, e.g. 'q_1'"),
    ("survey:57: error: the name 'FALSE' is not a field name (lower-case letters, digits and "
    "'_', starting with a letter); rename it, e.g. 'false'"),
]


def test_the_twelve_fixtures_are_all_covered() -> None:
    names = {p.stem for p in FORMS.glob("*.xlsx")}
    assert len(names) == 12
    assert names == {*IMPORTABLE, *REFUSED, "attribute_columns_test", "flat_xlsform_test"}


@pytest.fixture
def deployment_copy(tmp_path: Path) -> Path:
    root = tmp_path / "community"
    shutil.copytree(ROOT / "configs" / "community", root,
                    ignore=shutil.ignore_patterns("data", "scenarios"))
    return root


@pytest.mark.parametrize("form", IMPORTABLE)
def test_importable_form_passes_check_and_migrates(form: str, deployment_copy: Path,
                                                   tmp_path: Path) -> None:
    name = form.replace("-", "_")
    result = CliRunner().invoke(main, ["forms", "import", str(FORMS / f"{form}.xlsx"),
                                       "--register", name, "--into", str(deployment_copy)])
    assert result.exit_code == 0, result.output
    checked = check(deployment_copy)
    assert checked.deployment is not None, [p.format() for p in checked.errors]
    assert name in checked.deployment.registers
    migrate(f"sqlite:///{tmp_path / 'db.sqlite3'}", checked.deployment, echo=lambda *a: None)


def test_imported_register_carries_types_labels_sections_and_conditions(
        deployment_copy: Path) -> None:
    group = read_xlsform(FORMS / "group.xlsx", "family").register
    assert group is not None
    assert [(f["name"], f["type"]) for f in group["fields"]] == [
        ("family_name", "text"), ("phone_number", "phone"), ("age", "integer")]
    assert group["fields"][1]["section"] == {"en": "Father"}
    assert group["fields"][0]["label"] == {"en": "What's your family name?"}
    other = read_xlsform(FORMS / "specify_other.xlsx", "person").register
    assert other is not None
    assert other["fields"][1]["show_if"] == "sex == 'other'"
    yes_no = read_xlsform(FORMS / "field-list.xlsx", "day").register
    assert yes_no is not None
    assert yes_no["fields"][0]["choices"] == {"yes": {"zh": "是", "en": "Yes"},
                                              "no": {"zh": "没有", "en": "No"}}
    assert yes_no["fields"][0]["help"] == "hint"


@pytest.mark.parametrize("form", sorted(REFUSED))
def test_refused_form_names_each_construct_at_its_sheet_and_row(form: str) -> None:
    imported = read_xlsform(FORMS / f"{form}.xlsx", "x")
    assert imported.register is None
    assert [p.format() for p in imported.errors] == REFUSED[form]


@pytest.mark.parametrize("form", ["attribute_columns_test", "flat_xlsform_test"])
def test_refused_kitchen_sink_forms(form: str) -> None:
    imported = read_xlsform(FORMS / f"{form}.xlsx", "x")
    assert imported.register is None
    errors = [p.format() for p in imported.errors]
    for expected in SHARED_ERRORS:
        assert any(e.startswith(f"{form}.xlsx:{expected}") for e in errors), expected
    warnings = [p.format() for p in imported.problems if p.severity == "warning"]
    assert f"{form}.xlsx:survey:42: warning: the metadata 'start' is not carried: a record " \
           "keeps its own reporter and times (created_at, updated_at)" in warnings


def test_refusal_from_the_command_writes_nothing(deployment_copy: Path) -> None:
    before = (deployment_copy / "registers.yaml").read_text(encoding="utf-8")
    result = CliRunner().invoke(main, ["forms", "import", str(FORMS / "loop.xlsx"),
                                       "--register", "toilets", "--into", str(deployment_copy)])
    assert result.exit_code == 1
    assert "loop.xlsx:survey:3: error: the loop 'loop_toilet_types'" in result.output
    assert (deployment_copy / "registers.yaml").read_text(encoding="utf-8") == before


def _round_trip(deployment: Any, name: str, path: Path) -> dict[str, Any]:
    export_xlsform(deployment, name, path)
    xls2xform.convert(str(path))  # raises on anything pyxform refuses
    imported = read_xlsform(path, name, deployment.choices)
    assert imported.register is not None, [p.format() for p in imported.errors]
    return Register.model_validate(imported.register).model_dump(warnings=False)


@pytest.mark.parametrize("config", ["configs/community", "configs/safety",
                                    "configs/environment", "tests/fixtures/storage"])
def test_registers_round_trip_through_pyxform(config: str, tmp_path: Path) -> None:
    """The shipped registers, and the storage fixture's (every built-in field type)."""
    deployment = load_deployment(ROOT / config)
    for name, register in deployment.registers.items():
        assert _round_trip(deployment, name, tmp_path / f"{name}.xlsx") == \
            register.model_dump(warnings=False), name


@pytest.mark.parametrize("form", IMPORTABLE)
def test_imported_fixtures_round_trip(form: str, deployment_copy: Path, tmp_path: Path) -> None:
    name = form.replace("-", "_")
    CliRunner().invoke(main, ["forms", "import", str(FORMS / f"{form}.xlsx"),
                              "--register", name, "--into", str(deployment_copy)])
    deployment = load_deployment(deployment_copy)
    assert _round_trip(deployment, name, tmp_path / "out.xlsx") == \
        deployment.registers[name].model_dump(warnings=False)


def test_export_command_writes_a_workbook_pyxform_converts(tmp_path: Path) -> None:
    out = tmp_path / "resident.xlsx"
    result = CliRunner().invoke(main, ["forms", "export", "resident",
                                       str(ROOT / "configs" / "community"), str(out)])
    assert result.exit_code == 0, result.output
    assert "resident.gender: computed 'id_card_sex(id_card)' has no XLSForm counterpart" \
        in result.output
    xform = xls2xform.convert(str(out)).xform
    assert 'nodeset="/data/id_card"' in xform and 'gridwork:type="id_card"' in xform


SURVEY = [
    ("type", "name", "label::Chinese (zh)", "label::English (en)", "hint::English (en)",
     "required", "relevant", "constraint", "constraint_message::Chinese (zh)", "calculation"),
    ("text", "full_name", "姓名", "Name", "As on the ID card", "yes"),
    ("integer", "age", "年龄", "Age", None, None, None, ". >= 0 and . <= 120"),
    ("date", "seen", "日期", "Date", None, None, None, ". <= today()"),
    ("text", "code", "编码", "Code", None, None, None, "regex(., '[A-Z]{3}')"),
    ("select_multiple tags", "tags", "标签", "Tags"),
    ("text", "reason", "原因", "Reason", None, None, "selected(${tags}, 'other')"),
    ("begin_group", "adult", "成年", "Adult", None, None, "${age} > 17"),
    ("decimal", "score", "得分", "Score", None, None, None, ". > ${age}", "须大于年龄"),
    ("integer", "double", "两倍", "Double", None, None, None, None, None, "${age} * 2"),
    ("end_group",),
    ("text", "lookup", "查询", "Lookup", None, None, "pulldata('f', 'a', 'b', ${code}) = 1"),
]
CHOICES = [("list_name", "name", "label::Chinese (zh)", "label::English (en)"),
           ("tags", "poor", "困难", "Poor"), ("tags", "other", "其他", "Other")]


def _workbook(path: Path, survey: list[tuple[Any, ...]]) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "survey"
    for row in survey:
        sheet.append(row)
    choices = book.create_sheet("choices")
    for row in CHOICES:
        choices.append(row)
    book.save(path)
    return path


def test_expressions_bounds_and_languages_translate(tmp_path: Path,
                                                   deployment_copy: Path) -> None:
    form = _workbook(tmp_path / "person.xlsx", SURVEY)
    refused = read_xlsform(form, "person")
    assert [p.format() for p in refused.errors] == [
        "person.xlsx:survey:12: error: the relevant of 'lookup' 'pulldata('f', 'a', 'b', "
        "${code}) = 1' cannot be translated: the function pulldata() has no gridwork "
        "counterpart"]
    imported = read_xlsform(_workbook(tmp_path / "ok.xlsx", SURVEY[:-1]), "person")
    assert imported.errors == []
    register = imported.register
    assert register is not None
    fields = {f["name"]: f for f in register["fields"]}
    assert fields["full_name"] == {"name": "full_name", "type": "text", "required": True,
                                   "label": {"zh": "姓名", "en": "Name"},
                                   "help": {"en": "As on the ID card"}}
    assert (fields["age"]["min"], fields["age"]["max"]) == (0, 120)
    assert fields["seen"]["max"] == "today"
    assert fields["code"]["pattern"] == "[A-Z]{3}"
    assert fields["reason"]["show_if"] == "'other' in (tags or [])"
    assert fields["score"]["section"] == {"zh": "成年", "en": "Adult"}
    assert fields["score"]["show_if"] == "age > 17"
    assert fields["double"]["computed"] == "age * 2"
    assert fields["double"]["show_if"] == "age > 17"
    assert register["validate"] == [{"rule": "score == null or score > age",
                                     "message": {"zh": "须大于年龄"}}]
    result = CliRunner().invoke(main, ["forms", "import", str(tmp_path / "ok.xlsx"),
                                       "--register", "person", "--into", str(deployment_copy)])
    assert result.exit_code == 0, result.output
    checked = check(deployment_copy)
    assert checked.deployment is not None, [p.format() for p in checked.errors]
    migrate(f"sqlite:///{tmp_path / 'db.sqlite3'}", checked.deployment, echo=lambda *a: None)


def test_what_pyxform_refuses_is_reported_at_its_row(tmp_path: Path) -> None:
    form = _workbook(tmp_path / "open.xlsx", [("type", "name", "label"), ("text", "a", "A"),
                                              ("begin_group", "g", "G"), ("integer", "b", "B")])
    imported = read_xlsform(form, "open")
    assert imported.register is None
    assert [p.format() for p in imported.problems] == [
        "open.xlsx:survey:3: error: pyxform: Unmatched 'begin_group'. No matching "
        "'end_group' was found for the name 'g'."]


def test_import_prints_or_writes_a_yaml_file(tmp_path: Path) -> None:
    runner = CliRunner()
    form = str(FORMS / "text_and_integer.xlsx")
    printed = runner.invoke(main, ["forms", "import", form, "--register", "person"])
    assert printed.exit_code == 0
    assert printed.stdout.startswith("registers:\n  person:\n    label: person\n")
    target = tmp_path / "forms.yaml"
    assert runner.invoke(main, ["forms", "import", form, "--register", "person",
                                "--into", str(target)]).exit_code == 0
    assert target.read_text(encoding="utf-8").endswith(printed.stdout)
    again = runner.invoke(main, ["forms", "import", form, "--register", "person",
                                 "--into", str(target)])
    assert again.exit_code == 1
    assert f"register 'person' already exists in {target}" in again.output
