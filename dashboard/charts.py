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
import numpy as np
import plotly.graph_objects as go
import polars as pl
from plotly import basedatatypes

from dashboard.format import pct, term
from ruche import i18n
from ruche.i18n import _

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


#: One colour per series: 24 distinct colours (d3's category10, then the darker ones of its
#: category20b and 20c), more spread over the hue circle when a chart draws more series than that.
#: Plotly's own cycle has 10: an 11th line would take the first one's colour.
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd",
           "#e6550d", "#31a354", "#756bb1", "#636363", "#5254a3", "#8ca252", "#bd9e39", "#ad494a")
#: The personas in a fixed order with their colours, whatever the page's frame holds.
PERSONA_COLOURS = {"engager": "#1f77b4", "catalyst": "#17becf", "responder": "#ff7f0e", "broadcaster": "#9467bd",
                   "observer": "#7f7f7f"}


def colours(n: int) -> list[str]:
    """``n`` distinct colours.

    >>> colours(2), len(set(colours(40)))
    (['#1f77b4', '#ff7f0e'], 40)
    """
    if n <= len(PALETTE):
        return list(PALETTE[:n])
    return [f"hsl({round(360 * i / n)},70%,{40 if i % 2 else 55}%)" for i in range(n)]


def one_period(fig: go.Figure) -> go.Figure:
    """A chart over periods whose range holds a single one draws dots, not lines: say so, and
    draw the dots (a line of one point is invisible)."""
    xs = {x for trace in fig.data if isinstance(trace, go.Scatter) for x in (trace.x or ()) if x is not None}
    if len(xs) == 1:
        fig.update_traces(mode="markers", marker_size=10, selector=dict(type="scatter"))
        fig.add_annotation(text=_("One period in the range: one point per series, no trend. Widen the "
                                   "period range to see one."), xref="paper", yref="paper", x=0.5, y=1.0, yanchor="top",
                           showarrow=False, font=dict(color=NEUTRAL))
    return fig


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
    if i18n.current() != i18n.DEFAULT:
        fig.update_layout(separators=i18n.plotly_separators())
        if kw.get("xaxis_type") == "category":
            _period_ticks(fig)
    return fig


def _period_ticks(fig: go.Figure, partial: frozenset = frozenset()) -> None:
    """A period axis labelled as the language writes periods ('oct. 2026'), the partial ones marked."""
    periods = sorted({p for trace in fig.data for p in (getattr(trace, "x", None) or ()) if isinstance(p, str)})
    if periods:
        fig.update_layout(xaxis=dict(tickmode="array", tickvals=periods, ticktext=[
            i18n.period_label(p) + (_(" (partial)") if p in partial else "") for p in periods]))


def participation_trend(frame: pl.DataFrame, title: str) -> go.Figure:
    """Participation and contribution rates per period (organisation-wide frame)."""
    fig = go.Figure()
    for (column, name), colour in zip((("participation_rate", _("Participation")), ("contribution_rate", _("Contribution"))),
                                      colours(2)):
        fig.add_trace(
            go.Scatter(
                x=frame["period"].to_list(),
                y=frame[column].to_list(),
                mode="lines+markers",
                name=name, line_color=colour,
                customdata=list(zip(frame["active"].to_list(), frame["contributors"].to_list(),
                                    frame["headcount"].to_list())),
                hovertemplate=(
                    "%{x}<br>" + name + ": %{y:.1%}<br>" + _("active %{customdata[0]:,} · "
                    "contributors %{customdata[1]:,} · headcount %{customdata[2]:,}") + "<extra></extra>"
                ),
            )
        )
    return one_period(_layout(
        fig, title, hovermode="x unified", xaxis_title=_("Period"), xaxis_type="category",
        yaxis_title=_("Share of headcount"), yaxis=RATE_AXIS,
    ))


def trend_title(frame: pl.DataFrame, what: str | None = None, column: str = "participation_rate",
                partial: frozenset = frozenset()) -> str:
    """'Participation rose from 12.0% to 45.3% (2025-11 → 2026-10)', read from the complete periods
    only (``partial``: the labels of the periods the data covers in part).

    >>> f = pl.DataFrame({"period": ["2026-W01", "2026-W02", "2026-W03"], "participation_rate": [0.5, 0.4, 0.1]})
    >>> trend_title(f), trend_title(f, partial=frozenset({"2026-W03"}))
    ('Participation fell from 50.0% to 10.0% (2026-W01 → 2026-W03)', 'Participation fell from 50.0% to 40.0% (2026-W01 → 2026-W02)')
    """
    what = _("Participation") if what is None else what
    # the complete periods' rows, else all (a period without a value left out either way), in
    # one plan collected once: each eager filter waits on polars' threads
    whole = ~pl.col("period").is_in(list(partial))
    frame = frame.lazy().filter(pl.col(column).is_not_null()).filter(
        pl.when(whole.any()).then(whole).otherwise(True)).collect()
    if frame.height == 0:
        return _("No {what} to show yet").format(what=what.lower())
    first, last = frame.row(0, named=True), frame.row(-1, named=True)
    a, b = first[column], last[column]
    p1, p2 = i18n.period_label(first["period"]), i18n.period_label(last["period"])
    if frame.height == 1:
        return _("{what} is {value} in {period}").format(what=what, value=pct(b), period=p2)
    if abs(b - a) <= 0.005:
        return _("{what} held at {value} from {first} to {last}").format(what=what, value=pct(b), first=p1, last=p2)
    if b > a:
        return _("{what} rose from {a} to {b} ({first} → {last})").format(what=what, a=pct(a), b=pct(b), first=p1, last=p2)
    return _("{what} fell from {a} to {b} ({first} → {last})").format(what=what, a=pct(a), b=pct(b), first=p1, last=p2)


def mark_partial(fig: go.Figure, partial: frozenset, axis: str = "x") -> go.Figure:
    """Label the periods the data covers only in part on a period axis: '2026-W44 (partial)'."""
    periods: list[str] = []
    for trace in fig.data:
        for p in getattr(trace, axis) or ():
            if p not in periods:
                periods.append(p)
    cut = [p for p in periods if p in partial]
    if i18n.current() != i18n.DEFAULT:
        _period_ticks(fig, partial)
    elif cut:
        periods = sorted(periods)
        fig.update_layout({f"{axis}axis": dict(tickmode="array", tickvals=periods,
                                               ticktext=[p + _(" (partial)") if p in partial else p for p in periods])})
    return fig


def adoption_curves(frame: pl.DataFrame, by: str, phases: dict[str, str], title: str) -> go.Figure:
    """Participation per period, one line per group, the group's roadmap phase in its name."""
    fig = go.Figure()
    # every line's periods and rates in one plan collected once (a wait on polars' threads per
    # group's part, and per step, beside the page's queries)
    lines = (frame.lazy().sort("period").group_by(by, maintain_order=True)
             .agg("period", "participation_rate").collect().rows())
    for (group, periods, rates), colour in zip(sorted(lines, key=lambda g: str(g[0])), colours(len(lines))):
        phase = phases.get(group)
        name = safe(group) + (f" ({safe(term(phase))})" if phase else "")
        fig.add_trace(go.Scatter(
            x=periods, y=rates, mode="lines",
            name=name, line=dict(dash="dot" if phase == "pilot" else "solid", color=colour),
            hovertemplate=name + "<br>%{x}: %{y:.1%}<extra></extra>",
        ))
    return one_period(_layout(fig, title, xaxis_title=_("Period"), xaxis_type="category",
                              yaxis_title=_("Participation rate"), yaxis=RATE_AXIS))


def largest(frame: pl.DataFrame, by: str, n: int) -> list[str]:
    """The ``n`` groups of ``frame`` with the most people in its last period (ties broken by name):
    the ones a chart draws when there are too many to read (by team, thousands).

    >>> frame = pl.DataFrame({"period": ["1", "2", "2", "2"], "g": ["a", "a", "b", "c"], "headcount": [9, 1, 5, 5]})
    >>> largest(frame, "g", 2)
    ['b', 'c']
    """
    return (frame.lazy().filter(pl.col("period") == pl.col("period").max())
            .sort(["headcount", by], descending=[True, False]).head(n).collect()[by].to_list())


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
    return _layout(fig, title, xaxis_title=_("Period"), xaxis_type="category", yaxis_title=term(by).capitalize(),
                   yaxis_type="category", height=max(320, 28 * len(groups) + 120))


def ranking(frame: pl.DataFrame, by: str, value: str, title: str, axis: str) -> go.Figure:
    """Horizontal bars, best at the top."""
    f = frame.sort(value, descending=False, nulls_last=False)
    fig = go.Figure(go.Bar(
        x=f[value].to_list(), y=safes(f[by].to_list()), orientation="h", marker_color=ACCENT,
        customdata=f["headcount"].to_list() if "headcount" in f.columns else None,
        hovertemplate="%{y}: %{x:.1%}" + (_(" of %{customdata:,} people") if "headcount" in f.columns else "")
        + "<extra></extra>",
    ))
    return _layout(fig, title, xaxis_title=axis, xaxis=RATE_AXIS, yaxis_title="",
                   yaxis_type="category", height=max(320, 24 * f.height + 120))


def compared_lines(frame: pl.DataFrame, series: str, value: str, title: str, axis: str) -> go.Figure:
    """One line per value of ``series`` (e.g. frontline vs desk) over the periods."""
    fig = go.Figure()
    parts = frame.sort("period").group_by([series], maintain_order=True)
    for ((name,), part), colour in zip(parts, colours(frame[series].n_unique())):
        fig.add_trace(go.Scatter(
            x=part["period"].to_list(), y=part[value].to_list(), mode="lines+markers", name=safe(term(name)),
            line_color=colour, hovertemplate=safe(term(name)) + "<br>%{x}: %{y:.1%}<extra></extra>",
        ))
    return one_period(_layout(fig, title, hovermode="x unified", xaxis_title=_("Period"), xaxis_type="category",
                              yaxis_title=axis, yaxis=RATE_AXIS))


def split_bars(split: pl.DataFrame, title: str) -> go.Figure:
    """The 90/9/1 split: share of people and share of contributions per class, beside Nielsen's."""
    reference = {"superuser": 0.01, "contributor": 0.09, "lurker": 0.90, "non-contributor": 0.90}
    fig = go.Figure()
    bars = [_("People (90/9/1 reference)"), _("People"), _("Contributions")]
    # the few classes' rows as Python values, in their order (a class once each): a filter per
    # class waits on polars' threads, which the page's queries keep busy
    for row in split.select("class", "people_share", "contributions_share").rows(named=True):
        cls = row["class"]
        values = [reference.get(cls, 0.0), row["people_share"] or 0.0, row["contributions_share"] or 0.0]
        fig.add_trace(go.Bar(
            x=values, y=bars, name=term(cls), orientation="h", marker_color=CLASS_COLOURS.get(cls, NEUTRAL),
            hovertemplate=term(cls) + ": %{x:.1%}<extra></extra>",
        ))
    return _layout(fig, title, barmode="stack", xaxis=RATE_AXIS, xaxis_title=_("Share"),
                   yaxis_title="", height=300)


def lorenz(points: pl.DataFrame, gini: float | None, title: str) -> go.Figure:
    """The Lorenz curve of contributions, with the line of perfect equality."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name=_("Everyone contributes equally"),
                             line=dict(dash="dash", color=NEUTRAL), hoverinfo="skip"))
    fig.add_trace(go.Scatter(
        x=points["people_share"].to_list(), y=points["contributions_share"].to_list(), mode="lines",
        name=_("Observed (Gini {gini})").format(gini=i18n.number(gini, 2)) if gini is not None else _("Observed"),
        fill="tonexty",
        line=dict(color=ACCENT),
        hovertemplate=_("%{x:.1%} of people make %{y:.1%} of contributions") + "<extra></extra>",
    ))
    # the legend under the plot: beside it, it takes half a page column's width from the curve
    return _layout(fig, title, xaxis_title=_("Share of people, fewest contributions first"),
                   yaxis_title=_("Share of contributions"), xaxis=RATE_AXIS, yaxis=RATE_AXIS, height=480,
                   legend=dict(orientation="h", yanchor="top", y=-0.18, x=0))


def stacked_counts(frame: pl.DataFrame, by: str, series: str, value: str, title: str, axis: str,
                   meanings: dict[str, str] | None = None) -> go.Figure:
    """Stacked horizontal bars: ``value`` per group (A to Z from the top), one colour per value of
    ``series`` (the personas' own), ``meanings`` of the series' values in their tooltips."""
    meanings = meanings or {}
    fig = go.Figure()
    # each series' bars and the groups in one wait on polars' threads (the page's queries keep
    # them busy): its values in the order of the rows, the series in the order they first appear
    lazy = frame.lazy()
    parts, groups = pl.collect_all([lazy.group_by(series, maintain_order=True).agg(by, value),
                                    lazy.select(pl.col(by).unique())])
    names = parts[series].to_list()
    fixed = set(names) <= set(PERSONA_COLOURS)
    for name, ys, xs, colour in zip(names, parts[by].to_list(), parts[value].to_list(), colours(len(names))):
        fig.add_trace(go.Bar(
            y=safes(ys), x=xs, name=safe(term(name)), orientation="h",
            marker_color=PERSONA_COLOURS[name] if fixed else colour,
            hovertemplate="%{y} · " + safe(term(name)) + (f" ({_(meanings[name])})" if name in meanings else "")
            + ": %{x:,}<extra></extra>",
        ))
    groups = sorted(groups[by].to_list(), key=str)
    # A to Z from the top: a category axis draws its first category at the bottom
    return _layout(fig, title, barmode="stack", xaxis_title=axis, yaxis_title="", yaxis_type="category",
                   yaxis=dict(categoryorder="array", categoryarray=safes(reversed(groups))),
                   legend=dict(traceorder="normal"), height=max(320, 24 * len(groups) + 120))


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
        hovertemplate="%{y}: E-I %{x:.2f}<br>" + _("ties inside %{customdata[0]:,} · outside "
        "%{customdata[1]:,}") + "<extra></extra>",
    ))
    fig.add_vline(x=threshold, line_dash="dash", line_color=SILO)
    return _layout(fig, title, xaxis_title=_("E-I index (−1 closed silo, +1 only outward ties)"),
                   xaxis=dict(range=[-1.05, 1.05], dtick=0.5, tickformat=".1f"), yaxis_title="", yaxis_type="category",
                   height=max(320, 24 * f.height + 120))


def org_trend(frame: pl.DataFrame, column: str, title: str, axis: str, percent: bool = True) -> go.Figure:
    fig = go.Figure(go.Scatter(
        x=frame["period"].to_list(), y=frame[column].to_list(), mode="lines+markers", marker_color=ACCENT,
        hovertemplate="%{x}: %{y:" + (".1%" if percent else ".2f") + "}<extra></extra>",
    ))
    return one_period(_layout(fig, title, xaxis_title=_("Period"), xaxis_type="category", yaxis_title=axis,
                              yaxis=RATE_AXIS if percent else {}))


#: The group graph's size: its height, and the narrowest plot it is laid out for. Labels are placed
#: in pixels for that width; a wider plot only moves them further apart sideways.
GRAPH_HEIGHT = 560
GRAPH_MIN_WIDTH = 700
#: The group graph's labels: font size (px), and the width of a character as a share of it (a
#: generous bound for the sans-serif fonts plotly falls back on).
LABEL_SIZE = 12
CHAR_WIDTH = 0.62
LABEL_LINE = 1.35


def label_box(text: str, x: float, y: float, size: int = LABEL_SIZE) -> tuple[float, float, float, float]:
    """The box (left, bottom, right, top, in pixels) of ``text`` centred on ``x``, ``y``.

    >>> label_box("IT", 100, 50)
    (90.56, 41.9, 109.44, 58.1)
    """
    w, h = len(html.unescape(text)) * size * CHAR_WIDTH + 4, size * LABEL_LINE
    return (round(x - w / 2, 2), round(y - h / 2, 2), round(x + w / 2, 2), round(y + h / 2, 2))


def overlap(a: tuple, b: tuple) -> bool:
    """Whether two boxes (left, bottom, right, top) intersect.

    >>> overlap((0, 0, 10, 10), (9, 9, 20, 20)), overlap((0, 0, 10, 10), (10, 0, 20, 10))
    (True, False)
    """
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def plot_area(fig: go.Figure, width: int = GRAPH_MIN_WIDTH) -> tuple[float, float]:
    """The width and height in pixels of the plot inside a figure ``width`` wide."""
    m = fig.layout.margin
    return width - m.l - m.r, fig.layout.height - m.t - m.b


def spread(centres: dict[str, tuple[float, float]], radii: dict[str, float], area: tuple[float, float],
           gap: float = 4, rounds: int = 200) -> dict[str, tuple[float, float]]:
    """The node centres (pixels) moved apart until no two nodes overlap (``gap`` between them),
    each pair pushed along the line joining them, and kept inside ``area``.

    >>> spread({"a": (50, 50), "b": (52, 50)}, {"a": 10, "b": 10}, (200, 100))
    {'a': (39.0, 50.0), 'b': (63.0, 50.0)}
    """
    w, h = area
    pos = {n: list(c) for n, c in centres.items()}
    names = sorted(pos)
    for _round in range(rounds):
        moved = False
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                dx, dy = pos[b][0] - pos[a][0], pos[b][1] - pos[a][1]
                d = math.hypot(dx, dy)
                need = radii[a] + radii[b] + gap
                if d >= need - 1e-9:
                    continue
                ux, uy = (dx / d, dy / d) if d > 1e-9 else (1.0, 0.0)
                push = (need - d) / 2
                pos[a][0] -= ux * push
                pos[a][1] -= uy * push
                pos[b][0] += ux * push
                pos[b][1] += uy * push
                moved = True
        for n in names:
            pos[n][0] = min(max(pos[n][0], radii[n]), w - radii[n])
            pos[n][1] = min(max(pos[n][1], radii[n]), h - radii[n])
        if not moved:
            break
    return {n: (round(pos[n][0], 2), round(pos[n][1], 2)) for n in centres}


def place_labels(centres: dict[str, tuple[float, float]], radii: dict[str, float], texts: dict[str, str],
                 area: tuple[float, float]) -> dict[str, tuple[float, float]]:
    """A position (pixels) for each node's label where it meets no other label and no node: the
    first free one of above, below, right, left and the corners of its node, a ring or two further
    out, then the free point of the plot nearest to it. The largest nodes are placed first.

    >>> place_labels({"Engineering": (100, 100), "IT": (104, 96)}, {"Engineering": 10, "IT": 6},
    ...              {"Engineering": "Engineering", "IT": "IT"}, (400, 300))
    {'Engineering': (100.0, 120.1), 'IT': (104.0, 79.9)}
    """
    w, h = area
    boxes = np.array([(c[0] - radii[n], c[1] - radii[n], c[0] + radii[n], c[1] + radii[n]) for n, c in centres.items()]
                     ).reshape(-1, 4)
    placed: dict[str, tuple[float, float]] = {}
    # every point of the plot on a grid, to fall back on when no place near the node is free
    xs, ys = np.meshgrid(np.arange(0, w, 6.0), np.arange(0, h, 6.0), indexing="ij")
    grid = np.column_stack([xs.ravel(), ys.ravel()])
    for name in sorted(centres, key=lambda n: (-radii[n], n)):
        (x, y), r = centres[name], radii[name]
        left, bottom, right, top = label_box(texts[name], 0, 0)
        bw, bh = right - left, top - bottom
        near = []
        for ring in range(3):
            gx, gy = r + 2 + ring * bh + bw / 2, r + 2 + ring * bh + bh / 2
            near += [(0, gy), (0, -gy), (gx, 0), (-gx, 0), (gx, gy), (-gx, gy), (gx, -gy), (-gx, -gy)]
        # the spots near the node first; else the free point of the plot's grid nearest to it (the
        # first of the grid's order among the nearest)
        cx, cy = None, None
        for spots in (np.array(near) + (x, y), grid):
            l, b = spots[:, 0] - bw / 2, spots[:, 1] - bh / 2
            rr, tt = spots[:, 0] + bw / 2, spots[:, 1] + bh / 2
            free = (l >= 0) & (b >= 0) & (rr <= w) & (tt <= h)
            hit = ((l[:, None] < boxes[None, :, 2]) & (boxes[None, :, 0] < rr[:, None])
                   & (b[:, None] < boxes[None, :, 3]) & (boxes[None, :, 1] < tt[:, None])).any(axis=1)
            ok = np.flatnonzero(free & ~hit)
            if ok.size:
                at = ok[0] if spots is not grid else ok[np.argmin(np.hypot(grid[ok, 0] - x, grid[ok, 1] - y))]
                cx, cy = spots[at]
                break
        if cx is None:  # nowhere free in the plot: above the node (the test of the sample's graphs says it never happens)
            cx, cy = x, y + r + 2 + bh / 2
        placed[name] = (round(float(cx), 2), round(float(cy), 2))
        boxes = np.vstack([boxes, label_box(texts[name], *placed[name])])
    return placed


def group_network(nodes: pl.DataFrame, edges: pl.DataFrame, silos: set[str], title: str) -> go.Figure:
    """The group graph: node size by headcount, edge width by ties, silos in red.

    Positions come from a seeded spring layout weighted by ties, so the picture is stable. Edge
    widths come in :data:`EDGE_WIDTHS` classes, proportional to the heaviest edge. Labels are
    placed (:func:`place_labels`) so that none covers another or a node, on a plot at least
    :data:`GRAPH_MIN_WIDTH` wide; a label moved away from its node is tied to it by a thin line.
    """
    G = nx.Graph()
    for row in nodes.iter_rows(named=True):
        G.add_node(row["group"])
    for row in edges.iter_rows(named=True):
        G.add_edge(row["group_a"], row["group_b"], weight=row["weight"])
    pos = nx.spring_layout(G, weight="weight", seed=7) if len(G) else {}
    fig = go.Figure()
    _layout(fig, title, xaxis_visible=False, yaxis_visible=False, height=GRAPH_HEIGHT)
    biggest = max(nodes["headcount"].max() or 1, 1) if nodes.height else 1
    names = nodes["group"].to_list()
    if not names:
        return fig
    sizes = [12 + 40 * math.sqrt(h / biggest) for h in nodes["headcount"].to_list()]
    # In pixels of the narrowest plot: the nodes spread until none covers another, then the labels
    # placed; the axes span the nodes with a margin for their labels.
    xs, ys = [pos[n][0] for n in names], [pos[n][1] for n in names]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    padx, pady = max(x1 - x0, 0.2) * 0.15, max(y1 - y0, 0.2) * 0.12
    xr, yr = [x0 - padx, x1 + padx], [y0 - pady, y1 + pady]
    w, h = plot_area(fig)
    sx, sy = w / (xr[1] - xr[0]), h / (yr[1] - yr[0])
    radii = {n: size / 2 + 1 for n, size in zip(names, sizes)}
    centres = spread({n: ((pos[n][0] - xr[0]) * sx, (pos[n][1] - yr[0]) * sy) for n in names}, radii, (w, h))
    pos = {n: (c[0] / sx + xr[0], c[1] / sy + yr[0]) for n, c in centres.items()}
    top = max(edges["weight"].max() or 1, 1) if edges.height else 1
    # One trace per width class rather than per edge: a figure of many traces is slow to build.
    widths: dict[int, tuple[list, list]] = {}
    for a, b, weight in edges.select("group_a", "group_b", "weight").iter_rows():
        exs, eys = widths.setdefault(math.ceil(EDGE_WIDTHS * weight / top), ([], []))
        (ax, ay), (bx, by) = pos[a], pos[b]
        exs += [ax, bx, None]
        eys += [ay, by, None]
    for level, (exs, eys) in sorted(widths.items()):
        fig.add_trace(go.Scatter(
            x=exs, y=eys, mode="lines", showlegend=False, hoverinfo="skip",
            line=dict(width=0.5 + 8 * level / EDGE_WIDTHS, color="rgba(127,140,141,0.45)"),
        ))
    fig.add_trace(go.Scatter(
        x=[pos[n][0] for n in names], y=[pos[n][1] for n in names], mode="markers",
        text=safes([term(n) for n in names]), showlegend=False,
        marker=dict(size=sizes, color=[SILO if n in silos else ACCENT for n in names], line=dict(width=1, color="white")),
        customdata=list(zip(nodes["headcount"].to_list(), nodes["internal_ties"].to_list())),
        hovertemplate="%{text}<br>" + _("%{customdata[0]:,} people · %{customdata[1]:,} ties inside") + "<extra></extra>",
    ))
    labels = place_labels(centres, radii, dict(zip(names, safes(names))), (w, h))
    lx = [labels[n][0] / sx + xr[0] for n in names]
    ly = [labels[n][1] / sy + yr[0] for n in names]
    # a label set away from its node is tied to it: a line from the node to the label's edge
    ties_x, ties_y = [], []
    for n in names:
        if math.dist(centres[n], labels[n]) <= radii[n] + 2 * LABEL_SIZE * LABEL_LINE:
            continue
        left, bottom, right, upper = label_box(safe(n), *labels[n])
        ex, ey = min(max(centres[n][0], left), right), min(max(centres[n][1], bottom), upper)
        ties_x += [pos[n][0], ex / sx + xr[0], None]
        ties_y += [pos[n][1], ey / sy + yr[0], None]
    if ties_x:
        fig.add_trace(go.Scatter(x=ties_x, y=ties_y, mode="lines", showlegend=False, hoverinfo="skip",
                                 line=dict(width=1, color="#34495e", dash="dot")))
    fig.add_trace(go.Scatter(
        x=lx, y=ly, mode="text", text=safes(names), textposition="middle center", showlegend=False,
        hoverinfo="skip", textfont=dict(size=LABEL_SIZE),
    ))
    return fig.update_layout(xaxis_range=xr, yaxis_range=yr, xaxis_fixedrange=True, yaxis_fixedrange=True)


def lifecycle_bars(frame: pl.DataFrame, title: str) -> go.Figure:
    """New, continuing and returning contributors stacked per period, lapsed below the axis."""
    fig = go.Figure()
    periods = frame["period"].to_list()
    four = colours(4)
    for (column, name), colour in zip((("new", _("New")), ("returning", _("Returning")), ("continuing", _("Continuing"))), four):
        fig.add_trace(go.Bar(x=periods, y=frame[column].to_list(), name=name, marker_color=colour,
                             hovertemplate=name + " %{x}: %{y:,}<extra></extra>"))
    fig.add_trace(go.Bar(x=periods, y=[-v for v in frame["lapsed"].to_list()], name=_("Lapsed"), marker_color=four[3],
                         customdata=frame["lapsed"].to_list(),
                         hovertemplate=_("Lapsed") + " %{x}: %{customdata:,}<extra></extra>"))
    return _layout(fig, title, barmode="relative", xaxis_title=_("Period"), xaxis_type="category",
                   yaxis_title=_("People"))


def funnel(steps: list[tuple[str, int]], title: str) -> go.Figure:
    """The onboarding funnel: people at each step (labels are the product's own words)."""
    fig = go.Figure(go.Funnel(y=[s for s, _ in steps], x=[n for _, n in steps], textinfo="value+percent initial",
                              marker_color=ACCENT))
    return _layout(fig, title, yaxis_type="category")


def cohort_curves(frame: pl.DataFrame, title: str) -> go.Figure:
    """One line per cohort (month of arrival): the share of it active each month after."""
    # the cohorts split in one step (a group's frame at a time waits each time for polars' threads)
    parts = frame.sort("cohort", "months_after").partition_by("cohort", maintain_order=True, as_dict=True)
    fig = go.Figure([
        go.Scatter(
            x=part["months_after"].to_list(), y=part["share"].to_list(), mode="lines+markers", name=safe(cohort),
            line_color=colour,
            customdata=part["cohort_size"].to_list(),
            hovertemplate=safe(cohort) + _(" (%{customdata:,} people)<br>month %{x}: %{y:.1%}") + "<extra></extra>",
        )
        for ((cohort,), part), colour in zip(parts.items(), colours(len(parts)))
    ])
    return _layout(fig, title, xaxis_title=_("Months after arrival"), xaxis=dict(dtick=1),
                   yaxis_title=_("Share of the cohort active"), yaxis=RATE_AXIS)


def hours_trend(frame: pl.DataFrame, title: str) -> go.Figure:
    """Median and 90th percentile of the time to first reply (hours) per period."""
    fig = go.Figure()
    for (column, name), colour in zip((("first_reply_median_hours", _("Median")), ("first_reply_p90_hours", _("90th percentile"))),
                                      colours(2)):
        fig.add_trace(go.Scatter(x=frame["period"].to_list(), y=frame[column].to_list(), mode="lines+markers",
                                 name=name, line_color=colour, hovertemplate=name + " %{x}: %{y:.1f} h<extra></extra>"))
    return one_period(_layout(fig, title, hovermode="x unified", xaxis_title=_("Period"), xaxis_type="category",
                              yaxis_title=_("Hours to first reply (calendar)"), yaxis=dict(rangemode="tozero")))


def organisation_trend(frame: pl.DataFrame, title: str) -> go.Figure:
    """Participation per period of a few organisations (``organisation``, ``period``,
    ``participation_rate``): an organisation against the company, or its parts."""
    fig = go.Figure()
    names = frame["organisation"].unique(maintain_order=True).to_list()
    for name, colour in zip(names, colours(len(names))):
        one = frame.filter(pl.col("organisation") == name)
        fig.add_trace(go.Scatter(x=one["period"].to_list(), y=one["participation_rate"].to_list(),
                                 mode="lines+markers", name=safe(name), line_color=colour,
                                 hovertemplate="%{x}: %{y:.1%}<extra>" + safe(name) + "</extra>"))
    return one_period(_layout(fig, title, xaxis_title=_("Period"), xaxis_type="category",
                              yaxis_title=_("Participation"), yaxis=RATE_AXIS))


def relays_chart(frame: pl.DataFrame, title: str) -> go.Figure:
    """Managers as relays per period: the participation of the teams whose manager took part and of
    the others (``participation_with``, ``participation_without``), each with its teams counted."""
    fig = go.Figure()
    for side, name, colour in (("with", _("Manager took part"), ACCENT), ("without", _("Manager did not"), NEUTRAL)):
        fig.add_trace(go.Scatter(
            x=frame["period"].to_list(), y=frame[f"participation_{side}"].to_list(), mode="lines+markers",
            name=name, marker_color=colour, customdata=frame[f"teams_{side}"].to_list(),
            hovertemplate="%{x}: %{y:.1%} · %{customdata} " + _("teams") + "<extra>" + name + "</extra>"))
    return one_period(_layout(fig, title, xaxis_title=_("Period"), xaxis_type="category",
                              yaxis_title=_("Participation of the teams"), yaxis=RATE_AXIS))



def draw(fig: go.Figure, key: str) -> None:
    """Draw ``fig`` in the page's chart slot ``key``, as wide as its column. The chart a slot holds
    is kept from one run of the page to the next and updated in place (:mod:`dashboard.plot`)."""
    from dashboard import plot  # Streamlit's: not for the report's and the digest's charts

    plot.show(fig, key)
