"""A plugin's field type decides how its values are checked, stored and shown."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import String, create_engine
from support import FIXTURES

from gridwork.config import load_deployment
from gridwork.runtime import Runtime, utc_now
from gridwork.web.display import Names, show
from gridwork.web.site import Site


def _plated(tmp_path: Path) -> Path:
    text = (FIXTURES / "minimal" / "deployment.yaml").read_text(encoding="utf-8")
    text = text.replace("assessment:\n", "plugins: [plate_field]\nassessment:\n")
    text = text.replace("      - {name: kind, type: choice, choices: [food, retail]}\n",
                        "      - {name: kind, type: choice, choices: [food, retail]}\n"
                        "      - {name: plate, type: plate}\n")
    (tmp_path / "deployment.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def test_a_plugin_type_chooses_its_column_and_how_it_is_shown(tmp_path: Path) -> None:
    deployment = load_deployment(_plated(tmp_path))
    runtime = Runtime.build(deployment)
    column = runtime.schema.table("shop").c.plate
    assert isinstance(column.type, String) and column.type.length == 8
    site = Site(runtime, create_engine("sqlite://"), utc_now, tmp_path)
    spec = deployment.registers["shop"].field("plate")
    assert show(site, spec, "浙A12345", Names({}, {}), unmask=False) == "浙A·12345"
