"""Participation: who takes part, by group and over time."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, data
from dashboard.filters import Filters, partial_note
from dashboard.format import count, md, pct

HELP = {
    "heatmap": "Participation rate (active people / headcount) of each group in each period. "
    "Groups under the minimum size are not shown.",
    "ranking": "Participation rate of each group over the last period of the range.",
    "frontline": "Participation rate of frontline people (no desk job) against desk workers.",
    "leaders": "Participation rate of executives and managers against staff.",
    "retention": "Share of the people active in a period who are active again in the next one.",
}


def _gap_sentence(frame: pl.DataFrame, column: str, a: str, b: str, label_a: str, label_b: str,
                  partial: frozenset = frozenset()) -> str:
    complete = frame.filter(~pl.col("period").is_in(list(partial)))
    frame = complete if complete.height else frame
    last = frame.filter(pl.col("period") == frame["period"].max())
    va = last.filter(pl.col(column) == a)["participation_rate"]
    vb = last.filter(pl.col(column) == b)["participation_rate"]
    if va.is_empty() or vb.is_empty():
        return "One of the two populations is under the minimum size in the last period."
    gap = va[0] - vb[0]
    return (f"In {last['period'][0]}, {label_a} take part at {pct(va[0])} against {pct(vb[0])} for "
            f"{label_b}: a gap of {abs(100 * gap):.1f} points {'in their favour' if gap > 0 else 'against them'}.")


#: Groups drawn at most in the heatmap and the ranking (by team there are thousands).
MAX_ROWS = 40


def render(f: Filters) -> None:
    st.title("Participation")
    result = data.metric("participation", f)
    frame = result.rows
    scope = "the organisation" if f.group is None else f"{f.by} {f.group}"
    if f.group is not None:
        frame = frame.filter(pl.col(f.by) == f.group)
    if frame.is_empty():
        st.info(md(f"No figure for {scope} in this range: " + (
            "every group is under the minimum size." if f.group is None else
            f"it holds fewer than {f.min_group_size} people (or nobody employed) in every period of it.")))
        return
    partial = f.partial_labels
    complete = frame.filter(~pl.col("period").is_in(list(partial)))
    last_period = (complete if complete.height else frame)["period"].max()
    last = frame.filter(pl.col("period") == last_period)
    best = last.sort("participation_rate", descending=True).row(0, named=True)
    worst = last.sort("participation_rate").row(0, named=True)
    title = (f"In {last_period}, {charts.safe(best[f.by])} leads at {pct(best['participation_rate'])}; "
             f"{charts.safe(worst[f.by])} trails at {pct(worst['participation_rate'])}") if f.group is None else (
             f"{charts.safe(f.group)}: {pct(best['participation_rate'])} in {last_period}")
    drawn = charts.largest(frame, f.by, MAX_ROWS)
    st.plotly_chart(charts.mark_partial(
        charts.heatmap(frame.filter(pl.col(f.by).is_in(drawn)), f.by, "participation_rate", title), partial),
        width="stretch", key="heatmap")
    st.caption(HELP["heatmap"] + (f" The {len(drawn)} largest of {count(last.height)} groups are drawn."
                                  if last.height > len(drawn) else ""))
    note = partial_note(f)
    if note:
        st.caption(md(note))
    if result.suppressed_groups:
        st.caption(f"{result.suppressed_groups} group(s) under the minimum size are left out.")

    left, right = st.columns(2)
    with left:
        st.subheader("Ranking", help=HELP["ranking"])
        ranked = last.sort(["participation_rate", f.by], descending=[True, False])
        if ranked.height > MAX_ROWS:  # the most and the least active
            ranked = pl.concat([ranked.head(MAX_ROWS // 2), ranked.tail(MAX_ROWS // 2)])
        st.plotly_chart(
            charts.ranking(ranked, f.by, "participation_rate",
                           f"{last.height} group{'s' if last.height > 1 else ''} in {last_period}, from most to least active",
                           "Participation rate"),
            width="stretch", key="ranking",
        )
        if last.height > ranked.height:
            st.caption(f"The {MAX_ROWS // 2} most and the {MAX_ROWS // 2} least active of {count(last.height)} groups.")
    with right:
        st.subheader("Retention", help=HELP["retention"])
        # the organisation's, or the chosen group's own (the participation rows carry it per group)
        org = data.metric("participation", f, by="organisation").rows if f.group is None else frame
        retained = org.filter(pl.col("retention").is_not_null())
        complete_retained = retained.filter(~pl.col("period").is_in(list(partial)))
        if retained.is_empty():
            st.write("Retention needs at least two periods.")
        else:
            r = (complete_retained if complete_retained.height else retained).row(-1, named=True)
            st.plotly_chart(charts.mark_partial(
                charts.org_trend(retained, "retention",
                                 f"{pct(r['retention'])} of the people of {charts.safe(scope)} active the period<br>"
                                 f"before {r['period']} came back in it", "Retention"), partial),
                width="stretch", key="retention",
            )

    left, right = st.columns(2)
    with left:
        st.subheader("Frontline and desk", help=HELP["frontline"])
        if f.group is None or f.by == "frontline":  # grouped by frontline: the group is one of the two
            fr = data.metric("participation", f, by="frontline").rows
            fr = fr if f.group is None else fr.filter(pl.col("frontline") == f.group)
        else:
            fr = data.metric("frontline", f).rows
            fr = fr.filter(pl.col(f.by) == f.group).drop(f.by) if f.by in fr.columns else fr.clear()
        if fr.is_empty():
            st.write(md(f"No frontline flag in the directory, or a population of {scope} under the minimum size."))
        else:
            sentence = _gap_sentence(fr, "frontline", "frontline", "desk", "frontline people", "desk workers",
                                     partial)
            st.plotly_chart(charts.mark_partial(charts.compared_lines(
                fr, "frontline", "participation_rate",
                f"Participation of frontline and desk workers<br>in {charts.safe(scope)}", "Participation rate"),
                partial), width="stretch", key="frontline")
            st.caption(md(sentence))
    with right:
        st.subheader("Leaders and staff", help=HELP["leaders"])
        if f.group is None or f.by == "level":  # grouped by level: the group is one of them
            lv = data.metric("participation", f, by="level").rows
            lv = lv if f.group is None else lv.filter(pl.col("level") == f.group)
        else:
            lv = data.metric("leadership", f).rows
            lv = lv.filter(pl.col(f.by) == f.group).drop(f.by) if f.by in lv.columns else lv.clear()
        if lv.is_empty():
            st.write(md(f"No job level in the directory, or levels of {scope} under the minimum size."))
        else:
            st.plotly_chart(charts.mark_partial(charts.compared_lines(
                lv, "level", "participation_rate", f"Participation by job level<br>in {charts.safe(scope)}",
                "Participation rate"), partial), width="stretch", key="levels")
            st.caption(md(_gap_sentence(lv, "level", "manager", "staff", "managers", "staff", partial)))
