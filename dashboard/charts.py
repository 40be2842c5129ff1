"""Plotly figures. Each takes a tidy frame and returns a figure whose title states the finding.

Plotly reads a few HTML-like tags in any text it draws (titles, tick labels, hover text), and
every group name comes from an export: a name is escaped (:func:`safe`) before it reaches a
figure, so that ``<img src=x onerror=…>`` is drawn as those characters, never as markup.
"""

from __future__ import annotations

import functools
import html
import math

import networkx as nx
import plotly.graph_objects as go
import polars as pl
from plotly import basedatatypes

from dashboard.format import pct

# The dashboard styles charts with Streamlit's own theme; a plotly template would only cost time
# (plotly deep-copies it into every figure). The HTML report applies REPORT_TEMPLATE itself.
REPORT_TEMPLATE = "plotly_white"
# Plotly parses a property path ("xaxis_title") again at every use, defining a class each time:
# a third of a page's rerun. The parse depends on the string only, so it is remembered.
if not hasattr(basedatatypes._str_to_dict_path_full, "cache_info"):
    basedatatypes._str_to_dict_path_full = functools.lru_cache(maxsize=4096)(basedatatypes._str_to_dict_path_full)
SILO = "#c0392b"
NEUTRAL = "#7f8c8d"
ACCENT = "#2e86de"
EDGE_WIDTHS = 8  # classes of edge width in the group graph
CLASS_COLOURS = {
    "superuser": "#1b4f72",
    "contributor": "#2e86de",
    "lurker": "#aed6f1",
    "inactive": "#d5d8dc",
    "non-contributor": "#d5d8dc",
}


def safe(value) -> str:
    """A data-derived string as plotly text: every markup character escaped.

    >>> safe("<img src=x onerror=alert(1)>")
    '&lt;img src=x onerror=alert(1)&gt;'
    """
    return html.escape("" if value is None else str(value), quote=False)


def safes(values) -> list[str]:
    return [safe(v) for v in values]


#: A rate's axis: the whole 0–100% with a tick every 10 points. An axis cut to the data's span
#: turns a 2-point dip into a collapse, and plotly's own ticks on a narrow span repeat their
#: rounded labels (100%, 100%, 99%, 99%).
RATE_AXIS = dict(range=[0, 1.02], dtick=0.1, tickformat=".0%")


def _layout(fig: go.Figure, title: str, **kw) -> go.Figure:
    fig.update_layout(
        title=title, margin=dict(t=80 if "<br>" in title else 60, l=10, r=10, b=10), legend_title_text="", **kw
    )
    return fig


def participation_trend(frame: pl.DataFrame, title: str) -> go.Figure:
    """Participation and contribution rates per period (organisation-wide frame)."""
    fig = go.Figure()
    for column, name in (("participation_rate", "Participation"), ("contribution_rate", "Contribution")):
        fig.add_trace(
            go.Scatter(
                x=frame["period"].to_list(),
                y=frame[column].to_list(),
                mode="lines+markers",
                name=name,
                customdata=list(zip(frame["active"].to_list(), frame["contributors"].to_list(),
                                    frame["headcount"].to_list())),
                hovertemplate=(
                    "%{x}<br>" + name + ": %{y:.1%}<br>active %{customdata[0]:,} · "
                    "contributors %{customdata[1]:,} · headcount %{customdata[2]:,}<extra></extra>"
                ),
            )
        )
    return _layout(
        fig, title, hovermode="x unified", xaxis_title="Period", xaxis_type="category",
        yaxis_title="Share of headcount", yaxis=RATE_AXIS,
    )


def trend_title(frame: pl.DataFrame, what: str = "Participation", column: str = "participation_rate",
                partial: frozenset = frozenset()) -> str:
    """'Participation rose from 12.0% to 45.3% (2025-11 → 2026-10)', read from the complete periods
    only (``partial``: the labels of the periods the data covers in part).

    >>> f = pl.DataFrame({"period": ["2026-W01", "2026-W02", "2026-W03"], "participation_rate": [0.5, 0.4, 0.1]})
    >>> trend_title(f), trend_title(f, partial=frozenset({"2026-W03"}))
    ('Participation fell from 50.0% to 10.0% (2026-W01 → 2026-W03)', 'Participation fell from 50.0% to 40.0% (2026-W01 → 2026-W02)')
    """
    frame = frame.filter(pl.col(column).is_not_null())
    complete = frame.filter(~pl.col("period").is_in(list(partial)))
    frame = complete if complete.height else frame
    if frame.height == 0:
        return f"No {what.lower()} to show yet"
    first, last = frame.row(0, named=True), frame.row(-1, named=True)
    a, b = first[column], last[column]
    if frame.height == 1:
        return f"{what} is {pct(b)} in {last['period']}"
    verb = "rose" if b > a + 0.005 else "fell" if b < a - 0.005 else "held"
    if verb == "held":
        return f"{what} held at {pct(b)} from {first['period']} to {last['period']}"
    return f"{what} {verb} from {pct(a)} to {pct(b)} ({first['period']} → {last['period']})"


def mark_partial(fig: go.Figure, partial: frozenset, axis: str = "x") -> go.Figure:
    """Label the periods the data covers only in part on a period axis: '2026-W44 (partial)'."""
    periods: list[str] = []
    for trace in fig.data:
        for p in getattr(trace, axis) or ():
            if p not in periods:
                periods.append(p)
    cut = [p for p in periods if p in partial]
    if cut:
        periods = sorted(periods)
        fig.update_layout({f"{axis}axis": dict(tickmode="array", tickvals=periods,
                                               ticktext=[f"{p} (partial)" if p in partial else p for p in periods])})
    return fig


def adoption_curves(frame: pl.DataFrame, by: str, phases: dict[str, str], title: str) -> go.Figure:
    """Participation per period, one line per group, the group's roadmap phase in its name."""
    fig = go.Figure()
    for (group,), part in frame.sort("period").group_by([by], maintain_order=True):
        phase = phases.get(group)
        name = safe(group) + (f" ({safe(phase)})" if phase else "")
        fig.add_trace(go.Scatter(
            x=part["period"].to_list(), y=part["participation_rate"].to_list(), mode="lines",
            name=name, line=dict(dash="dot" if phase == "pilot" else "solid"),
            hovertemplate=name + "<br>%{x}: %{y:.1%}<extra></extra>",
        ))
    return _layout(fig, title, xaxis_title="Period", xaxis_type="category",
                   yaxis_title="Participation rate", yaxis=RATE_AXIS)


def largest(frame: pl.DataFrame, by: str, n: int) -> list[str]:
    """The ``n`` groups of ``frame`` with the most people in its last period (ties broken by name):
    the ones a chart draws when there are too many to read (by team, thousands).

    >>> frame = pl.DataFrame({"period": ["1", "2", "2", "2"], "g": ["a", "a", "b", "c"], "headcount": [9, 1, 5, 5]})
    >>> largest(frame, "g", 2)
    ['b', 'c']
    """
    last = frame.filter(pl.col("period") == frame["period"].max())
    return last.sort(["headcount", by], descending=[True, False]).head(n)[by].to_list()


def heatmap(frame: pl.DataFrame, by: str, value: str, title: str) -> go.Figure:
    """Group × period heatmap of a rate."""
    periods = sorted(frame["period"].unique().to_list())
    wide = frame.pivot(on="period", index=by, values=value).sort(by, descending=True)
    groups = wide[by].to_list()
    z = wide.select([pl.col(p) if p in wide.columns else pl.lit(None).alias(p) for p in periods]).rows()
    fig = go.Figure(go.Heatmap(
        z=z, x=periods, y=safes(groups), colorscale="Blues", zmin=0, zmax=1,
        colorbar=dict(title="", tickformat=".0%", dtick=0.2),
        hovertemplate="%{y}<br>%{x}: %{z:.1%}<extra></extra>",
    ))
    return _layout(fig, title, xaxis_title="Period", xaxis_type="category", yaxis_title=by.capitalize(),
                   yaxis_type="category", height=max(320, 28 * len(groups) + 120))


def ranking(frame: pl.DataFrame, by: str, value: str, title: str, axis: str) -> go.Figure:
    """Horizontal bars, best at the top."""
    f = frame.sort(value, descending=False, nulls_last=False)
    fig = go.Figure(go.Bar(
        x=f[value].to_list(), y=safes(f[by].to_list()), orientation="h", marker_color=ACCENT,
        customdata=f["headcount"].to_list() if "headcount" in f.columns else None,
        hovertemplate="%{y}: %{x:.1%}" + (" of %{customdata:,} people" if "headcount" in f.columns else "")
        + "<extra></extra>",
    ))
    return _layout(fig, title, xaxis_title=axis, xaxis=RATE_AXIS, yaxis_title="",
                   yaxis_type="category", height=max(320, 24 * f.height + 120))


def compared_lines(frame: pl.DataFrame, series: str, value: str, title: str, axis: str) -> go.Figure:
    """One line per value of ``series`` (e.g. frontline vs desk) over the periods."""
    fig = go.Figure()
    for (name,), part in frame.sort("period").group_by([series], maintain_order=True):
        fig.add_trace(go.Scatter(
            x=part["period"].to_list(), y=part[value].to_list(), mode="lines+markers", name=safe(name),
            hovertemplate=safe(name) + "<br>%{x}: %{y:.1%}<extra></extra>",
        ))
    return _layout(fig, title, hovermode="x unified", xaxis_title="Period", xaxis_type="category",
                   yaxis_title=axis, yaxis=RATE_AXIS)


def split_bars(split: pl.DataFrame, title: str) -> go.Figure:
    """The 90/9/1 split: share of people and share of contributions per class, beside Nielsen's."""
    classes = split["class"].to_list()
    reference = {"superuser": 0.01, "contributor": 0.09, "lurker": 0.90, "non-contributor": 0.90}
    fig = go.Figure()
    bars = ["People (90/9/1 reference)", "People", "Contributions"]
    for cls in classes:
        row = split.filter(pl.col("class") == cls).row(0, named=True)
        values = [reference.get(cls, 0.0), row["people_share"] or 0.0, row["contributions_share"] or 0.0]
        fig.add_trace(go.Bar(
            x=values, y=bars, name=cls, orientation="h", marker_color=CLASS_COLOURS.get(cls, NEUTRAL),
            hovertemplate=cls + ": %{x:.1%}<extra></extra>",
        ))
    return _layout(fig, title, barmode="stack", xaxis=RATE_AXIS, xaxis_title="Share",
                   yaxis_title="", height=300)


def lorenz(points: pl.DataFrame, gini: float | None, title: str) -> go.Figure:
    """The Lorenz curve of contributions, with the line of perfect equality."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="Everyone contributes equally",
                             line=dict(dash="dash", color=NEUTRAL), hoverinfo="skip"))
    fig.add_trace(go.Scatter(
        x=points["people_share"].to_list(), y=points["contributions_share"].to_list(), mode="lines",
        name=f"Observed (Gini {gini:.2f})" if gini is not None else "Observed", fill="tonexty",
        line=dict(color=ACCENT),
        hovertemplate="%{x:.1%} of people make %{y:.1%} of contributions<extra></extra>",
    ))
    return _layout(fig, title, xaxis_title="Share of people, fewest contributions first",
                   yaxis_title="Share of contributions", xaxis=RATE_AXIS, yaxis=RATE_AXIS)


def stacked_counts(frame: pl.DataFrame, by: str, series: str, value: str, title: str, axis: str) -> go.Figure:
    """Stacked horizontal bars: ``value`` per group, one colour per value of ``series``."""
    fig = go.Figure()
    for (name,), part in frame.group_by([series], maintain_order=True):
        fig.add_trace(go.Bar(
            y=safes(part[by].to_list()), x=part[value].to_list(), name=safe(name), orientation="h",
            hovertemplate="%{y} · " + safe(name) + ": %{x:,}<extra></extra>",
        ))
    n = frame[by].n_unique()
    return _layout(fig, title, barmode="stack", xaxis_title=axis, yaxis_title="", yaxis_type="category",
                   height=max(320, 24 * n + 120))


def ei_bars(frame: pl.DataFrame, by: str, threshold: float, title: str, highlight: str | None = None) -> go.Figure:
    """E-I index per group as a diverging bar; silos (below the threshold) in red; the group
    ``highlight`` (the one chosen) outlined."""
    f = frame.filter(pl.col("ei_index").is_not_null()).sort("ei_index")
    colours = [SILO if v < threshold else ACCENT for v in f["ei_index"].to_list()]
    outline = [3 if g == highlight else 0 for g in f[by].to_list()]
    fig = go.Figure(go.Bar(
        x=f["ei_index"].to_list(), y=safes(f[by].to_list()), orientation="h", marker_color=colours,
        marker_line=dict(width=outline, color="#111111"),
        customdata=list(zip(f["internal_ties"].to_list(), f["external_ties"].to_list())),
        hovertemplate="%{y}: E-I %{x:.2f}<br>ties inside %{customdata[0]:,} · outside "
        "%{customdata[1]:,}<extra></extra>",
    ))
    fig.add_vline(x=threshold, line_dash="dash", line_color=SILO)
    return _layout(fig, title, xaxis_title="E-I index (−1 closed silo, +1 only outward ties)",
                   xaxis=dict(range=[-1.05, 1.05], dtick=0.5, tickformat=".1f"), yaxis_title="", yaxis_type="category",
                   height=max(320, 24 * f.height + 120))


def org_trend(frame: pl.DataFrame, column: str, title: str, axis: str, percent: bool = True) -> go.Figure:
    fig = go.Figure(go.Scatter(
        x=frame["period"].to_list(), y=frame[column].to_list(), mode="lines+markers", marker_color=ACCENT,
        hovertemplate="%{x}: %{y:" + (".1%" if percent else ".2f") + "}<extra></extra>",
    ))
    return _layout(fig, title, xaxis_title="Period", xaxis_type="category", yaxis_title=axis,
                   yaxis=RATE_AXIS if percent else {})


def group_network(nodes: pl.DataFrame, edges: pl.DataFrame, silos: set[str], title: str) -> go.Figure:
    """The group graph: node size by headcount, edge width by ties, silos in red.

    Positions come from a seeded spring layout weighted by ties, so the picture is stable. Edge
    widths come in :data:`EDGE_WIDTHS` classes, proportional to the heaviest edge.
    """
    G = nx.Graph()
    for row in nodes.iter_rows(named=True):
        G.add_node(row["group"])
    for row in edges.iter_rows(named=True):
        G.add_edge(row["group_a"], row["group_b"], weight=row["weight"])
    pos = nx.spring_layout(G, weight="weight", seed=7) if len(G) else {}
    fig = go.Figure()
    top = max(edges["weight"].max() or 1, 1) if edges.height else 1
    # One trace per width class rather than per edge: a figure of many traces is slow to build.
    widths: dict[int, tuple[list, list]] = {}
    for a, b, weight in edges.select("group_a", "group_b", "weight").iter_rows():
        xs, ys = widths.setdefault(math.ceil(EDGE_WIDTHS * weight / top), ([], []))
        (x0, y0), (x1, y1) = pos[a], pos[b]
        xs += [x0, x1, None]
        ys += [y0, y1, None]
    for level, (xs, ys) in sorted(widths.items()):
        fig.add_trace(go.Scatter(
            x=xs, y=ys, mode="lines", showlegend=False, hoverinfo="skip",
            line=dict(width=0.5 + 8 * level / EDGE_WIDTHS, color="rgba(127,140,141,0.45)"),
        ))
    biggest = max(nodes["headcount"].max() or 1, 1) if nodes.height else 1
    names = nodes["group"].to_list()
    fig.add_trace(go.Scatter(
        x=[pos[n][0] for n in names], y=[pos[n][1] for n in names], mode="markers+text",
        text=safes(names), textposition="top center", showlegend=False,
        marker=dict(
            size=[12 + 40 * math.sqrt(h / biggest) for h in nodes["headcount"].to_list()],
            color=[SILO if n in silos else ACCENT for n in names], line=dict(width=1, color="white"),
        ),
        customdata=list(zip(nodes["headcount"].to_list(), nodes["internal_ties"].to_list())),
        hovertemplate="%{text}<br>%{customdata[0]:,} people · %{customdata[1]:,} ties inside<extra></extra>",
    ))
    return _layout(fig, title, xaxis_visible=False, yaxis_visible=False, height=560)


def lifecycle_bars(frame: pl.DataFrame, title: str) -> go.Figure:
    """New, continuing and returning contributors stacked per period, lapsed below the axis."""
    fig = go.Figure()
    periods = frame["period"].to_list()
    for column, name in (("new", "New"), ("returning", "Returning"), ("continuing", "Continuing")):
        fig.add_trace(go.Bar(x=periods, y=frame[column].to_list(), name=name,
                             hovertemplate=name + " %{x}: %{y:,}<extra></extra>"))
    fig.add_trace(go.Bar(x=periods, y=[-v for v in frame["lapsed"].to_list()], name="Lapsed",
                         customdata=frame["lapsed"].to_list(),
                         hovertemplate="Lapsed %{x}: %{customdata:,}<extra></extra>"))
    return _layout(fig, title, barmode="relative", xaxis_title="Period", xaxis_type="category",
                   yaxis_title="People")


def funnel(steps: list[tuple[str, int]], title: str) -> go.Figure:
    """The onboarding funnel: people at each step (labels are the product's own words)."""
    fig = go.Figure(go.Funnel(y=[s for s, _ in steps], x=[n for _, n in steps], textinfo="value+percent initial",
                              marker_color=ACCENT))
    return _layout(fig, title, yaxis_type="category")


def cohort_curves(frame: pl.DataFrame, title: str) -> go.Figure:
    """One line per cohort (month of arrival): the share of it active each month after."""
    fig = go.Figure()
    for (cohort,), part in frame.sort("cohort", "months_after").group_by(["cohort"], maintain_order=True):
        fig.add_trace(go.Scatter(
            x=part["months_after"].to_list(), y=part["share"].to_list(), mode="lines+markers", name=safe(cohort),
            customdata=part["cohort_size"].to_list(),
            hovertemplate=safe(cohort) + " (%{customdata:,} people)<br>month %{x}: %{y:.1%}<extra></extra>",
        ))
    return _layout(fig, title, xaxis_title="Months after arrival", xaxis=dict(dtick=1),
                   yaxis_title="Share of the cohort active", yaxis=RATE_AXIS)


def hours_trend(frame: pl.DataFrame, title: str) -> go.Figure:
    """Median and 90th percentile of the time to first reply (hours) per period."""
    fig = go.Figure()
    for column, name in (("first_reply_median_hours", "Median"), ("first_reply_p90_hours", "90th percentile")):
        fig.add_trace(go.Scatter(x=frame["period"].to_list(), y=frame[column].to_list(), mode="lines+markers",
                                 name=name, hovertemplate=name + " %{x}: %{y:.1f} h<extra></extra>"))
    return _layout(fig, title, hovermode="x unified", xaxis_title="Period", xaxis_type="category",
                   yaxis_title="Hours to first reply (calendar)", yaxis=dict(rangemode="tozero"))


def organisation_trend(frame: pl.DataFrame, title: str) -> go.Figure:
    """Participation per period of a few organisations (``organisation``, ``period``,
    ``participation_rate``): an organisation against the company, or its parts."""
    fig = go.Figure()
    for name in frame["organisation"].unique(maintain_order=True).to_list():
        one = frame.filter(pl.col("organisation") == name)
        fig.add_trace(go.Scatter(x=one["period"].to_list(), y=one["participation_rate"].to_list(),
                                 mode="lines+markers", name=safe(name),
                                 hovertemplate="%{x}: %{y:.1%}<extra>" + safe(name) + "</extra>"))
    return _layout(fig, title, xaxis_title="Period", xaxis_type="category", yaxis_title="Participation",
                   yaxis=RATE_AXIS)


def relays_chart(frame: pl.DataFrame, title: str) -> go.Figure:
    """Managers as relays per period: the participation of the teams whose manager took part and of
    the others (``participation_with``, ``participation_without``), each with its teams counted."""
    fig = go.Figure()
    for side, name, colour in (("with", "Manager took part", ACCENT), ("without", "Manager did not", NEUTRAL)):
        fig.add_trace(go.Scatter(
            x=frame["period"].to_list(), y=frame[f"participation_{side}"].to_list(), mode="lines+markers",
            name=name, marker_color=colour, customdata=frame[f"teams_{side}"].to_list(),
            hovertemplate="%{x}: %{y:.1%} · %{customdata} teams<extra>" + name + "</extra>"))
    return _layout(fig, title, xaxis_title="Period", xaxis_type="category", yaxis_title="Participation of the teams",
                   yaxis=RATE_AXIS)
