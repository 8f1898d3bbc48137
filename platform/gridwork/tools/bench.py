"""`gridwork bench`: performance figures, each against a ceiling measured or set in the run.

Figures are dictionaries: ``{"name", "seconds" | "ratio", "ceiling", "ok", …}``. Timed
goals live here, never as assertions in the test suite. Figures that need a database build
theirs in a temporary SQLite file, or, given a PostgreSQL URL, in a schema of their own
there, dropped afterwards.
"""

from __future__ import annotations

import contextlib
import functools
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

Figure = dict[str, Any]

_DEPLOYMENT = """\
deployment: {name: bench, title: 基准测试}
hierarchy:
  levels:
    - {key: district, label: 区, code: "^\\\\d{6}$"}
    - {key: street, label: 街道, code: "^\\\\d{9}$"}
    - {key: community, label: 社区, code: "^\\\\d{12}$"}
    - {key: grid, label: 网格, code: "^\\\\d{15}$"}
  nodes: nodes.csv
roles:
  grid_worker: {label: 网格员, at: grid, can: [view, create]}
  street_officer: {label: 街道干部, at: street, can: [view, supervise]}
registers:
  place:
    label: 场所
    fields:
      - {name: name, type: text, required: true}
      - {name: code, type: credit_code, unique: true}
"""


def generate_tree(root: Path, streets: int = 20, communities: int = 20, grids: int = 50) -> int:
    """Write a deployment with streets × communities × grids grid nodes; return the node count."""
    rows = ["code,name,parent,level", "330106,西湖区,,district"]
    for s in range(1, streets + 1):
        street = f"330106{s:03d}"
        rows.append(f"{street},第{s}街道,330106,street")
        for c in range(1, communities + 1):
            community = f"{street}{c:03d}"
            rows.append(f"{community},第{s}街道第{c}社区,{street},community")
            rows.extend(f"{community}{g:03d},第{g}网格,{community},grid"
                        for g in range(1, grids + 1))
    root.mkdir(parents=True, exist_ok=True)
    (root / "nodes.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (root / "deployment.yaml").write_text(_DEPLOYMENT, encoding="utf-8")
    return len(rows) - 1


def config_check_20k_nodes(_url: str | None = None) -> Figure:
    """`gridwork check` of a deployment with 20,000 grid nodes, as a whole process; goal < 1 s
    (no database)."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "bench"
        nodes = generate_tree(root)
        command = [sys.executable, "-m", "gridwork", "check", "--quiet", str(root)]
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            runs.append(time.perf_counter() - start)
            if done.returncode != 0:
                raise RuntimeError(f"benchmark deployment does not check:\n{done.stdout}")
        from ..config import check

        start = time.perf_counter()
        check(root)
        in_process = time.perf_counter() - start
    seconds = min(runs)
    return {"name": "config_check_20k_nodes", "seconds": round(seconds, 4), "ceiling": 1.0,
            "ok": seconds < 1.0, "nodes": nodes, "in_process_seconds": round(in_process, 4)}


def subtree_count_1m(url: str | None = None) -> Figure:
    """A scoped count under one street of 1,000,000 records, as a ratio to hand-written SQL."""
    from .scope_bench import subtree_count

    with _scratch(url) as where:
        return subtree_count(records=1_000_000, url=where)


def sweep_100k_due(url: str | None = None) -> Figure:
    """Timers fired per second by the sweep (100,000 due among 1,000,000 open records), as a
    ratio to one set-based UPDATE of the same rows; goal ≥ 0.3."""
    return _sweep_figures(url)["sweep_100k_due"]


def sweep_idle_1m_open(url: str | None = None) -> Figure:
    """Seconds for a sweep with nothing due over 1,000,000 open records; goal ≤ 0.01 s."""
    return _sweep_figures(url)["sweep_idle_1m_open"]


@functools.cache
def _sweep_figures(url: str | None) -> dict[str, Figure]:
    """Both sweep figures come from one database of a million records, built once."""
    from .sweep_bench import sweep_figures

    with _scratch(url) as where:
        return sweep_figures(url=where)


@contextlib.contextmanager
def _scratch(url: str | None) -> Iterator[str | None]:
    """A new schema in the PostgreSQL database at ``url``, as a URL that uses it; dropped
    with all it holds afterwards, so that a figure never touches what the database had.
    Without ``url``, None: the figure makes a temporary SQLite file."""
    if url is None:
        yield None
        return
    from sqlalchemy import create_engine

    from ..storage.engine import normalized_url

    parsed = normalized_url(url)
    admin = create_engine(parsed, isolation_level="AUTOCOMMIT")
    name = f"gridwork_bench_{secrets.token_hex(4)}"
    options = " ".join(filter(None, (str(parsed.query.get("options") or ""),
                                     f"-csearch_path={name}")))

    def drop() -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{name}" CASCADE')

    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{name}"')
        try:
            yield parsed.update_query_dict({"options": options}
                                           ).render_as_string(hide_password=False)
        except BaseException:
            with contextlib.suppress(Exception):  # the figure's error is the one to see
                drop()
            raise
        drop()
    finally:
        admin.dispose()


def duties_generate_100k(url: str | None = None) -> Figure:
    """One period's duties for 100,000 entries sampled 50/30/20% by class, as a ratio to a
    hand-written INSERT … SELECT of as many rows; goal ≥ 0.3."""
    return _duty_figures(url)["duties_generate_100k"]


def duties_idle_1m(url: str | None = None) -> Figure:
    """Seconds for a duty generation pass with every period generated, over 1,000,000
    entries; goal ≤ 0.01 s."""
    return _duty_figures(url)["duties_idle_1m"]


@functools.cache
def _duty_figures(url: str | None) -> dict[str, Figure]:
    from .duties_bench import duty_figures

    with _scratch(url) as where:
        return duty_figures(url=where)


def assess_month_1m(url: str | None = None) -> Figure:
    """A month's score sheets for 20,000 grids over 1,000,000 events with history, as a
    ratio to one hand-written SQL aggregate of the same metrics; goal ≤ 2.0."""
    from .assess_bench import assess_month

    with _scratch(url) as where:
        return assess_month(url=where)


def api_create_8_clients(_url: str | None = None) -> Figure:
    """API creates per second with 8 clients on SQLite, as a ratio to a bare Starlette
    endpoint making the same inserts; goal ≥ 0.5 and no 5xx (SQLite only: it is the
    default that must hold up)."""
    from .load_bench import api_create_8_clients as figure

    return figure()


def list_page_p95_8_clients(_url: str | None = None) -> Figure:
    """The p95 of the scoped list page over 100,000 records with 8 clients (SQLite)."""
    from .load_bench import list_page_p95_8_clients as figure

    return figure()


def dashboard_1m(url: str | None = None) -> Figure:
    """The p95 of the scoped dashboard's counts for a district user over 1,000,000 events
    and 20,000 grids (50 requests), as a ratio to the same aggregates hand-written in SQL;
    goal ≤ 1.5 and ≤ 300 ms."""
    from .overview_bench import dashboard

    with _scratch(url) as where:
        return dashboard(records=1_000_000, url=where)


def map_layer_1m(url: str | None = None) -> Figure:
    """The p95 of the clustered events layer for a district user over the whole district
    at zoom 12, 1,000,000 events (50 requests), as a ratio to the same grouping
    hand-written in SQL; goal ≤ 1.5, ≤ 300 ms and ≤ 2,000 features."""
    from .overview_bench import map_layer

    with _scratch(url) as where:
        return map_layer(records=1_000_000, url=where)


def lifecycle_inprocess(url: str | None = None) -> Figure:
    """Lifecycles (six steps) per second through `take_action`, as a ratio to a raw-SQL
    lifecycle making the same writes in the same run; goal ≥ 0.3. SpiffWorkflow's rate
    beside it when installed, and a profile of one lifecycle in the detail."""
    from .lifecycle_bench import lifecycle_inprocess as figure

    with _scratch(url) as where:
        return figure(where)


def lifecycle_http_4_clients(url: str | None = None) -> Figure:
    """The same lifecycles through the JSON API of `gridwork serve` with 4 clients, as a
    ratio to a bare Starlette app making the same raw transactions; goal ≥ 0.5, no 5xx."""
    from .lifecycle_bench import lifecycle_http

    with _scratch(url) as where:
        return lifecycle_http(where)


def statements_per_step(url: str | None = None) -> Figure:
    """SQL statements per `take_action` over a lifecycle, counted by SQLAlchemy's
    ``before_cursor_execute`` hook; goal ≤ 5."""
    from .lifecycle_bench import statements_figure

    with _scratch(url) as where:
        return statements_figure(where)


FIGURES: dict[str, Callable[[str | None], Figure]] = {
    "config_check_20k_nodes": config_check_20k_nodes,
    "subtree_count_1m": subtree_count_1m,
    "sweep_100k_due": sweep_100k_due,
    "sweep_idle_1m_open": sweep_idle_1m_open,
    "duties_generate_100k": duties_generate_100k,
    "duties_idle_1m": duties_idle_1m,
    "assess_month_1m": assess_month_1m,
    "api_create_8_clients": api_create_8_clients,
    "list_page_p95_8_clients": list_page_p95_8_clients,
    "dashboard_1m": dashboard_1m,
    "map_layer_1m": map_layer_1m,
    "lifecycle_inprocess": lifecycle_inprocess,
    "lifecycle_http_4_clients": lifecycle_http_4_clients,
    "statements_per_step": statements_per_step,
}


def run_benchmarks(only: tuple[str, ...] = (), url: str | None = None) -> list[Figure]:
    """Run the named figures (all when none are named), on the PostgreSQL database at
    ``url`` when given."""
    return [FIGURES[name](url) for name in (only or tuple(FIGURES))]
