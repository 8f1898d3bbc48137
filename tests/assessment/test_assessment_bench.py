"""The `assess_month_1m` figure at a small size: the sheet and the hand-written SQL agree
(the figure refuses to report a ratio otherwise), and the figure has its shape."""

from __future__ import annotations

from gridwork.tools.assess_bench import CEILING, assess_month
from gridwork.tools.bench import FIGURES


def test_the_figure_compares_agreeing_queries() -> None:
    figure = assess_month(records=3_000, streets=1, communities=2, grids=5, runs=1)
    assert figure["name"] == "assess_month_1m" and "assess_month_1m" in FIGURES
    assert figure["ceiling"] == CEILING and figure["ratio"] > 0
    assert figure["records"] == 3_000 and figure["nodes"] == 1 + 1 + 2 + 10
