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

    def delta(column: str, as_points: bool) -> str | None:
        if prev is None:
            return None
        d = last[column] - prev[column]
        return points(d) if as_points else f"{d:+,}"

    c1, c2, c3, c4 = st.columns(4)
    c1.metric("People", count(last["headcount"]), delta("headcount", False), help=HELP["headcount"])
    c2.metric("Active this period", count(last["active"]), delta("active", False), help=HELP["active"])
    c3.metric("Participation rate", pct(last["participation_rate"]), delta("participation_rate", True),
              help=HELP["participation"])
    c4.metric("Contribution rate", pct(last["contribution_rate"]), delta("contribution_rate", True),
              help=HELP["contribution"])

    title = charts.trend_title(frame)
    st.plotly_chart(charts.participation_trend(frame, title), width="stretch")
    st.caption(
        f"In {last['period']}, {count(last['active'])} of {count(last['headcount'])} people took part "
        f"and {count(last['contributors'])} wrote something ({pct(last['contribution_rate'])})."
    )
