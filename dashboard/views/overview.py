"""Overview: the sponsor's monthly review in a few minutes."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, data
from dashboard.filters import Filters
from dashboard.format import count, md, pct, points

HELP = {
    "headcount": "Internal people employed during the period (hired before its end, not left before "
    "its start). External guests are never counted.",
    "active": "People of the headcount with at least one activity in the period: a post, reply, "
    "reaction, mention, join, or reads in a usage report.",
    "participation": "Active people / headcount.",
    "contribution": "Contributors (people who posted or replied) / headcount.",
    "leaders": "Participation rate of executives and managers together (active / headcount).",
    "cross": "Share of all interactions (replies, mentions, reactions) that link two different "
    "departments.",
    "curve": "Participation rate of each group per period; the roadmap phase of each group, set in "
    "the configuration, is shown beside its name (pilot groups dotted).",
}


def scope_frame(f: Filters) -> tuple[pl.DataFrame, str]:
    """The participation frame of the scope the filters select: the organisation or one group."""
    if f.group is None:
        return data.metric("participation", f, by="organisation").rows, "the organisation"
    frame = data.metric("participation", f).rows
    return frame.filter(pl.col(f.by) == f.group), f"{f.by} {f.group}"


def leaders_frame(f: Filters) -> pl.DataFrame:
    """Executives and managers together, per period: ``period``, ``leaders_rate``."""
    by = "organisation" if f.group is None else f.by
    rows = data.metric("leadership", f, by=by).rows
    if f.group is not None and f.by in rows.columns:
        rows = rows.filter(pl.col(f.by) == f.group)
    leaders = rows.filter(pl.col("level").is_in(["executive", "manager"]))
    return (
        leaders.group_by("period")
        .agg((pl.col("active").sum() / pl.col("headcount").sum()).alias("leaders_rate"))
        .sort("period")
    )


def cross_silo_frame(f: Filters) -> pl.DataFrame:
    periods = data.metric("silos", f, by="department", per_period=True).extra.get("periods") or []
    if not periods:
        return pl.DataFrame(schema={"period": pl.Utf8, "cross_silo_share": pl.Float64})
    return pl.DataFrame(periods).select("period", "cross_silo_share").sort("period")


def target_line(f: Filters, metric: str, scope_group: str) -> str | None:
    """'Target 60.0% by 2026-12-31: expected 52.1% now, on track' for the scope, if one is set."""
    s = data.settings()
    if not s.targets:
        return None
    by = "organisation" if f.group is None else f.by
    result = data.metric("targets", f, by=by, targets=s.targets, phases=s.phases)
    rows = result.rows.filter((pl.col("metric") == metric) & (pl.col(by) == scope_group))
    if rows.is_empty():
        return None
    t = rows.row(0, named=True)
    if t["actual"] is None:
        return f"Target {pct(t['value'])} by {t['due']}"
    verdict = "on track" if t["on_track"] else f"behind by {abs(100 * t['gap']):.1f} points"
    return f"Target {pct(t['value'])} by {t['due']}: expected {pct(t['expected'])} in {t['period']}, {verdict}"


def headline(col, label: str, frame: pl.DataFrame, column: str, help_text: str, target: str | None) -> None:
    frame = frame.filter(pl.col(column).is_not_null())
    if frame.is_empty():
        col.metric(label, "–", help=help_text)
        return
    last = frame.row(-1, named=True)
    d = last[column] - frame.row(-2, named=True)[column] if frame.height > 1 else None
    col.metric(label, pct(last[column]), points(d), delta_color="normal" if d else "off", help=help_text)
    if target:
        col.caption(md(target))


def render(f: Filters) -> None:
    st.title("Overview")
    frame, scope = scope_frame(f)
    if frame.is_empty():
        st.info(f"No figures for {md(scope)} in this range: the group may be under the minimum size of "
                f"{f.min_group_size} people, or nobody was employed then.")
        return
    last = frame.row(-1, named=True)
    prev = frame.row(-2, named=True) if frame.height > 1 else None
    st.caption(md(f"{scope[0].upper()}{scope[1:]} · {last['period']}" + (f" against {prev['period']}" if prev else "")
                  + f" · {count(last['headcount'])} people, {count(last['active'])} active"))
    group_key = "Organisation" if f.group is None else f.group

    c1, c2, c3, c4 = st.columns(4)
    headline(c1, "Participation rate", frame, "participation_rate", HELP["participation"],
             target_line(f, "participation", group_key))
    headline(c2, "Contribution rate", frame, "contribution_rate", HELP["contribution"],
             target_line(f, "contribution", group_key))
    headline(c3, "Leaders' participation", leaders_frame(f), "leaders_rate", HELP["leaders"], None)
    headline(c4, "Cross-silo share", cross_silo_frame(f), "cross_silo_share", HELP["cross"], None)

    title = charts.trend_title(frame)
    st.plotly_chart(charts.participation_trend(frame, title), width="stretch", key="trend")
    st.caption(md(
        f"In {last['period']}, {count(last['active'])} of {count(last['headcount'])} people took part "
        f"and {count(last['contributors'])} wrote something ({pct(last['contribution_rate'])})."
    ))

    if f.group is None:
        curves = data.metric("participation", f).rows
        if curves.height:
            phases = data.settings().phases
            last_rates = curves.filter(pl.col("period") == curves["period"].max()).sort("participation_rate")
            low, high = last_rates.row(0, named=True), last_rates.row(-1, named=True)
            st.subheader("Adoption by " + f.by, help=HELP["curve"])
            st.plotly_chart(
                charts.adoption_curves(curves, f.by, phases,
                                       f"{charts.safe(high[f.by])} leads adoption at {pct(high['participation_rate'])}, "
                                       f"{charts.safe(low[f.by])} trails at {pct(low['participation_rate'])}"),
                width="stretch", key="curves",
            )
            st.caption(md(
                f"{last_rates.height} groups in {high['period']}: from {pct(low['participation_rate'])} "
                f"({low[f.by]}) to {pct(high['participation_rate'])} ({high[f.by]})."
            ))
