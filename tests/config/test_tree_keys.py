"""The keys of ragged trees — a level's `under:`, `attach_to` as a list or `{leaves: LEVEL}`,
a role `at:` several levels — on the price-supervision fixture: it checks clean, and each
mistake gets its FILE:LINE:COL and what to write instead.

Each case edits a copy of tests/fixtures/price and pins exit code and report.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support import FIXTURES, run_check

PRICE = FIXTURES / "price"

# (id, [(old, new), ...] in deployment.yaml, exit code, expected report lines)
CASES = [
    ('under_unknown', [('under: [county, city, province]', 'under: [county, city, provnce]')], 1, [
      "deployment.yaml:11:71: error: unknown level 'provnce'; did you mean 'province'?"]),
    ('under_below', [('{key: city, label: 市, code: "^\\\\d{4}00$"}', '{key: city, label: 市, code: "^\\\\d{4}00$", under: [province, cell]}')], 1, [
      "deployment.yaml:9:67: error: 'cell' is listed after 'city', so a city node cannot sit under it: the levels go from the top down and a level sits only under levels above it; remove 'cell' here, or list 'cell' above 'city'"]),
    ('under_top', [('{key: province, label: 省, code: "^\\\\d{2}0000$"}', '{key: province, label: 省, code: "^\\\\d{2}0000$", under: city}')], 1, [
      "deployment.yaml:8:55: error: 'province' is the top level and sits under nothing; remove 'under:' (or list a level above it first)"]),
    ('under_missing', [(', under: [county, city, province]}', '}')], 1, [
      "nodes.csv:9:20: error: a cell node needs a county as parent, but '420100' is a city; if cell nodes may sit under a city, write 'under: [county, city]' on the cell level",
      "nodes.csv:10:22: error: a cell node needs a county as parent, but '420100' is a city; if cell nodes may sit under a city, write 'under: [county, city]' on the cell level",
      "nodes.csv:11:18: error: a cell node needs a county as parent, but '420000' is a province; if cell nodes may sit under a province, write 'under: [county, province]' on the cell level"]),
    ('under_too_narrow', [('under: [county, city, province]', 'under: [county, city]')], 1, [
      "nodes.csv:11:18: error: a cell node needs a county or a city as parent, but '420000' is a province; if cell nodes may sit under a province, write 'under: [county, city, province]' on the cell level"]),
    ('leaves_unknown', [('attach_to: {leaves: cell}', 'attach_to: {leaves: cel}')], 1, [
      "deployment.yaml:24:25: error: unknown level 'cel'; did you mean 'cell'?"]),
    ('leaves_misspelt_key', [('attach_to: {leaves: cell}', 'attach_to: {leafs: cell}')], 1, [
      "deployment.yaml:24:17: error: unknown key 'leafs'; did you mean 'leaves'? (allowed here: leaves)"]),
    ('attach_list_unknown', [('attach_to: [cell, subcell]', 'attach_to: [cell, subcel]')], 1, [
      "deployment.yaml:32:23: error: unknown level 'subcel'; did you mean 'subcell'?"]),
    ('attach_list_twice', [('attach_to: [cell, subcell]', 'attach_to: [cell, cell]')], 1, [
      "deployment.yaml:32:23: error: level 'cell' is listed twice"]),
    ('attach_list_empty', [('attach_to: [cell, subcell]', 'attach_to: []')], 1, [
      "deployment.yaml:32:16: error: an empty list of levels; name the levels records sit at, or leave 'attach_to' out for the lowest level"]),
    ('attach_number', [('attach_to: [cell, subcell]', 'attach_to: 3')], 1, [
      'deployment.yaml:32:16: error: expected text or a list or a mapping']),
    ('role_at_unknown', [('at: [province, city, county]', 'at: [province, city, conty]')], 1, [
      "deployment.yaml:16:46: error: unknown level 'conty'; did you mean 'county'?"]),
    ('role_at_twice', [('at: [province, city, county]', 'at: [province, city, city]')], 1, [
      "deployment.yaml:16:46: error: level 'city' is listed twice"]),
    ('role_at_and_department', [('at: [province, city, county]', 'at: []')], 1, [
      "deployment.yaml:16:9: error: a role needs exactly one of 'at' (a level) or 'department'"]),
    ('move_up_not_above', [('move_up: county, notify', 'move_up: subcell, notify')], 0, [
      "deployment.yaml:60:27: warning: 'subcell' is not above where 'price_report' records sit by then ('cell, subcell')"]),
    ('move_up_past_top', [('{after: 2h, move_up: 1,', '{after: 2h, move_up: 5,')], 0, [
      "deployment.yaml:56:28: warning: escalation goes above the top of the tree: 'price_report' records start at 'cell or subcell' and this step moves them past 'province'"]),
]


def test_the_price_deployment_checks_clean() -> None:
    assert run_check(PRICE) == (0, [])


@pytest.mark.parametrize(("edits", "code", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_a_mistake_in_a_tree_key_is_reported_at_its_place(
        tmp_path: Path, edits: list[tuple[str, str]], code: int, expected: list[str]) -> None:
    folder = tmp_path / "price"
    shutil.copytree(PRICE, folder)
    text = (folder / "deployment.yaml").read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) == 1, f"the edit must match exactly once: {old!r}"
        text = text.replace(old, new)
    (folder / "deployment.yaml").write_text(text, encoding="utf-8")
    assert run_check(folder) == (code, expected)
