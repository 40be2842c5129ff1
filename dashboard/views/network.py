"""Network: silos and bridges between groups."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, data, tables, titles
from dashboard.filters import Filters
from dashboard.format import count, md, pct, plural
from metrics import headlines
from metrics.figures import span
from metrics.graph import DRAWN_GROUPS
from dashboard.words import MEANINGS, group_words

HELP = {
    "graph": "One node per group (size: people), one edge per pair of groups that interact (width: "
    "ties: replies, mentions and reactions between their members, either way). Red: silos, groups "
    "whose E-I index is below the threshold. Groups under the minimum size are folded together or "
    "left out.",
    "ei": MEANINGS["E-I index"],
    "cross": MEANINGS["cross-silo share"],
    "cross_group": "Share of the ties of the group's members that link them to someone outside the group: "
    "E / (E + I) of its E-I index.",
    "modularity": MEANINGS["modularity"],
    "communities": MEANINGS["informal community"] + " Over the whole history, whatever the period range. "
    "Normalised mutual information: " + MEANINGS["normalised mutual information"],
}


#: Groups drawn at most in the group graph and the E-I bars (by team there are thousands: a
#: layout of them takes minutes and no one can read it).
MAX_DRAWN = DRAWN_GROUPS


def person_graph_age(extra: dict) -> str:
    """How recent the person-graph results read from the store are, for a caption: " (communities
    computed on DATE from data up to DATE)", with a note when the data has gone on since."""
    computed, data_to = extra.get("computed_at"), extra.get("data_to")
    if not computed:
        return " (computed on the person graph as it is)"
    said = f" (computed on {computed[:10]} from data up to {data_to or '–'}"
    if not extra.get("current", True):
        said += "; later loads are not in them yet: they are computed again once the graph has changed enough"
    return said + ")"


def render(f: Filters) -> None:
    st.title("Network")
    silo = data.silo_settings()
    threshold = silo["silo_threshold"]
    fig = data.figure("silos", f, **silo, graph_top=MAX_DRAWN)
    groups, org = fig.result.rows, fig.extra
    if groups.is_empty() or org.get("ties") in (None, 0):
        st.info("No interactions between people in this range yet (replies, mentions, reactions).")
        return
    silos = groups.filter(pl.col("is_silo").fill_null(False))
    with_ties = groups.filter(pl.col("ei_index").is_not_null())
    partial = f.partial_labels
    one, kind = group_words(f.by)

    if f.group is None:
        c1, c2, c3 = st.columns(3)
        c1.metric("Cross-silo share", pct(org["cross_silo_share"]), help=HELP["cross"])
        c2.metric("Organisation E-I index", f"{org['ei_index']:+.2f}", help=HELP["ei"])
        c3.metric("Modularity", f"{org['modularity']:.2f}", help=HELP["modularity"])
        st.caption(md(f"Over the range, between the {count(groups.height)} {kind} shown "
                      f"({count(org['ties'])} ties; the ties of smaller {kind} count too)."))
    else:
        if fig.hidden:
            st.info(md(f"{f.by} {f.group} is under the minimum size of {f.min_group_size} people over this range."))
            return
        g = fig.rows.row(0, named=True)
        c1, c2, c3 = st.columns(3)
        c1.metric("Cross-silo share", pct(g["cross_silo_share"]), help=HELP["cross_group"])
        c2.metric("E-I index", "–" if g["ei_index"] is None else f"{g['ei_index']:+.2f}", help=HELP["ei"])
        c3.metric("Modularity (whole organisation)", f"{org['modularity']:.2f}", help=HELP["modularity"])
        st.caption(md(f"{f.by.capitalize()} {f.group} over the range: {count(g['internal_ties'])} ties inside, "
                      f"{count(g['external_ties'])} with other {kind}"
                      + ("." if g["ei_index"] is not None else
                         f": too few for its {count(g['headcount'])} people to tell whether it is open or a silo "
                         "(disconnected).")
                      + f" Modularity describes the whole partition into {kind}, not one group: it is the "
                      "organisation's."))
    st.caption(md(f"Covers: {fig.covers}."))

    title = (f"{silos.height} of {plural(with_ties.height, one, kind)} with enough ties to tell "
             f"{'is a silo' if silos.height == 1 else 'are silos'} (E-I below {threshold:+.1f}); "
             f"{pct(org['cross_silo_share'])} of ties cross a {f.by} boundary")
    if f.group is None:
        graph = org["graph"]
        nodes, edges = graph["nodes"], graph["edges"]
        shown = "" if nodes.height == graph["groups"] else (
            f" The {nodes.height} nodes with the most ties are drawn, of {count(graph['groups'])}: "
            f"the {count(groups.height)} {kind} shown"
            + (f" and {graph['groups'] - groups.height} node folding the smaller ones."
               if graph["groups"] > groups.height else "."))
    else:
        # the chosen group and the groups it has ties with (the same nodes as the whole graph's)
        around = data.figure("group-graph", f, top=MAX_DRAWN)
        nodes = around.frame("nodes", of_group=False).rename({f.by: "group"})
        edges = around.rows
        title += f" (every {f.by});<br>drawn: {charts.safe(f.group)} and the {kind} it has ties with"
        shown = (f" {f.group} and the {max(nodes.height - 1, 0)} nodes it has ties with"
                 + (f" (the {MAX_DRAWN - 1} with the most ties to it)" if nodes.height >= MAX_DRAWN else "")
                 + f", of the {count(around.extra['groups'])} of the organisation's graph.")
    if nodes.height:
        st.plotly_chart(charts.group_network(nodes, edges, set(silos[f.by].to_list()), title),
                        width="stretch", key="graph")
        st.caption(md(HELP["graph"] + shown))

    left, right = st.columns(2)
    with left:
        st.subheader("E-I index by group", help=HELP["ei"])
        ranked = with_ties.sort("ei_index", f.by)
        if ranked.is_empty():
            st.write(md(f"No {f.by} has enough ties to tell its E-I index in this range."))
        else:
            drawn = ranked.head(MAX_DRAWN)
            mine = fig.rows.filter(pl.col("ei_index").is_not_null()) if f.group is not None else ranked.clear()
            if mine.height and f.group not in drawn[f.by].to_list():
                drawn = pl.concat([drawn.head(MAX_DRAWN - 1), mine])
            st.plotly_chart(
                charts.ei_bars(drawn, f.by, threshold,
                               titles.most_closed(ranked, f.by, (one, kind), threshold)
                               + (f";<br>every {one}, {charts.safe(f.group)} among them" if mine.height else ""),
                               highlight=f.group),
                width="stretch", key="ei",
            )
            without = groups.height - with_ties.height
            st.caption(md((f"The {drawn.height} most closed of " if ranked.height > drawn.height else "All ")
                          + f"{count(with_ties.height)} {kind} with enough ties to tell"
                          + (f" ({without} {kind} shown have too few: disconnected)." if without else ".")
                          + ("" if f.group is None else f" {f.group} is outlined." if mine.height
                             else f" {f.group} is disconnected: it has no bar.")))
    with right:
        st.subheader("Cross-silo share over time", help=HELP["cross"] if f.group is None else HELP["cross_group"])
        trend = headlines.cross_silo_frame(data.source(), data.query("silos", f), silo)
        ends = span(trend, "cross_silo_share", partial)
        if ends is None:
            st.write("Needs at least two complete periods with interactions.")
        else:
            a, b = ends
            verb = titles.change(a["cross_silo_share"], b["cross_silo_share"])
            who = "Cross-silo share" if f.group is None else f"The share of {charts.safe(f.group)}'s ties leaving it"
            st.plotly_chart(
                charts.mark_partial(charts.org_trend(
                    trend.filter(pl.col("cross_silo_share").is_not_null()), "cross_silo_share",
                    f"{who} {verb}<br>from {pct(a['cross_silo_share'])} in {a['period']} to "
                    f"{pct(b['cross_silo_share'])} in {b['period']}", "Cross-silo share"), partial),
                width="stretch", key="cross",
            )

    st.subheader("Informal communities against the organisation chart", help=HELP["communities"])
    comm = data.figure("network-communities", f)
    if comm.rows.is_empty():
        st.write("No community to show." if f.group is None else
                 md(f"No community to show for {f.by} {f.group}: its people are pooled with the small groups' "
                    "or have no tie."))
    else:
        nmi = comm.extra.get("nmi")
        st.caption(md(f"{count(comm.extra.get('communities'))} communities over the whole history and the whole "
                      f"organisation, whatever the period range{person_graph_age(comm.extra)}; "
                      f"normalised mutual information with {f.by}: {'–' if nmi is None else f'{nmi:.2f}'}."
                      + ("" if f.group is None else f" The communities holding people of {f.group}, and how many.")))
        # the community's size once, in its name, rather than repeated on each of its rows
        table = comm.rows.with_columns(pl.format("community {} ({} people)", "community", "community_size")
                                       .alias("community")).drop("community_size")
        tables.show(table, key="communities_table", column_config={
            "people": st.column_config.NumberColumn(f"people of the {f.by}", format="localized"),
            "share": st.column_config.NumberColumn("share of the community", format="percent")})
