"""Participation: who takes part, by group and over time."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, data, titles
from dashboard.filters import Filters, partial_note
from dashboard.format import md, pct, plural
from dashboard.words import MEANINGS, group_words
from metrics.figures import Gap

HELP = {
    "heatmap": "Participation rate (active people / headcount) of each group in each period. "
    "Groups under the minimum size are not shown.",
    "ranking": "Participation rate of each group over the last period of the range.",
    "frontline": "Participation rate of frontline people (no desk job) against desk workers.",
    "leaders": "Participation rate of executives and managers against staff.",
    "retention": MEANINGS["retention"],
}


def gap_sentence(gap: Gap | None, label_a: str, label_b: str) -> str:
    """How the page words a gap between two populations (:meth:`metrics.figures.Figure.gap`).

    >>> gap_sentence(Gap("2026-10", 0.4, 0.55), "frontline people", "desk workers")
    'In 2026-10, frontline people take part at 40.0% against 55.0% for desk workers: a gap of 15.0 points against them.'
    """
    if gap is None:
        return "One of the two populations is under the minimum size in the last period."
    return (f"In {gap.period}, {label_a} take part at {pct(gap.a)} against {pct(gap.b)} for "
            f"{label_b}: a gap of {abs(100 * gap.difference):.1f} points "
            f"{'in their favour' if gap.difference > 0 else 'against them'}.")


#: Groups drawn at most in the heatmap and the ranking (by team there are thousands).
MAX_ROWS = 40


def render(f: Filters) -> None:
    st.title("Participation")
    fig = data.figure("participation", f)
    frame = fig.rows
    scope = fig.query.scope
    if frame.is_empty():
        st.info(md(f"No figure for {scope} in this range: " + (
            "every group is under the minimum size." if f.group is None else
            f"it holds fewer than {f.min_group_size} people (or nobody employed) in every period of it.")))
        return
    partial = f.partial_labels
    last_period = fig.last_period
    last = fig.latest()
    best = fig.ranked("participation_rate").row(0, named=True)
    kind = group_words(f.by)
    title = (f"In {last_period}, {titles.leaders(last, f.by, 'participation_rate', kind)}" if f.group is None else
             f"{charts.safe(f.group)}: {pct(best['participation_rate'])} in {last_period}")
    # the groups the title names are drawn, whatever their size
    named = titles.named(last, f.by, "participation_rate") if f.group is None else []
    drawn = charts.largest(frame, f.by, MAX_ROWS - len(named))
    drawn += [g for g in named if g not in drawn]
    st.plotly_chart(charts.mark_partial(
        charts.heatmap(frame.filter(pl.col(f.by).is_in(drawn)), f.by, "participation_rate", title), partial),
        width="stretch", key="heatmap")
    st.caption(HELP["heatmap"] + (f" {len(drawn)} of {plural(last.height, *kind)} are drawn: the largest, and "
                                  "those the title names." if last.height > len(drawn) else ""))
    st.caption(md(f"Covers: {fig.covers}."))
    note = partial_note(f)
    if note:
        st.caption(md(note))
    if fig.suppressed_groups:
        st.caption(f"{plural(fig.suppressed_groups, *kind)} under the minimum size "
                   f"{'is' if fig.suppressed_groups == 1 else 'are'} left out.")

    left, right = st.columns(2)
    with left:
        st.subheader("Ranking", help=HELP["ranking"])
        ranked = fig.ranked("participation_rate")
        if ranked.height > MAX_ROWS:  # the most and the least active
            ranked = pl.concat([ranked.head(MAX_ROWS // 2), ranked.tail(MAX_ROWS // 2)])
        st.plotly_chart(
            charts.ranking(ranked, f.by, "participation_rate",
                           titles.groups_ranked(last.height, kind, last_period),
                           "Participation rate"),
            width="stretch", key="ranking",
        )
        if last.height > ranked.height:
            st.caption(f"The {MAX_ROWS // 2} most and the {MAX_ROWS // 2} least active of {plural(last.height, *kind)}.")
    with right:
        st.subheader("Retention", help=HELP["retention"])
        # the organisation's, or the chosen group's own (the participation rows carry it per group)
        own = data.scope_trend("participation", f)
        r = own.reading("retention")
        if r.period is None:
            st.write("Retention needs at least two periods.")
        else:
            retained = own.rows.filter(pl.col("retention").is_not_null())
            st.plotly_chart(charts.mark_partial(
                charts.org_trend(retained, "retention",
                                 f"{pct(r.value)} of the people of {charts.safe(scope)} active the period<br>"
                                 f"before {r.period} came back in it", "Retention"), partial),
                width="stretch", key="retention",
            )

    left, right = st.columns(2)
    with left:
        st.subheader("Frontline and desk", help=HELP["frontline"])
        # grouped by frontline, the group is one of the two; else the two inside the group
        fr = (data.figure("participation", f, by="frontline", group=f.group)
              if f.group is None or f.by == "frontline" else data.figure("frontline", f))
        if fr.rows.is_empty():
            st.write(md(f"No frontline flag in the directory, or a population of {scope} under the minimum size."))
        else:
            st.plotly_chart(charts.mark_partial(charts.compared_lines(
                fr.rows, "frontline", "participation_rate",
                f"Participation of frontline and desk workers<br>in {charts.safe(scope)}", "Participation rate"),
                partial), width="stretch", key="frontline")
            st.caption(md(gap_sentence(fr.gap("frontline", "frontline", "desk"), "frontline people", "desk workers")))
    with right:
        st.subheader("Leaders and staff", help=HELP["leaders"])
        lv = (data.figure("participation", f, by="level", group=f.group)
              if f.group is None or f.by == "level" else data.figure("leadership", f))
        if lv.rows.is_empty():
            st.write(md(f"No job level in the directory, or levels of {scope} under the minimum size."))
        else:
            st.plotly_chart(charts.mark_partial(charts.compared_lines(
                lv.rows, "level", "participation_rate", f"Participation by job level<br>in {charts.safe(scope)}",
                "Participation rate"), partial), width="stretch", key="levels")
            st.caption(md(gap_sentence(lv.gap("level", "manager", "staff"), "managers", "staff")))
