"""What the charts draw when a group-by has more groups than a chart can show (by team, thousands)."""

from __future__ import annotations

import doctest

import polars as pl

import dashboard.charts
import dashboard.views.network
from dashboard.charts import heatmap, largest


def test_the_docstrings_examples_hold():
    for module in (dashboard.charts, dashboard.views.network):
        assert doctest.testmod(module).failed == 0


def test_largest_groups_by_headcount_in_the_last_period():
    frame = pl.DataFrame({
        "period": ["2026-01"] * 4 + ["2026-02"] * 4,
        "team": ["a", "b", "c", "d"] * 2,
        "headcount": [50, 1, 1, 1, 3, 7, 7, 9],
    })
    assert largest(frame, "team", 3) == ["d", "b", "c"]  # a was large in January only
    assert largest(frame, "team", 10) == ["d", "b", "c", "a"]


def test_heatmap_rows_are_groups_and_columns_periods_gaps_left_empty():
    frame = pl.DataFrame({"period": ["2026-01", "2026-02", "2026-02"], "site": ["Lyon", "Lyon", "Paris"],
                          "participation_rate": [0.5, 0.25, 1.0]})
    fig = heatmap(frame, "site", "participation_rate", "t")
    assert list(fig.data[0].y) == ["Paris", "Lyon"] and list(fig.data[0].x) == ["2026-01", "2026-02"]
    assert [list(r) for r in fig.data[0].z] == [[None, 1.0], [0.5, 0.25]]
