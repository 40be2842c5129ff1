"""Network: silos and bridges between groups."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, data
from dashboard.filters import Filters
from dashboard.format import count, md, pct
from metrics.network import DRAWN_GROUPS

HELP = {
    "graph": "One node per group (size: people), one edge per pair of groups that interact (width: "
    "ties: replies, mentions and reactions between their members, either way). Red: silos, groups "
    "whose E-I index is below the threshold. Groups under the minimum size are folded together or "
    "left out.",
    "ei": "E-I index (Krackhardt & Stern) = (external ties − internal ties) / all ties of the group: "
    "−1 for a closed silo, +1 for a group that only talks outward.",
    "cross": "Share of all ties that link two different groups.",
    "modularity": "Newman modularity of the formal groups: how far they explain who talks to whom "
    "(0: not at all; above 0.3: strongly).",
    "communities": "Communities found in the interaction graph of the whole history (Louvain, seeded), "
    "whatever the period range, against the formal groups. Normalised mutual information: 1 when "
    "communities are exactly the groups, 0 when unrelated.",
}


#: Groups drawn at most in the group graph and the E-I bars (by team there are thousands: a
#: layout of them takes minutes and no one can read it).
MAX_DRAWN = DRAWN_GROUPS


def render(f: Filters) -> None:
    st.title("Network")
    threshold = data.settings().silo_threshold
    result = data.metric("silos", f, silo_threshold=threshold, graph_top=MAX_DRAWN)
    groups, org = result.rows, result.extra
    if groups.is_empty() or org.get("ties") in (None, 0):
        st.info("No interactions between people in this range yet (replies, mentions, reactions).")
        return
    silos = groups.filter(pl.col("is_silo").fill_null(False))

    c1, c2, c3 = st.columns(3)
    c1.metric("Cross-silo share", pct(org["cross_silo_share"]), help=HELP["cross"])
    c2.metric("Organisation E-I index", f"{org['ei_index']:+.2f}", help=HELP["ei"])
    c3.metric("Modularity", f"{org['modularity']:.2f}", help=HELP["modularity"])

    graph = org["graph"]
    nodes = graph["nodes"] if graph["nodes"].height else None
    title = (f"{silos.height} of {groups.height} groups are silos (E-I below {threshold:+.1f}); "
             f"{pct(org['cross_silo_share'])} of ties cross a group boundary")
    if nodes is not None:
        st.plotly_chart(charts.group_network(nodes, graph["edges"], set(silos[f.by].to_list()), title),
                        width="stretch", key="graph")
        shown = "" if nodes.height == graph["groups"] else (
            f" The {nodes.height} groups with the most ties are drawn, of {count(graph['groups'])}.")
        st.caption(HELP["graph"] + shown)

    left, right = st.columns(2)
    with left:
        st.subheader("E-I index by group", help=HELP["ei"])
        ranked = groups.filter(pl.col("ei_index").is_not_null()).sort("ei_index", f.by)
        closed = ranked.row(0, named=True)
        st.plotly_chart(
            charts.ei_bars(ranked.head(MAX_DRAWN), f.by, threshold,
                           f"{charts.safe(closed[f.by])} is the most closed group (E-I {closed['ei_index']:+.2f})"),
            width="stretch", key="ei",
        )
        if ranked.height > MAX_DRAWN:
            st.caption(md(f"The {MAX_DRAWN} most closed of {count(ranked.height)} groups with ties."))
    with right:
        st.subheader("Cross-silo share over time", help=HELP["cross"])
        trend = data.metric("silos", f, per_period=True, silo_threshold=threshold).extra["periods"]
        trend = pl.DataFrame(trend).filter(pl.col("cross_silo_share").is_not_null()) if trend else pl.DataFrame()
        if trend.height < 2:
            st.write("Needs at least two periods with interactions.")
        else:
            a, b = trend.row(0, named=True), trend.row(-1, named=True)
            verb = "rose" if b["cross_silo_share"] > a["cross_silo_share"] else "fell"
            st.plotly_chart(
                charts.org_trend(trend, "cross_silo_share",
                                 f"Cross-silo share {verb} from {pct(a['cross_silo_share'])} to "
                                 f"{pct(b['cross_silo_share'])}", "Cross-silo share"),
                width="stretch", key="cross",
            )

    st.subheader("Informal communities against the organisation chart", help=HELP["communities"])
    comm = data.metric("communities", f)
    if comm.rows.is_empty():
        st.write("No community to show.")
    else:
        nmi = comm.extra.get("nmi")
        st.caption(md(f"{count(comm.extra.get('communities'))} communities over the whole history, whatever "
                      f"the period range; normalised mutual information with {f.by}: "
                      f"{'–' if nmi is None else f'{nmi:.2f}'}."))
        table = comm.rows.with_columns(pl.col("share").round(3))
        st.dataframe(table, hide_index=True, width="stretch")
