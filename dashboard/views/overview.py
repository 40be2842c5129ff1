"""Overview: the sponsor's monthly review in a few minutes."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, data, summary, titles
from dashboard.views import organisation
from metrics import headlines
from dashboard.filters import Filters, partial_note
from dashboard.format import count, md, pct, plural, points, scope, term
from dashboard.words import MEANINGS, group_words
from ruche.i18n import _, period_label as label


#: Lines drawn at most in the adoption curves (by team there are thousands).
MAX_CURVES = 15


def render(f: Filters) -> None:
    st.title(_("Overview"))
    s = data.settings()
    o = headlines.overview(data.source(), data.query("participation", f), s.targets, s.phases, data.silo_settings())
    if o.trend.rows.is_empty():
        st.info(_("No figures for {scope} in this range: the group may be under the minimum size of "
                  "{k} people, or nobody was employed then.").format(scope=md(scope(o.scope)), k=f.min_group_size))
        return
    last, prev = o.last(), o.previous()
    cut = last["period"] in o.partial
    where = scope(o.scope)
    st.caption(md(f"{where[0].upper()}{where[1:]} · {label(last['period'])}" + (_(" (partial)") if cut else "")
                  + (_(" against {period}").format(period=label(prev["period"])) if prev and not cut else "")
                  + _(" · headcount {headcount} (people employed in {period}), {active} active").format(
                      headcount=count(last["headcount"]), period=label(last["period"]), active=count(last["active"]))))

    for col, h in zip(st.columns(len(o.headlines)), o.headlines):
        col.metric(h.label, pct(h.value), points(h.delta), delta_color="normal" if h.delta else "off",
                   help=h.help)
        if h.period is not None and h.period != last["period"]:
            col.caption(md(_("In {period}").format(period=label(h.period)) + (_(" (partial)") if h.partial else "")))
        if h.target:
            col.caption(md(summary.target_line(h.target)))
    # in a container of its own, present or not: the elements after it keep their place in the
    # page, and the charts among them their drawing (a chart whose place moves is drawn anew)
    with st.container():
        note = partial_note(f)
        if note:
            st.caption(md(note))

    trend = o.trend.rows
    charts.draw(charts.mark_partial(charts.participation_trend(
        trend, charts.trend_title(trend, partial=o.partial)), o.partial), key="trend")
    st.caption(md(
        _("In {period}, {active} of {headcount} people took part and {contributors} wrote something "
          "({rate}).").format(period=label(last["period"]), active=count(last["active"]),
                              headcount=count(last["headcount"]), contributors=count(last["contributors"]),
                              rate=pct(last["contribution_rate"]))
    ))
    st.caption(md(_("Covers: {covers}.").format(covers=o.trend.covers)))
    with st.container():
        organisation.mine_against_company(f)

    reading = o.curves_reading()
    if reading:
        low, high = reading
        curves = o.curves.rows
        kind = group_words(f.by)
        latest = o.curves.latest()
        st.subheader(_("Adoption by {attribute}").format(attribute=term(f.by)), help=_(headlines.HELP["curve"]))
        # the groups the title names are drawn, whatever their size
        named = titles.named(latest, f.by, "participation_rate")
        drawn = charts.largest(curves, f.by, MAX_CURVES - len(named))
        drawn += [g for g in named if g not in drawn]
        charts.draw(
            charts.mark_partial(charts.adoption_curves(
                curves.filter(pl.col(f.by).is_in(drawn)), f.by, s.phases,
                _("{leaders} in {period}").format(
                    leaders=titles.leaders(latest, f.by, "participation_rate", kind, ("leads adoption", "trails")),
                    period=label(high["period"]))),
                o.partial),
            key="curves",
        )
        groups = latest.height
        st.caption(md(_("{groups} in {period}").format(groups=plural(groups, *kind), period=label(high["period"]))
                      # the title names the groups at both ends, ties included
                      + (_(": from {low_rate} to {high_rate}.").format(
                          low_rate=pct(low["participation_rate"]), high_rate=pct(high["participation_rate"]))
                         if groups > 1 else ".")
                      + (_(" {n} are drawn: the largest, and those the title names.").format(n=len(drawn))
                         if groups > len(drawn) else "")))
        phases = [p for p in ("pilot", "rollout", "generalised") if p in s.phases.values()]
        if phases:
            prefix = _("Roadmap phase: ")
            st.caption(md(_("Roadmap phases in the legend: ") + "; ".join(
                f"{term(p)}: {_(MEANINGS[p]).removeprefix(prefix).rstrip('.')}" for p in phases) + "."))
