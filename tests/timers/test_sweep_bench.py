"""The sweep figures run on a small database and count what they claim to count."""

from __future__ import annotations

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from support import run_cli

from gridwork.tools.bench import _scratch
from gridwork.tools.sweep_bench import IDLE_CEILING, RATIO_FLOOR, sweep_figures


def _shape(figures: dict[str, dict[str, object]], database: str) -> None:
    due, idle = figures["sweep_100k_due"], figures["sweep_idle_1m_open"]
    assert (due["name"], due["ceiling"], due["due"], due["records"], due["database"]) == (
        "sweep_100k_due", RATIO_FLOOR, 300, 3000, database)
    assert isinstance(due["ratio"], float) and due["ratio"] > 0
    assert due["ok"] == (due["ratio"] >= RATIO_FLOOR)
    assert (idle["name"], idle["ceiling"], idle["pending_timers"]) == (
        "sweep_idle_1m_open", IDLE_CEILING, 3000)
    assert isinstance(idle["seconds"], float) and idle["seconds"] > 0
    assert idle["ok"] == (idle["seconds"] <= IDLE_CEILING)


def test_sweep_figures_have_their_shape() -> None:
    _shape(sweep_figures(records=3000, due=300, runs=1), "sqlite")


def test_on_postgresql_a_figure_builds_in_a_schema_of_its_own_and_drops_it(
        pg_database: str) -> None:
    schemas = text("SELECT count(*) FROM information_schema.schemata "
                   "WHERE schema_name LIKE 'gridwork_bench_%'")
    with _scratch(pg_database) as url:
        assert url is not None and "search_path" in url
        _shape(sweep_figures(records=3000, due=300, runs=1, url=url), "postgresql")
        admin = create_engine(pg_database)
        with admin.connect() as conn:
            assert conn.execute(schemas).scalar() == 1
    with admin.connect() as conn:
        assert conn.execute(schemas).scalar() == 0
    admin.dispose()


def test_bench_takes_only_a_postgresql_database() -> None:
    code, _, err = run_cli("bench", "--only", "sweep_100k_due", "--db", "sqlite:///x.db")
    assert code == 2 and "give a PostgreSQL URL" in err


def test_a_figures_schema_keeps_the_options_given_with_the_database(pg_database: str) -> None:
    given = make_url(pg_database).update_query_dict({"options": "-cwork_mem=7MB"})
    with _scratch(given.render_as_string(hide_password=False)) as url:
        assert url is not None
        engine = create_engine(url)
        with engine.connect() as conn:
            assert conn.execute(text("SHOW work_mem")).scalar() == "7MB"
            assert conn.execute(text("SELECT current_schema()")).scalar().startswith(
                "gridwork_bench_")
        engine.dispose()

