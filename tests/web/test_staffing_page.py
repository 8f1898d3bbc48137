"""The staffing page lists, for an administrator, the grids without their grid worker."""

from __future__ import annotations

import re
from collections.abc import Callable

from starlette.testclient import TestClient


def test_an_administrator_sees_the_grids_short_of_a_grid_worker(
        make_client: Callable[..., TestClient]) -> None:
    admin = make_client("community", "admin")
    assert 'href="/staffing"' in admin.get("/").text
    html = admin.get("/staffing").text
    section = html[html.index('id="role-grid_worker"'):]
    # The demo seeds one grid worker, on the first grid: every other grid is listed.
    short = int(re.search(r'<p class="count">(\d+)', section).group(1))
    assert short > 200
    rows = re.findall(r'<tr class="short">\s*<td[^>]*>([^<]+)</td>', section)
    assert len(rows) == 200
    assert f"另有 {short - 200} 个" in section


def test_others_may_not_read_it(make_client: Callable[..., TestClient]) -> None:
    worker = make_client("community", "grid_worker")
    assert worker.get("/staffing").status_code == 403
    assert 'href="/staffing"' not in worker.get("/").text
