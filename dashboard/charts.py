"""Plotly figures. Each takes a tidy frame and returns a figure whose title states the finding."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from dashboard.format import pct

TEMPLATE = "plotly_white"


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
    fig.update_layout(
        title=title, template=TEMPLATE, hovermode="x unified",
        xaxis_title="Period", xaxis_type="category", yaxis_title="Share of headcount",
        yaxis_tickformat=".0%", yaxis_rangemode="tozero", legend_title_text="",
        margin=dict(t=60, l=10, r=10, b=10),
    )
    return fig


def trend_title(frame: pl.DataFrame) -> str:
    """'Participation rose from 12.0% to 45.3% (2025-11 → 2026-10)'."""
    if frame.height == 0:
        return "No participation to show yet"
    first, last = frame.row(0, named=True), frame.row(-1, named=True)
    a, b = first["participation_rate"], last["participation_rate"]
    if frame.height == 1:
        return f"Participation is {pct(b)} in {last['period']}"
    verb = "rose" if b > a + 0.005 else "fell" if b < a - 0.005 else "held"
    if verb == "held":
        return f"Participation held at {pct(b)} from {first['period']} to {last['period']}"
    return f"Participation {verb} from {pct(a)} to {pct(b)} ({first['period']} → {last['period']})"
