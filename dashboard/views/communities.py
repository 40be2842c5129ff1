"""Communities: the spaces where people meet, how alive and how responsive they are, and how
contributors arrive, stay and lapse."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, data, tables
from dashboard.filters import Filters, partial_note
from dashboard.format import count, md, pct
from ruche.i18n import N_, _, number, period_label as label, scope as in_words
from dashboard.words import MEANINGS

HELP = {
    "health": MEANINGS["health score"],
    "communities": N_("Every space where people post: Viva Engage communities, Slack and Mattermost channels, "
                      "private conversations pooled into one."),
    "unanswered": N_("Share of the threads started in the range that got no reply from someone else by its end."),
    "idle": N_("No post or reply during the last {d} days of the range."),
    "first_reply": N_("Calendar time (nights and weekends included) from a thread's first post to the first reply "
                   "by someone else, over the threads answered by the end of the range."),
    "lifecycle": N_("New: contributed for the first time. Returning: back after at least one period without. "
                 "Continuing: contributed the period before too. Lapsed: contributed the period before, not in this one; "
                 "newcomers who lapsed: of them, those who contributed for the first time the period before."),
    "funnel": N_("People employed in the range at each step: seen (any activity), reacted (a reaction or a "
              "contribution), posted, contributes regularly (in at least 3 months of the range)."),
    "cohorts": N_("People who arrived in a month (their first activity), and the share of them active each month after."),
}

PART_LABELS = {
    "part_active": N_("score: active members"),
    "part_answered": N_("score: threads answered"),
    "part_quick": N_("score: answered within a day"),
    "part_depth": N_("score: replies per thread"),
    "part_momentum": N_("score: momentum"),
}

def table() -> dict:
    """The tables' columns, named in the language in use."""
    return {
    "community": st.column_config.TextColumn(_("community")),
    "source": st.column_config.TextColumn(_("source")),
    "kind": st.column_config.TextColumn(_("kind")),
    "posts": st.column_config.NumberColumn(_("posts"), format="%d"),
    "readers": st.column_config.NumberColumn(_("readers"), format="%d"),
    "threads": st.column_config.NumberColumn(_("threads"), format="%d"),
    "members": st.column_config.NumberColumn(_("members"), format="%d"),
    "active_members": st.column_config.NumberColumn(_("active members"), format="%d"),
    "replies_per_thread": st.column_config.NumberColumn(_("replies per thread"), format="%.2f"),
    "answered_share": st.column_config.NumberColumn(_("threads answered"), format="percent"),
    "first_reply_median_hours": st.column_config.NumberColumn(_("median hours to first reply"), format="%.1f"),
    "first_reply_p90_hours": st.column_config.NumberColumn(_("90th percentile (hours)"), format="%.1f"),
    "trend": st.column_config.NumberColumn(_("trend (contributions, last 30 days against the 30 before)"), format="%+d"),
    "health": st.column_config.ProgressColumn(_("health"), min_value=0, max_value=100, format="%d"),
    "last_contribution": st.column_config.DateColumn(_("last contribution")),
    **{k: st.column_config.NumberColumn(_(v), format="percent") for k, v in PART_LABELS.items()},
    }


def hours(x: float | None) -> str:
    """'25.3 h', or '–'.

    >>> hours(25.33), hours(None)
    ('25.3 h', '–')
    """
    return "–" if x is None else f"{number(x)} h"


def render(f: Filters) -> None:
    st.title(_("Communities"))
    # The contributors' lifecycle, its funnel and cohorts over the range, is computed alongside
    # the communities and their threads (a parallel fragment: most of either is DuckDB's, which
    # lets go of the interpreter), shown below them.
    above, below = st.container(), st.container()
    with below:
        contributors(f)
    with above:
        spaces_and_threads(f)


def spaces_and_threads(f: Filters) -> None:
    """The communities, idle ones, and how their threads are answered."""
    spaces = data.figure("communities", f)
    org = spaces.extra
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(_("Communities"), count(org.get("communities")), help=_(HELP["communities"]))
    c2.metric(_("Idle"), count(org.get("idle")), help=_(HELP["idle"]).format(d=org.get("idle_days", 30)))
    c3.metric(_("Median time to first reply"), hours(org.get("first_reply_median_hours")), help=_(HELP["first_reply"]))
    c4.metric(_("Threads unanswered"), pct(org.get("unanswered_share")), help=_(HELP["unanswered"]))
    st.caption(md(_("Covers: {covers}. Every community and thread of the organisation counts in these four figures; "
                    "private conversations are pooled into one row, never listed; a community with fewer than {k} "
                    "members is not listed one by one.").format(covers=spaces.covers, k=f.min_group_size)))

    st.subheader(_("Every community"), help=_(HELP["health"]))
    rows = idle = spaces.rows
    if not rows.is_empty():  # both tables' frames in one collect (each waits its turn on polars' threads)
        rows, idle = pl.collect_all([
            rows.lazy().select("community", "source", "kind", "health", *PART_LABELS, "members", "active_members",
                               "posts", "replies_per_thread", "readers", "threads", "answered_share",
                               "first_reply_median_hours", "first_reply_p90_hours", "trend", "last_contribution"),
            rows.lazy().filter(pl.col("idle").fill_null(False)).select("community", "source", "members",
                                                                       "last_contribution"),
        ])
    if rows.is_empty():
        st.info(_("No community with enough members in this range."))
    else:
        tables.show(rows, height=min(36 * rows.height + 40, 640), column_config=table(), key="communities_table")
        weights = ", ".join(f"{_(PART_LABELS[p['part']])} {pct(p['weight'], 0)} ({_(p['is'])})"
                            for p in org.get("health_parts", []))
        st.caption(md(_("Health score parts and weights: {weights}.").format(weights=weights)))
    st.subheader(_("Idle communities"), help=_(HELP["idle"]).format(d=org.get("idle_days", 30)))
    if idle.is_empty():
        st.write(md(_("No listed community is idle ({n} idle in all, listed or not).").format(n=count(org.get("idle")))))
    else:
        tables.show(idle, key="idle_table", column_config=table())

    st.subheader(_("Responsiveness"), help=_(HELP["first_reply"]))
    resp = data.scope_trend("responsiveness", f)
    scope = charts.safe(in_words(resp.query.scope))
    if resp.rows.is_empty() or resp.reading("threads").value is None:
        st.write(md(_("No thread started by {scope} in this range, or a group under the minimum size.").format(
            scope=in_words(resp.query.scope))))
    else:
        r = resp.reading("unanswered_share")
        left, right = st.columns(2)
        with left:
            charts.draw(charts.mark_partial(charts.hours_trend(
                resp.rows, _("Time to first reply, threads started by {scope}").format(scope=scope)), f.partial_labels),
                key="first_reply")
        with right:
            charts.draw(charts.mark_partial(charts.org_trend(
                resp.rows.filter(pl.col("unanswered_share").is_not_null()), "unanswered_share",
                _("{share} of the threads started by {scope}<br>in {period} got no reply").format(
                    share=pct(r.value), scope=scope, period=label(r.period)), _("Unanswered")),
                f.partial_labels), key="unanswered")
        st.caption(md(_("Covers: {covers}.").format(covers=resp.covers)))


@st.fragment(parallel=True)
def contributors(f: Filters) -> None:
    """New, returning and lapsed contributors per period, the onboarding funnel and the cohorts."""
    st.subheader(_("Contributors: new, returning, lapsed"), help=_(HELP["lifecycle"]))
    life = data.scope_trend("lifecycle", f)
    if life.rows.is_empty():
        st.write(md(_("No figure for {scope} in this range.").format(scope=in_words(life.query.scope))))
    else:
        n = life.reading("new")
        lapsed = life.reading("lapsed")
        newcomers = life.reading("lapsed_newcomers")
        charts.draw(charts.mark_partial(charts.lifecycle_bars(
            life.rows, _("{new} new and {lapsed} lapsed contributors in {period} ({newcomers} of them newcomers "
                         "the period before)<br>in {scope}").format(
                new=count(n.value), lapsed=count(lapsed.value), newcomers=count(newcomers.value), period=label(n.period),
                scope=charts.safe(in_words(life.query.scope)))), f.partial_labels), key="lifecycle")
        st.caption(md(_("Covers: {covers}.").format(covers=life.covers)))
        note = partial_note(f)
        if note:
            st.caption(md(note))
        left, right = st.columns(2)
        with left:
            st.subheader(_("Onboarding funnel"), help=_(HELP["funnel"]))
            steps = life.frame("funnel")
            if steps.is_empty():
                st.write(_("Under the minimum size over the range."))
            else:
                row = steps.row(0, named=True)
                charts.draw(charts.funnel(
                    [(_("in the directory"), row["in_directory"]), (_("seen"), row["seen"]), (_("reacted"), row["reacted"]),
                     (_("posted"), row["posted"]), (_("contributes regularly"), row["regular"])],
                    _("From the directory to regular contribution<br>in {scope}").format(
                        scope=charts.safe(in_words(life.query.scope)))),
                    key="funnel")
        with right:
            st.subheader(_("Cohorts by month of arrival"), help=_(HELP["cohorts"]))
            cohorts = life.frame("cohorts")
            if cohorts.is_empty():
                st.write(_("No cohort of at least {k} people in this range.").format(k=f.min_group_size))
            else:
                charts.draw(charts.cohort_curves(
                    cohorts, _("Share of each cohort active, month by month<br>in {scope}").format(
                        scope=charts.safe(in_words(life.query.scope)))),
                    key="cohorts")
