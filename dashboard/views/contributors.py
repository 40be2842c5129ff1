"""Contributors: the 90/9/1 split, how concentrated contributions are, and personas."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, data, titles
from dashboard.filters import Filters
from dashboard.format import count, md, pct, plural
from dashboard.words import MEANINGS, group_words

HELP = {
    "split": "Superusers: the top 1% of the headcount by contributions (posts and replies), ties "
    "included. Contributors: everybody else who contributed. Lurkers: active without contributing "
    "(read, reacted, joined). Inactive: no activity at all. Without a source of reads, lurkers and "
    "inactive people cannot be told apart and are shown together as non-contributors.",
    "gini": MEANINGS["Gini coefficient"] + " Over the whole headcount, zeros included.",
    "absence": MEANINGS["contributor absence factor"],
    "personas": "From contributions made and responses received over the range: engager (balanced), "
    "catalyst (receives more than twice what it gives), responder and broadcaster (give more than "
    "twice what they receive, mostly replies and reactions, or mostly posts), observer (active, gives "
    "nothing). Counts per group; never a person.",
}


#: Groups drawn at most in the personas chart (by team there are thousands).
MAX_GROUPS = 40


def render(f: Filters) -> None:
    st.title("Contributors")
    fig = data.figure("inequality", f)
    extra = fig.extra
    scope = fig.query.scope
    if f.group is not None:
        split = fig.rows.drop(f.by)
        mine = fig.frame("groups").select("gini", "contributor_absence_factor", "headcount")
        gini, absence, headcount = mine.row(0) if mine.height else (None, None, None)
    else:
        split = extra["organisation"]
        gini, absence, headcount = extra["gini"], extra["contributor_absence_factor"], extra["headcount"]
    if split.is_empty():
        st.info(md(f"Nothing to show for {scope} in this range: it holds fewer than {f.min_group_size} people, "
                   "or none was employed then."))
        return
    if not extra.get("reads_known", True):
        st.warning("No source reports reads: lurkers and inactive people are shown together as "
                   "non-contributors. Load a Microsoft 365 usage report to tell them apart.")

    top = split.filter(pl.col("class") == "superuser").row(0, named=True)
    c1, c2, c3 = st.columns(3)
    c1.metric("Superusers' share of contributions", pct(top["contributions_share"]),
              help=HELP["split"])
    c2.metric("Gini coefficient", "–" if gini is None else f"{gini:.2f}", help=HELP["gini"])
    c3.metric("Contributor absence factor", count(absence), help=HELP["absence"])

    title = (f"{pct(top['people_share'])} of people ({count(top['people'])}) write "
             f"{pct(top['contributions_share'])} of the content in {charts.safe(scope)}")
    st.plotly_chart(charts.split_bars(split, title), width="stretch", key="split")
    st.caption(md(f"Headcount {count(headcount)}: the internal people of {scope} employed at some time over the "
                  "range (more than in any one period). Reference: Nielsen's 90/9/1 — 90% lurkers, "
                  "9% occasional contributors, 1% superusers writing most of the content."))
    st.caption(md(f"Covers: {fig.covers}."))

    left, right = st.columns(2)
    with left:
        st.subheader("Concentration", help=HELP["gini"])
        if f.group is None and extra["lorenz"].height > 1:
            st.plotly_chart(charts.lorenz(extra["lorenz"], gini,
                                          f"Half of all contributions come from {count(absence)} people"),
                            width="stretch", key="lorenz")
        else:
            st.write(md(f"Gini of {scope}: " + ("–" if gini is None else f"{gini:.2f}")))
    with right:
        st.subheader("Personas", help=HELP["personas"])
        personas = data.figure("personas", f)
        frame = personas.rows
        if frame.is_empty():
            st.write("No persona to show in this range.")
        else:
            # the organisation's figure counts every employee, the groups hidden included
            totals = personas.frame("organisation") if f.group is None else frame
            title = titles.personas(totals, "employees" if f.group is None else "people")
            sizes = frame.select(f.by, "headcount").unique().sort(["headcount", f.by], descending=[True, False])
            drawn = sizes.head(MAX_GROUPS)[f.by]
            st.plotly_chart(
                charts.stacked_counts(frame.filter(pl.col(f.by).is_in(drawn.implode())), f.by, "persona", "people",
                                      title, "People", meanings=MEANINGS),
                width="stretch", key="personas",
            )
            st.caption("; ".join(f"{p}: {MEANINGS[p][len('A persona: '):].rstrip('.')}" for p in
                                 ("engager", "catalyst", "responder", "broadcaster", "observer")) + ".")
            if sizes.height > MAX_GROUPS:
                st.caption(f"The {MAX_GROUPS} largest of {plural(sizes.height, *group_words(f.by))} are drawn.")
