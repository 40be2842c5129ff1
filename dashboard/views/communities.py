"""Communities: the spaces where people meet, how alive and how responsive they are, and how
contributors arrive, stay and lapse."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, data
from dashboard.filters import Filters, partial_note
from dashboard.format import count, md, pct

HELP = {
    "health": "0 to 100: the weighted sum of the parts shown (each 0 to 1). See docs/metrics.md, \"Communities\".",
    "idle": "No post or reply during the last {d} days of the range.",
    "first_reply": "Calendar time (nights and weekends included) from a thread's first post to the first reply "
                   "by someone else, over the threads answered by the end of the range.",
    "lifecycle": "New: contributed for the first time. Returning: back after at least one period without. "
                 "Continuing: contributed the period before too. Lapsed: contributed the period before, not in "
                 "this one; newcomers who lapsed: of them, those who contributed for the first time the period "
                 "before.",
    "funnel": "People employed in the range at each step: seen (any activity), reacted (a reaction or a "
              "contribution), posted, contributes regularly (in at least 3 months of the range).",
    "cohorts": "People who arrived in a month (their first activity), and the share of them active each month after.",
}

PART_LABELS = {
    "part_active": "score: active members",
    "part_answered": "score: threads answered",
    "part_quick": "score: answered within a day",
    "part_depth": "score: replies per thread",
    "part_momentum": "score: momentum",
}

TABLE = {
    "community": st.column_config.TextColumn("community"),
    "members": st.column_config.NumberColumn("members", format="%d"),
    "active_members": st.column_config.NumberColumn("active members", format="%d"),
    "replies_per_thread": st.column_config.NumberColumn("replies per thread", format="%.2f"),
    "answered_share": st.column_config.NumberColumn("threads answered", format="percent"),
    "first_reply_median_hours": st.column_config.NumberColumn("median hours to first reply", format="%.1f"),
    "first_reply_p90_hours": st.column_config.NumberColumn("90th percentile (hours)", format="%.1f"),
    "trend": st.column_config.NumberColumn("trend (contributions, last 30 days against the 30 before)", format="%+d"),
    "health": st.column_config.ProgressColumn("health", min_value=0, max_value=100, format="%d"),
    "last_contribution": st.column_config.DateColumn("last contribution"),
    **{k: st.column_config.NumberColumn(v, format="percent") for k, v in PART_LABELS.items()},
}


def hours(x: float | None) -> str:
    """'25.3 h', or '–'.

    >>> hours(25.33), hours(None)
    ('25.3 h', '–')
    """
    return "–" if x is None else f"{x:.1f} h"


def render(f: Filters) -> None:
    st.title("Communities")
    spaces = data.figure("communities", f)
    org = spaces.extra
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Communities", count(org.get("communities")))
    c2.metric("Idle", count(org.get("idle")), help=HELP["idle"].format(d=org.get("idle_days", 30)))
    c3.metric("Median time to first reply", hours(org.get("first_reply_median_hours")), help=HELP["first_reply"])
    c4.metric("Threads unanswered", pct(org.get("unanswered_share")))
    st.caption(md(f"Covers: {spaces.covers}. Every community and thread of the organisation counts in these "
                  "four figures; private conversations are pooled into one row, never listed; a community with "
                  f"fewer than {f.min_group_size} members is not listed one by one."))

    st.subheader("Every community", help=HELP["health"])
    rows = spaces.rows
    if rows.is_empty():
        st.info("No community with enough members in this range.")
    else:
        st.dataframe(rows.select("community", "source", "kind", "health", *PART_LABELS, "members", "active_members",
                                 "posts", "replies_per_thread", "readers", "threads", "answered_share",
                                 "first_reply_median_hours", "first_reply_p90_hours", "trend", "last_contribution"),
                     hide_index=True, width="stretch", height=min(36 * rows.height + 40, 640), column_config=TABLE,
                     key="communities_table")
        weights = ", ".join(f"{PART_LABELS[p['part']]} {p['weight']:.0%} ({p['is']})" for p in org.get("health_parts", []))
        st.caption(md(f"Health score parts and weights: {weights}."))
    idle = rows.filter(pl.col("idle").fill_null(False)) if not rows.is_empty() else rows
    st.subheader("Idle communities", help=HELP["idle"].format(d=org.get("idle_days", 30)))
    if idle.is_empty():
        st.write(md(f"No listed community is idle ({count(org.get('idle'))} idle in all, listed or not)."))
    else:
        st.dataframe(idle.select("community", "source", "members", "last_contribution"), hide_index=True,
                     width="stretch", key="idle_table", column_config=TABLE)

    st.subheader("Responsiveness", help=HELP["first_reply"])
    resp = data.scope_trend("responsiveness", f)
    scope = charts.safe(resp.query.scope)
    if resp.rows.is_empty() or resp.reading("threads").value is None:
        st.write(md(f"No thread started by {resp.query.scope} in this range, or a group under the minimum size."))
    else:
        r = resp.reading("unanswered_share")
        left, right = st.columns(2)
        with left:
            st.plotly_chart(charts.mark_partial(charts.hours_trend(
                resp.rows, f"Time to first reply, threads started by {scope}"), f.partial_labels),
                width="stretch", key="first_reply")
        with right:
            st.plotly_chart(charts.mark_partial(charts.org_trend(
                resp.rows.filter(pl.col("unanswered_share").is_not_null()), "unanswered_share",
                f"{pct(r.value)} of the threads started by {scope}<br>in {r.period} got no reply", "Unanswered"),
                f.partial_labels), width="stretch", key="unanswered")
        st.caption(md(f"Covers: {resp.covers}."))

    st.subheader("Contributors: new, returning, lapsed", help=HELP["lifecycle"])
    life = data.scope_trend("lifecycle", f)
    if life.rows.is_empty():
        st.write(md(f"No figure for {life.query.scope} in this range."))
    else:
        n = life.reading("new")
        lapsed = life.reading("lapsed")
        newcomers = life.reading("lapsed_newcomers")
        st.plotly_chart(charts.mark_partial(charts.lifecycle_bars(
            life.rows, f"{count(n.value)} new and {count(lapsed.value)} lapsed contributors in {n.period}"
                       f" ({count(newcomers.value)} of them newcomers the period before)<br>"
                       f"in {charts.safe(life.query.scope)}"), f.partial_labels), width="stretch", key="lifecycle")
        st.caption(md(f"Covers: {life.covers}."))
        note = partial_note(f)
        if note:
            st.caption(md(note))
        left, right = st.columns(2)
        with left:
            st.subheader("Onboarding funnel", help=HELP["funnel"])
            steps = life.frame("funnel")
            if steps.is_empty():
                st.write("Under the minimum size over the range.")
            else:
                row = steps.row(0, named=True)
                st.plotly_chart(charts.funnel(
                    [("in the directory", row["in_directory"]), ("seen", row["seen"]), ("reacted", row["reacted"]),
                     ("posted", row["posted"]), ("contributes regularly", row["regular"])],
                    f"From the directory to regular contribution<br>in {charts.safe(life.query.scope)}"),
                    width="stretch", key="funnel")
        with right:
            st.subheader("Cohorts by month of arrival", help=HELP["cohorts"])
            cohorts = life.frame("cohorts")
            if cohorts.is_empty():
                st.write(f"No cohort of at least {f.min_group_size} people in this range.")
            else:
                st.plotly_chart(charts.cohort_curves(
                    cohorts, f"Share of each cohort active, month by month<br>in {charts.safe(life.query.scope)}"),
                    width="stretch", key="cohorts")
