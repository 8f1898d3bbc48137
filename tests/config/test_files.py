"""Deployments spread over several files, node CSVs and boundary GeoJSON: problems point
at the file and line they are in."""

from __future__ import annotations

import json
from pathlib import Path

from support import FIXTURES, run_check

from gridwork.config import load_deployment

MINIMAL = (FIXTURES / "minimal" / "deployment.yaml").read_text(encoding="utf-8")
INLINE_NODES = MINIMAL[MINIMAL.index("  nodes:\n"):MINIMAL.index("departments:")]


def _split(tmp_path: Path, nodes_csv: str | None = None) -> Path:
    """The minimal deployment with registers in an included file (and nodes in a CSV)."""
    main, registers = MINIMAL.split("registers:\n", 1)
    registers, rest = registers.split("categories:\n", 1)
    main = "include: [registers.yaml]\n" + main + "categories:\n" + rest
    if nodes_csv is not None:
        main = main.replace(INLINE_NODES, "  nodes: nodes.csv\n")
        (tmp_path / "nodes.csv").write_text(nodes_csv, encoding="utf-8")
    (tmp_path / "deployment.yaml").write_text(main, encoding="utf-8")
    (tmp_path / "registers.yaml").write_text("registers:\n" + registers, encoding="utf-8")
    return tmp_path


CSV = "code,name,parent,level\nS1,东街道,,street\nS1C1,东一社区,S1,community\nS1C1G1,第一网格,S1C1,grid\n"


def test_included_files_join_the_deployment(tmp_path: Path) -> None:
    d = load_deployment(_split(tmp_path, CSV))
    assert set(d.registers) == {"shop", "event"}
    assert [n.code for n in d.nodes] == ["S1", "S1C1", "S1C1G1"]


def test_problem_in_an_included_file_names_that_file(tmp_path: Path) -> None:
    _split(tmp_path)
    path = tmp_path / "registers.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("type: choice", "type: choise"),
                    encoding="utf-8")
    code, report = run_check(tmp_path)
    assert report == ["registers.yaml:7:28: error: unknown field type 'choise'; did you mean 'choice'?"]
    assert code == 1


def test_a_register_defined_in_two_files_is_reported_where_it_repeats(tmp_path: Path) -> None:
    _split(tmp_path)
    (tmp_path / "more.yaml").write_text("registers:\n  shop:\n    label: 商铺\n"
                                        "    fields: [{name: n, type: text}]\n", encoding="utf-8")
    main = tmp_path / "deployment.yaml"
    main.write_text(main.read_text(encoding="utf-8").replace("[registers.yaml]",
                                                             "[registers.yaml, more.yaml]"))
    code, report = run_check(tmp_path)
    assert report == ["more.yaml:2:3: error: 'registers.shop' is already defined at registers.yaml:2"]
    assert code == 1


def test_missing_include_and_nested_include_are_reported(tmp_path: Path) -> None:
    _split(tmp_path)
    main = tmp_path / "deployment.yaml"
    main.write_text(main.read_text(encoding="utf-8").replace("[registers.yaml]",
                                                             "[registers.yaml, rules/*.yaml]"))
    code, report = run_check(tmp_path)
    assert report == ["deployment.yaml:1:27: error: no file matches 'rules/*.yaml'"]
    assert code == 1
    regs = tmp_path / "registers.yaml"
    regs.write_text("include: [x.yaml]\n" + regs.read_text(encoding="utf-8"))
    main.write_text(main.read_text(encoding="utf-8").replace(", rules/*.yaml", ""))
    assert run_check(tmp_path)[1] == [
        "registers.yaml:1:1: error: 'include' is allowed only in deployment.yaml"]


def test_csv_rows_are_reported_at_their_line_and_column(tmp_path: Path) -> None:
    rows = CSV + ("S1C1G2,第二网格,S1C2,grid\n"        # unknown parent
                  "S1C1G1,重复网格,S1C1,grid\n"        # duplicate code
                  "S1C3,西三社区,S1,comunity\n"        # misspelt level
                  "S1C1G3,第三网格,S1,grid\n"          # wrong level under its parent
                  "S9,,,street\n"                      # no name
                  "X1,孤立社区,,community\n")           # not at the top level, no parent
    code, report = run_check(_split(tmp_path, rows))
    assert report == [
        "nodes.csv:5:13: error: unknown parent 'S1C2': no node has that code",
        "nodes.csv:6:1: error: duplicate node code 'S1C1G1' (first at line 4)",
        "nodes.csv:7:14: error: unknown level 'comunity'; did you mean 'community'?",
        "nodes.csv:8:13: error: a grid node needs a community as parent, but 'S1' is a street; "
        "if grid nodes may sit under a street, write 'under: [community, street]' on the grid "
        "level",
        "nodes.csv:9:4: error: node 'S9' needs a name",
        "nodes.csv:10:1: error: code 'X1' does not match the community code pattern ^S\\dC\\d$",
        "nodes.csv:10:9: error: node 'X1' is a community and needs a parent; only street nodes stand alone",
    ]
    assert code == 1


def test_csv_without_its_columns_is_reported_on_the_first_line(tmp_path: Path) -> None:
    code, report = run_check(_split(tmp_path, "id,name\n1,x\n"))
    assert report == ["nodes.csv:1:1: error: missing column code, parent, level; the first "
                      "line must name the columns code, name, parent, level"]
    assert code == 1


def test_missing_node_file_points_at_the_config_key(tmp_path: Path) -> None:
    _split(tmp_path, CSV)
    (tmp_path / "nodes.csv").unlink()
    assert run_check(tmp_path)[1] == [
        "deployment.yaml:16:10: error: node file 'nodes.csv' not found in the deployment folder"]


def _square(code: str, lon: float) -> dict[str, object]:
    ring = [[lon, 30.0], [lon + 0.01, 30.0], [lon + 0.01, 30.01], [lon, 30.01], [lon, 30.0]]
    return {"type": "Feature", "properties": {"code": code},
            "geometry": {"type": "Polygon", "coordinates": [ring]}}


def test_boundaries_load_and_bad_features_are_located(tmp_path: Path) -> None:
    _split(tmp_path, CSV)
    main = tmp_path / "deployment.yaml"
    main.write_text(main.read_text(encoding="utf-8").replace(
        "  nodes: nodes.csv\n", "  nodes: nodes.csv\n  boundaries: grids.geojson\n"))
    features = [_square("S1C1G1", 120.0)]
    geo = tmp_path / "grids.geojson"
    geo.write_text(json.dumps({"type": "FeatureCollection", "features": features}, indent=1))
    assert set(load_deployment(tmp_path).boundaries) == {"S1C1G1"}
    features.append(_square("S1C1G9", 120.1))
    geo.write_text(json.dumps({"type": "FeatureCollection", "features": features}, indent=1))
    code, report = run_check(tmp_path)
    assert code == 1
    line = geo.read_text().splitlines().index('    "code": "S1C1G9"') + 1
    assert report == [f"grids.geojson:{line}:1: error: feature 2 (code 'S1C1G9'): no node has that code"]
    geo.write_text("{not json")
    assert run_check(tmp_path)[1] == ["grids.geojson:1:2: error: invalid JSON: Expecting property "
                                      "name enclosed in double quotes"]


def test_missing_and_empty_deployment_files(tmp_path: Path) -> None:
    assert run_check(tmp_path) == (1, [f"deployment.yaml:1:1: error: no deployment.yaml in {tmp_path}"])
    (tmp_path / "deployment.yaml").write_text("")
    assert run_check(tmp_path) == (1, ["deployment.yaml:1:1: error: the file is empty; start with 'deployment:'"])
    (tmp_path / "deployment.yaml").write_text("- a list\n")
    assert run_check(tmp_path)[1] == [
        "deployment.yaml:1:1: error: expected a mapping of top-level keys such as 'deployment:', 'hierarchy:'"]


def test_check_accepts_the_deployment_file_itself() -> None:
    assert run_check(FIXTURES / "minimal" / "deployment.yaml") == (0, [])
