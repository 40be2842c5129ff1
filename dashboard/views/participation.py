"""Participation: who takes part, by group and over time."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, data, titles
from dashboard.filters import Filters, partial_note
from dashboard.format import md, pct, plural
from dashboard.words import MEANINGS, group_words
from metrics.figures import Gap
from ruche.i18n import N_, _, ngettext, number, pgettext, period_label as label, scope as in_words

HELP = {
    "heatmap": N_("Participation rate (active people / headcount) of each group in each period. "
    "Groups under the minimum size are not shown."),
    "ranking": N_("Participation rate of each group over the last period of the range."),
    "frontline": N_("Participation rate of frontline people (no desk job) against desk workers."),
    "leaders": N_("Participation rate of executives and managers against staff."),
    "retention": MEANINGS["retention"],
}


def gap_sentence(gap: Gap | None, label_a: str, label_b: str) -> str:
    """How the page words a gap between two populations (:meth:`metrics.figures.Figure.gap`).

    >>> gap_sentence(Gap("2026-10", 0.4, 0.55), "frontline people", "desk workers")
    'In 2026-10, frontline people take part at 40.0% against 55.0% for desk workers: a gap of 15.0 points against them.'
    """
    if gap is None:
        return _("One of the two populations is under the minimum size in the last period.")
    return (_("In {period}, {a} take part at {rate_a} against {rate_b} for {b}: a gap of {points} points in their "
              "favour.") if gap.difference > 0 else
            _("In {period}, {a} take part at {rate_a} against {rate_b} for {b}: a gap of {points} points against "
              "them.")).format(period=label(gap.period), a=label_a, rate_a=pct(gap.a), rate_b=pct(gap.b), b=label_b,
                               points=number(abs(100 * gap.difference)))


#: Groups drawn at most in the heatmap and the ranking (by team there are thousands).
MAX_ROWS = 40


def render(f: Filters) -> None:
    st.title(_("Participation"))
    fig = data.figure("participation", f)
    frame = fig.rows
    scope = in_words(fig.query.scope)
    if frame.is_empty():
        st.info(md(_("No figure for {scope} in this range: ").format(scope=scope) + (
            _("every group is under the minimum size.") if f.group is None else
            _("it holds fewer than {k} people (or nobody employed) in every period of it.").format(k=f.min_group_size))))
        return
    partial = f.partial_labels
    last_period = label(fig.last_period)
    last = fig.latest()
    best = fig.ranked("participation_rate").row(0, named=True)
    kind = group_words(f.by)
    title = (_("In {period}, {leaders}").format(period=last_period,
                                                leaders=titles.leaders(last, f.by, "participation_rate", kind))
             if f.group is None else
             _("{group}: {rate} in {period}").format(group=charts.safe(f.group), rate=pct(best["participation_rate"]),
                                                     period=last_period))
    # the groups the title names are drawn, whatever their size
    named = titles.named(last, f.by, "participation_rate") if f.group is None else []
    drawn = charts.largest(frame, f.by, MAX_ROWS - len(named))
    drawn += [g for g in named if g not in drawn]
    charts.draw(charts.mark_partial(
        charts.heatmap(frame.filter(pl.col(f.by).is_in(drawn)), f.by, "participation_rate", title), partial),
        key="heatmap")
    st.caption(_(HELP["heatmap"]) + (_(" {n} of {groups} are drawn: the largest, and those the title names.").format(
        n=len(drawn), groups=plural(last.height, *kind)) if last.height > len(drawn) else ""))
    st.caption(md(_("Covers: {covers}.").format(covers=fig.covers)))
    # in a container of their own, present or not: the charts below keep their place in the page
    # and so their drawing (a chart whose place moves is drawn anew)
    with st.container():
        note = partial_note(f)
        if note:
            st.caption(md(note))
        if fig.suppressed_groups:
            st.caption(ngettext("{groups} under the minimum size is left out.",
                                "{groups} under the minimum size are left out.", fig.suppressed_groups).format(
                groups=plural(fig.suppressed_groups, *kind)))

    left, right = st.columns(2)
    with left:
        st.subheader(_("Ranking"), help=_(HELP["ranking"]))
        ranked = fig.ranked("participation_rate")
        if ranked.height > MAX_ROWS:  # the most and the least active
            ranked = pl.concat([ranked.head(MAX_ROWS // 2), ranked.tail(MAX_ROWS // 2)])
        charts.draw(
            charts.ranking(ranked, f.by, "participation_rate",
                           titles.groups_ranked(last.height, kind, last_period),
                           _("Participation rate")),
            key="ranking",
        )
        if last.height > ranked.height:
            st.caption(_("The {n} most and the {n} least active of {groups}.").format(
                n=MAX_ROWS // 2, groups=plural(last.height, *kind)))
    with right:
        st.subheader(_("Retention"), help=_(HELP["retention"]))
        # the organisation's, or the chosen group's own (the participation rows carry it per group)
        own = data.scope_trend("participation", f)
        r = own.reading("retention")
        if r.period is None:
            st.write(_("Retention needs at least two periods."))
        else:
            retained = own.rows.filter(pl.col("retention").is_not_null())
            charts.draw(charts.mark_partial(
                charts.org_trend(retained, "retention",
                                 _("{rate} of the people of {scope} active the period<br>before {period} came back "
                                   "in it").format(rate=pct(r.value), scope=charts.safe(scope), period=label(r.period)),
                                 _("Retention")), partial),
                key="retention",
            )

    left, right = st.columns(2)
    with left:
        st.subheader(_("Frontline and desk"), help=_(HELP["frontline"]))
        # grouped by frontline, the group is one of the two; else the two inside the group
        fr = (data.figure("participation", f, by="frontline", group=f.group)
              if f.group is None or f.by == "frontline" else data.figure("frontline", f))
        if fr.rows.is_empty():
            st.write(md(_("No frontline flag in the directory, or a population of {scope} under the minimum size.").format(
                scope=scope)))
        else:
            charts.draw(charts.mark_partial(charts.compared_lines(
                fr.rows, "frontline", "participation_rate",
                _("Participation of frontline and desk workers<br>in {scope}").format(scope=charts.safe(scope)),
                _("Participation rate")),
                partial), key="frontline")
            st.caption(md(gap_sentence(fr.gap("frontline", "frontline", "desk"), _("frontline people"), _("desk workers"))))
    with right:
        st.subheader(_("Leaders and staff"), help=_(HELP["leaders"]))
        lv = (data.figure("participation", f, by="level", group=f.group)
              if f.group is None or f.by == "level" else data.figure("levels", f))
        if lv.rows.is_empty():
            st.write(md(_("No job level in the directory, or levels of {scope} under the minimum size.").format(scope=scope)))
        else:
            charts.draw(charts.mark_partial(charts.compared_lines(
                lv.rows, "level", "participation_rate",
                _("Participation by job level<br>in {scope}").format(scope=charts.safe(scope)),
                _("Participation rate")), partial), key="levels")
            st.caption(md(gap_sentence(lv.gap("level", "manager", "staff"), _("managers"), pgettext("people", "staff"))))
