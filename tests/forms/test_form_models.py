"""The generated pydantic models: built once, typed by field type, shared by web, API and import."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pydantic import ValidationError

from gridwork.config import Deployment, load_deployment
from gridwork.forms.messages import message
from gridwork.forms.models import errors_by_field, form_model, validate_record
from gridwork.plugins import plugin_manager

HERE = Path(__file__).parent
PLUGINS = HERE.parent / "fixtures" / "plugins"


def test_a_model_is_built_once_per_deployment_and_register(every_type: Deployment) -> None:
    model = form_model(every_type, "sample")
    assert form_model(every_type, "sample") is model
    assert form_model(every_type, "other") is not model
    again = load_deployment(HERE / "fixtures" / "every_type")
    assert form_model(again, "sample") is not model
    with pytest.raises(KeyError):
        form_model(every_type, "nothing")


def test_the_model_is_typed_by_field_type(every_type: Deployment) -> None:
    model = form_model(every_type, "sample")
    record = model.model_validate({"title": "ok", "count": "3", "location": "30,120"})
    assert (record.count, record.location, record.tags) == (3, (30.0, 120.0), None)  # type: ignore[attr-defined]
    properties = model.model_json_schema()["properties"]
    assert properties["count"]["anyOf"][0] == {"type": "integer"}
    assert properties["due"]["anyOf"][0] == {"type": "string", "format": "date"}


def test_the_model_raises_one_validation_error_with_every_field(every_type: Deployment) -> None:
    with pytest.raises(ValidationError) as caught:
        form_model(every_type, "sample").model_validate({"count": "x"})
    assert [(e["loc"], e["msg"]) for e in caught.value.errors()] == [
        (("title",), "required"), (("count",), "a whole number is needed")]
    assert errors_by_field(caught.value) == {"title": ["required"],
                                             "count": ["a whole number is needed"]}


def test_a_field_named_like_a_model_method_keeps_its_name(every_type: Deployment) -> None:
    clean, errors = validate_record(every_type, "other", {"name": "n", "json": "{}"})
    assert (clean, errors) == ({"name": "n", "json": "{}"}, {})
    record = form_model(every_type, "other").model_validate({"name": "n", "json": "{}"})
    assert record.json_ == "{}"  # type: ignore[attr-defined]


def test_system_values_steer_show_if(shipped: dict[str, Deployment]) -> None:
    env = shipped["environment"]
    raw = {"title": "河边有异味", "description": "傍晚时分河边有刺鼻气味", "location": "30.1,120.2"}
    assert validate_record(env, "pollution_event", raw)[1] == {}
    odour = {"odour_description": ["required"]}
    assert validate_record(env, "pollution_event", {**raw, "category": "air_odour"})[1] == odour
    assert validate_record(env, "pollution_event", raw, system={"category": "air_odour"})[1] == odour
    assert validate_record(env, "pollution_event", {**raw, "category": "air_odour"},
                           system={"category": "water"})[1] == {}


def test_a_plugin_field_type_validates_through_the_model(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(PLUGINS))
    shutil.copytree(HERE / "fixtures" / "every_type", tmp_path / "d")
    path = tmp_path / "d" / "deployment.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "      - {name: json, type: text}\n",
        "      - {name: json, type: text}\n      - {name: plate, type: plate}\n")
    path.write_text(text + "plugins: [plate_field]\n", encoding="utf-8")
    deployment = load_deployment(tmp_path / "d")
    assert validate_record(deployment, "other", {"name": "n", "plate": "浙a12345"}) == (
        {"name": "n", "json": None, "plate": "浙A12345"}, {})
    assert validate_record(deployment, "other", {"name": "n", "plate": "12345"},
                           plugin_manager=plugin_manager(["plate_field"])) == (
        None, {"plate": ["not a licence plate such as 浙A12345"]})


def test_messages_go_through_one_function() -> None:
    assert message("required") == "required"
    assert message("at least {count} characters", count=2) == "at least 2 characters"
