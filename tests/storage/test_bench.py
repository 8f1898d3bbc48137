"""The subtree-count figure runs and agrees with hand-written SQL; `gridwork bench` times it."""

from __future__ import annotations

from gridwork.tools.scope_bench import CEILING, subtree_count


def test_subtree_count_figure_has_its_shape(db_url: str) -> None:
    figure = subtree_count(records=2000, streets=2, communities=2, grids=5, url=db_url, runs=1)
    assert figure["name"] == "subtree_count_1m" and figure["ceiling"] == CEILING
    assert figure["count"] == 1000 and figure["nodes"] == 1 + 2 + 4 + 20
    assert figure["ratio"] > 0 and isinstance(figure["ok"], bool)


def test_dashboard_figure_counts_what_the_hand_written_sql_counts(db_url: str) -> None:
    from gridwork.tools.overview_bench import dashboard

    figure = dashboard(records=3000, url=db_url, runs=2, streets=2, communities=2, grids=5)
    assert figure["name"] == "dashboard_1m" and figure["agrees"] is True
    assert figure["ratio"] > 0 and figure["nodes"] == 1 + 2 + 4 + 20


def test_map_layer_figure_clusters_what_the_hand_written_sql_clusters(db_url: str) -> None:
    from gridwork.tools.overview_bench import map_layer

    figure = map_layer(records=3000, url=db_url, runs=2, streets=2, communities=2, grids=5)
    assert figure["name"] == "map_layer_1m" and figure["agrees"] is True
    assert 1 < figure["features"] <= 2000 and figure["ratio"] > 0
