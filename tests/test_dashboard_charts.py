"""What the charts draw when a group-by has more groups than a chart can show (by team, thousands)."""

from __future__ import annotations

import doctest

import polars as pl

import dashboard.charts
import dashboard.plot
import dashboard.views.network
from dashboard.charts import heatmap, largest


def test_the_docstrings_examples_hold():
    for module in (dashboard.charts, dashboard.plot, dashboard.views.network):
        assert doctest.testmod(module).failed == 0


def test_a_figure_travels_as_plotly_writes_it_less_its_template():
    """The chart element's figure is what Streamlit's element was given (``plotly.io.to_json``),
    but for the template the page's theme replaces."""
    import json

    import plotly.io
    import streamlit  # noqa: F401  (its plotly template, the default one, as in the dashboard)

    frame = pl.DataFrame({"period": ["2026-01", "2026-02"], "department": ["<b>IT</b>", "IT"],
                          "participation_rate": [0.5, None]})
    fig = heatmap(frame, "department", "participation_rate", "Participation<br>by department")
    whole = plotly.io.to_json(fig, validate=False)
    assert '"template"' in whole
    sent = dashboard.plot.figure_json(fig)
    expected = json.loads(whole)
    del expected["layout"]["template"]
    assert json.loads(sent) == expected
    assert '"template"' not in sent and "\\u003cbr\\u003e" in sent  # escaped as plotly escapes it
    assert len(sent) < len(whole) / 2


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


def _labels_by_definition(centres, radii, texts, area):
    """place_labels's rule spelled out: every spot near the node, then every point of the plot's
    grid by distance (the grid's order among equals), each tried against every box placed."""
    import numpy as np

    from dashboard.charts import label_box

    w, h = area
    boxes = [(c[0] - radii[n], c[1] - radii[n], c[0] + radii[n], c[1] + radii[n]) for n, c in centres.items()]
    grid = [(gx, gy) for gx in np.arange(0, w, 6.0) for gy in np.arange(0, h, 6.0)]
    placed = {}
    for name in sorted(centres, key=lambda n: (-radii[n], n)):
        (x, y), r = centres[name], radii[name]
        box = label_box(texts[name], 0, 0)
        bw, bh = box[2] - box[0], box[3] - box[1]
        # above, below, right, left, then the corners, on three rings around the node
        near = [(x + dx * (r + 2 + k * bh + bw / 2), y + dy * (r + 2 + k * bh + bh / 2)) for k in range(3)
                for dx, dy in ((0, 1), (0, -1), (1, 0), (-1, 0), (1, 1), (-1, 1), (1, -1), (-1, -1))]
        far = sorted(grid, key=lambda p: float(np.hypot(p[0] - x, p[1] - y)))  # stable: the grid's order
        spot = next(((sx, sy) for sx, sy in near + far
                     if sx - bw / 2 >= 0 and sy - bh / 2 >= 0 and sx + bw / 2 <= w and sy + bh / 2 <= h
                     and not any(sx - bw / 2 < b[2] and b[0] < sx + bw / 2 and sy - bh / 2 < b[3] and b[1] < sy + bh / 2
                                 for b in boxes)), (x, y + r + 2 + bh / 2))
        placed[name] = (round(float(spot[0]), 2), round(float(spot[1]), 2))
        boxes.append(label_box(texts[name], *placed[name]))
    return placed


def test_labels_are_placed_by_their_rule_near_the_node_first_then_the_nearest_free_point():
    import random

    from dashboard.charts import place_labels

    rnd, fell_back = random.Random(7), 0
    for n, area in ((3, (400, 300)), (12, (300, 200)), (25, (400, 300)), (30, (300, 200))):
        centres = {f"Group {i}{'x' * rnd.randint(0, 10)}": (rnd.uniform(0, area[0]), rnd.uniform(0, area[1]))
                   for i in range(n)}
        radii = {k: rnd.uniform(3, 20) for k in centres}
        texts = {k: k for k in centres}
        placed = place_labels(centres, radii, texts, area)
        assert placed == _labels_by_definition(centres, radii, texts, area)
        fell_back += sum(abs(placed[k][0] - centres[k][0]) > 150 or abs(placed[k][1] - centres[k][1]) > 70
                         for k in centres)
    assert fell_back  # the crowded plots send some labels to the plot's grid


def test_stacked_counts_a_trace_per_series_in_the_order_it_first_appears_its_groups_in_row_order():
    from dashboard.charts import stacked_counts

    frame = pl.DataFrame({"team": ["B", "A", "B", "C", "A"],
                          "persona": ["observer", "observer", "engager", "engager", "catalyst"],
                          "people": [4, 1, 2, 7, 3]})
    fig = stacked_counts(frame, "team", "persona", "people", "t", "People")
    assert [(t.name, list(t.y), list(t.x), t.marker.color) for t in fig.data] == [
        ("observer", ["B", "A"], [4, 1], "#7f7f7f"), ("engager", ["B", "C"], [2, 7], "#1f77b4"),
        ("catalyst", ["A"], [3], "#17becf")]
    assert list(fig.layout.yaxis.categoryarray) == ["C", "B", "A"]
    # a series that is not a persona takes the palette's colours, in the same order
    other = stacked_counts(frame.with_columns(persona=pl.col("persona").str.to_uppercase()), "team", "persona",
                           "people", "t", "People")
    assert [t.marker.color for t in other.data] == ["#1f77b4", "#ff7f0e", "#2ca02c"]


def test_adoption_curves_a_line_per_group_by_name_its_periods_in_order_pilots_dotted():
    from dashboard.charts import adoption_curves

    frame = pl.DataFrame({"period": ["2026-02", "2026-01", "2026-02", "2026-01"],
                          "site": ["Lyon", "Lyon", "Caen", "Caen"], "participation_rate": [0.4, 0.2, None, 0.1]})
    fig = adoption_curves(frame, "site", {"Lyon": "pilot"}, "t")
    assert [(t.name, list(t.x), list(t.y), t.line.dash, t.line.color) for t in fig.data] == [
        ("Caen", ["2026-01", "2026-02"], [0.1, None], "solid", "#1f77b4"),
        ("Lyon (pilot)", ["2026-01", "2026-02"], [0.2, 0.4], "dot", "#ff7f0e")]


def test_split_bars_a_trace_per_class_in_order_a_missing_share_drawn_as_zero():
    from dashboard.charts import split_bars

    split = pl.DataFrame({"class": ["superuser", "contributor", "non-contributor"], "people": [1, 9, 90],
                          "people_share": [0.01, 0.09, 0.9], "contributions_share": [0.6, 0.4, None]})
    fig = split_bars(split, "t")
    assert [(t.name, list(t.x)) for t in fig.data] == [
        ("superuser", [0.01, 0.01, 0.6]), ("contributor", [0.09, 0.09, 0.4]),
        ("non-contributor", [0.9, 0.9, 0.0])]
