"""Contributors: the 90/9/1 split, how concentrated contributions are, and personas."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, data, titles
from dashboard.filters import Filters
from dashboard.format import count, md, pct, plural
from dashboard.words import MEANINGS, group_words
from ruche.i18n import N_, _, number, scope as in_words, term

HELP = {
    "split": N_("Superusers: the top 1% of the headcount by contributions (posts and replies), ties "
    "included. Contributors: everybody else who contributed. Lurkers: active without contributing "
    "(read, reacted, joined). Inactive: no activity at all. Without a source of reads, lurkers and "
    "inactive people cannot be told apart and are shown together as non-contributors."),
    "gini": N_("How unequally contributions are spread over the headcount: 0 when everybody contributes equally, "
    "close to 1 when a few people write everything. Over the whole headcount, zeros included."),
    "absence": MEANINGS["contributor absence factor"],
    "personas": N_("From contributions made and responses received over the range: engager (balanced), "
    "catalyst (receives more than twice what it gives), responder and broadcaster (give more than "
    "twice what they receive, mostly replies and reactions, or mostly posts), observer (active, gives "
    "nothing). Counts per group; never a person."),
}


#: Groups drawn at most in the personas chart (by team there are thousands).
MAX_GROUPS = 40
#: The personas as a title counts them.
PERSONAS = {"engager": N_("engagers"), "catalyst": N_("catalysts"), "responder": N_("responders"),
            "broadcaster": N_("broadcasters"), "observer": N_("observers")}


def render(f: Filters) -> None:
    st.title(_("Contributors"))
    fig = data.figure("inequality", f)
    extra = fig.extra
    scope = in_words(fig.query.scope)
    if f.group is not None:
        split = fig.rows.drop(f.by)
        mine = fig.frame("groups").select("gini", "contributor_absence_factor", "headcount")
        gini, absence, headcount = mine.row(0) if mine.height else (None, None, None)
    else:
        split = extra["organisation"]
        gini, absence, headcount = extra["gini"], extra["contributor_absence_factor"], extra["headcount"]
    if split.is_empty():
        st.info(md(_("Nothing to show for {scope} in this range: it holds fewer than {k} people, "
                     "or none was employed then.").format(scope=scope, k=f.min_group_size)))
        return
    if not extra.get("reads_known", True):
        st.warning(_("No source reports reads: lurkers and inactive people are shown together as "
                     "non-contributors. Load a Microsoft 365 usage report to tell them apart."))

    top = split.row(split["class"].to_list().index("superuser"), named=True)
    c1, c2, c3 = st.columns(3)
    c1.metric(_("Superusers' share of contributions"), pct(top["contributions_share"]),
              help=_(HELP["split"]))
    c2.metric(_("Gini coefficient"), number(gini, 2), help=_(HELP["gini"]))
    c3.metric(_("Contributor absence factor"), count(absence), help=_(HELP["absence"]))

    title = _("{share} of people ({n}) write {content} of the content in {scope}").format(
        share=pct(top["people_share"]), n=count(top["people"]), content=pct(top["contributions_share"]),
        scope=charts.safe(scope))
    charts.draw(charts.split_bars(split, title), key="split")
    st.caption(md(_("Headcount {n}: the internal people of {scope} employed at some time over the "
                    "range (more than in any one period). Reference: Nielsen's 90/9/1 — {lurkers} lurkers, "
                    "{occasional} occasional contributors, {superusers} superusers writing most of the content.").format(
        n=count(headcount), scope=scope, lurkers=pct(0.9, 0), occasional=pct(0.09, 0), superusers=pct(0.01, 0))))
    st.caption(md(_("Covers: {covers}.").format(covers=fig.covers)))

    left, right = st.columns(2)
    with left:
        st.subheader(_("Concentration"), help=_(HELP["gini"]))
        if f.group is None and extra["lorenz"].height > 1:
            charts.draw(charts.lorenz(extra["lorenz"], gini,
                                      _("Half of all contributions come from {n} people").format(n=count(absence))),
                        key="lorenz")
        else:
            st.write(md(_("Gini of {scope}: {gini}").format(scope=scope, gini=number(gini, 2))))
    with right:
        st.subheader(_("Personas"), help=_(HELP["personas"]))
        personas = data.figure("personas", f)
        frame = personas.rows
        if frame.is_empty():
            st.write(_("No persona to show in this range."))
        else:
            # the organisation's figure counts every employee, the groups hidden included
            totals = personas.frame("organisation") if f.group is None else frame
            title = titles.personas(totals, "employees" if f.group is None else "people")
            # the groups drawn, the largest, and how many there are: one wait on polars' threads
            sizes = frame.lazy().select(f.by, "headcount").unique().sort(["headcount", f.by], descending=[True, False])
            drawn, groups = pl.collect_all([
                frame.lazy().join(sizes.head(MAX_GROUPS).select(f.by), on=f.by, how="semi", maintain_order="left"),
                sizes.select(pl.len()),
            ])
            charts.draw(
                charts.stacked_counts(drawn, f.by, "persona", "people", title, _("People"), meanings=MEANINGS),
                key="personas",
            )
            prefix = _("A persona: ")
            st.caption("; ".join(f"{term(p)}: {_(MEANINGS[p]).removeprefix(prefix).rstrip('.')}" for p in
                                 ("engager", "catalyst", "responder", "broadcaster", "observer")) + ".")
            groups = groups.item()
            if groups > MAX_GROUPS:
                st.caption(_("The {n} largest of {groups} are drawn.").format(
                    n=MAX_GROUPS, groups=plural(groups, *group_words(f.by))))
