"""Overview: the sponsor's monthly review in a few minutes."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, data, summary
from dashboard.filters import Filters, partial_note
from dashboard.format import count, md, pct, points


#: Lines drawn at most in the adoption curves (by team there are thousands).
MAX_CURVES = 15


def render(f: Filters) -> None:
    st.title("Overview")
    s = data.settings()
    o = summary.overview(lambda name, **kw: data.metric(name, f, **kw), f.by, f.group, s.targets, s.phases,
                         data.silo_settings(), f.partial_labels)
    if o.trend.is_empty():
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
            col.caption(md(h.target))
    note = partial_note(f)
    if note:
        st.caption(md(note))

    st.plotly_chart(charts.mark_partial(charts.participation_trend(
        o.trend, charts.trend_title(o.trend, partial=o.partial)), o.partial), width="stretch", key="trend")
    st.caption(md(
        f"In {last['period']}, {count(last['active'])} of {count(last['headcount'])} people took part "
        f"and {count(last['contributors'])} wrote something ({pct(last['contribution_rate'])})."
    ))

    reading = summary.curves_reading(o.curves, f.by, o.partial)
    if reading:
        low, high = reading
        st.subheader("Adoption by " + f.by, help=summary.HELP["curve"])
        drawn = charts.largest(o.curves, f.by, MAX_CURVES)
        st.plotly_chart(
            charts.mark_partial(charts.adoption_curves(
                o.curves.filter(pl.col(f.by).is_in(drawn)), f.by, s.phases,
                f"{charts.safe(high[f.by])} leads adoption at {pct(high['participation_rate'])}, "
                f"{charts.safe(low[f.by])} trails at {pct(low['participation_rate'])} in {high['period']}"),
                o.partial),
            width="stretch", key="curves",
        )
        groups = o.curves.filter(o.curves["period"] == high["period"]).height
        st.caption(md(f"{groups} groups in {high['period']}: from {pct(low['participation_rate'])} "
                      f"({low[f.by]}) to {pct(high['participation_rate'])} ({high[f.by]})."
                      + (f" The {len(drawn)} largest are drawn." if groups > len(drawn) else "")))
