"""Overview: the sponsor's monthly review in a few minutes."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, data
from dashboard.filters import Filters
from dashboard.format import count, pct, points

HELP = {
    "headcount": "Internal people employed during the period (hired before its end, not left before "
    "its start). External guests are never counted.",
    "active": "People of the headcount with at least one activity in the period: a post, reply, "
    "reaction, mention, join, or reads in a usage report.",
    "participation": "Active people / headcount.",
    "contribution": "Contributors (people who posted or replied) / headcount.",
}


def scope_frame(f: Filters) -> tuple[pl.DataFrame, str]:
    """The participation frame of the scope the filters select: the organisation or one group."""
    published = data.version()
    if f.group is None:
        frame, _ = data.participation_frame(published, "organisation", f.period, f.start, f.end, f.min_group_size)
        return frame, "the organisation"
    frame, _ = data.participation_frame(published, f.by, f.period, f.start, f.end, f.min_group_size)
    return frame.filter(pl.col(f.by) == f.group), f"{f.by} {f.group}"


def render(f: Filters) -> None:
    st.title("Overview")
    frame, scope = scope_frame(f)
    if frame.is_empty():
        st.info(f"No figures for {scope} in this range: the group may be under the minimum size of "
                f"{f.min_group_size} people, or nobody was employed then.")
        return
    last = frame.row(-1, named=True)
    prev = frame.row(-2, named=True) if frame.height > 1 else None
    st.caption(f"{scope.capitalize()} · {last['period']}" + (f" against {prev['period']}" if prev else ""))

    def figure(col, label: str, value: str, column: str, as_points: bool, help_text: str) -> None:
        d = None if prev is None else last[column] - prev[column]
        shown = None if d is None else points(d) if as_points else f"{d:+,}"
        col.metric(label, value, shown, delta_color="normal" if d else "off", help=help_text)

    c1, c2, c3, c4 = st.columns(4)
    figure(c1, "People", count(last["headcount"]), "headcount", False, HELP["headcount"])
    figure(c2, "Active this period", count(last["active"]), "active", False, HELP["active"])
    figure(c3, "Participation rate", pct(last["participation_rate"]), "participation_rate", True,
           HELP["participation"])
    figure(c4, "Contribution rate", pct(last["contribution_rate"]), "contribution_rate", True,
           HELP["contribution"])

    title = charts.trend_title(frame)
    st.plotly_chart(charts.participation_trend(frame, title), width="stretch")
    st.caption(
        f"In {last['period']}, {count(last['active'])} of {count(last['headcount'])} people took part "
        f"and {count(last['contributors'])} wrote something ({pct(last['contribution_rate'])})."
    )
