"""Overview: the sponsor's monthly review in a few minutes."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, data, summary, titles
from metrics import headlines
from dashboard.filters import Filters, partial_note
from dashboard.format import count, md, pct, plural, points
from dashboard.words import MEANINGS, group_words


#: Lines drawn at most in the adoption curves (by team there are thousands).
MAX_CURVES = 15


def render(f: Filters) -> None:
    st.title("Overview")
    s = data.settings()
    o = headlines.overview(data.source(), data.query("participation", f), s.targets, s.phases, data.silo_settings())
    if o.trend.rows.is_empty():
        st.info(f"No figures for {md(o.scope)} in this range: the group may be under the minimum size of "
                f"{f.min_group_size} people, or nobody was employed then.")
        return
    last, prev = o.last(), o.previous()
    cut = last["period"] in o.partial
    st.caption(md(f"{o.scope[0].upper()}{o.scope[1:]} · {last['period']}" + (" (partial)" if cut else "")
                  + (f" against {prev['period']}" if prev and not cut else "")
                  + f" · headcount {count(last['headcount'])} (people employed in {last['period']}), "
                  f"{count(last['active'])} active"))

    for col, h in zip(st.columns(len(o.headlines)), o.headlines):
        col.metric(h.label, pct(h.value), points(h.delta), delta_color="normal" if h.delta else "off",
                   help=h.help)
        if h.period is not None and h.period != last["period"]:
            col.caption(md(f"In {h.period}" + (" (partial)" if h.partial else "")))
        if h.target:
            col.caption(md(summary.target_line(h.target)))
    note = partial_note(f)
    if note:
        st.caption(md(note))

    trend = o.trend.rows
    st.plotly_chart(charts.mark_partial(charts.participation_trend(
        trend, charts.trend_title(trend, partial=o.partial)), o.partial), width="stretch", key="trend")
    st.caption(md(
        f"In {last['period']}, {count(last['active'])} of {count(last['headcount'])} people took part "
        f"and {count(last['contributors'])} wrote something ({pct(last['contribution_rate'])})."
    ))
    st.caption(md(f"Covers: {o.trend.covers}."))

    reading = o.curves_reading()
    if reading:
        low, high = reading
        curves = o.curves.rows
        kind = group_words(f.by)
        latest = o.curves.latest()
        st.subheader("Adoption by " + f.by, help=headlines.HELP["curve"])
        # the groups the title names are drawn, whatever their size
        named = titles.named(latest, f.by, "participation_rate")
        drawn = charts.largest(curves, f.by, MAX_CURVES - len(named))
        drawn += [g for g in named if g not in drawn]
        st.plotly_chart(
            charts.mark_partial(charts.adoption_curves(
                curves.filter(pl.col(f.by).is_in(drawn)), f.by, s.phases,
                f"{titles.leaders(latest, f.by, 'participation_rate', kind, ('leads adoption', 'trails'))} "
                f"in {high['period']}"),
                o.partial),
            width="stretch", key="curves",
        )
        groups = latest.height
        st.caption(md(f"{plural(groups, *kind)} in {high['period']}"
                      # the title names the groups at both ends, ties included
                      + (f": from {pct(low['participation_rate'])} to {pct(high['participation_rate'])}."
                         if groups > 1 else ".")
                      + (f" {len(drawn)} are drawn: the largest, and those the title names." if groups > len(drawn)
                         else "")))
        phases = [p for p in ("pilot", "rollout", "generalised") if p in s.phases.values()]
        if phases:
            st.caption(md("Roadmap phases in the legend: " + "; ".join(
                f"{p}: {MEANINGS[p].removeprefix('Roadmap phase: ').rstrip('.')}" for p in phases) + "."))
