"""The sweep figures run on a small database and count what they claim to count."""

from __future__ import annotations

from gridwork.timers.sweep_bench import IDLE_CEILING, RATIO_FLOOR, sweep_figures


def test_sweep_figures_have_their_shape() -> None:
    figures = sweep_figures(records=3000, due=300, runs=1)
    due, idle = figures["sweep_100k_due"], figures["sweep_idle_1m_open"]
    assert (due["name"], due["ceiling"], due["due"], due["records"]) == (
        "sweep_100k_due", RATIO_FLOOR, 300, 3000)
    assert due["ratio"] > 0 and due["ok"] == (due["ratio"] >= RATIO_FLOOR)
    assert (idle["name"], idle["ceiling"], idle["pending_timers"]) == (
        "sweep_idle_1m_open", IDLE_CEILING, 3000)
    assert 0 < idle["seconds"] and idle["ok"] == (idle["seconds"] <= IDLE_CEILING)
