"""Network: silos and bridges between groups."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import charts, data, tables, titles
from dashboard.filters import Filters
from dashboard.format import count, headers, md, pct, plural
from metrics import headlines
from metrics.figures import span
from metrics.graph import DRAWN_GROUPS, neighbourhood
from metrics.groups import MetricError
from ruche.i18n import N_, _, number, period_label as label, term, terms
from dashboard.words import MEANINGS, group_words

HELP = {
    "graph": N_("One node per group (size: people), one edge per pair of groups that interact (width: "
    "ties: replies, mentions and reactions between their members, either way). Red: silos, groups "
    "whose E-I index is below the threshold. Groups under the minimum size are folded together or "
    "left out."),
    "ei": MEANINGS["E-I index"],
    "cross": MEANINGS["cross-silo share"],
    "cross_group": N_("Share of the ties of the group's members that link them to someone outside the group: "
    "E / (E + I) of its E-I index."),
    "modularity": MEANINGS["modularity"],
    "communities": N_("Communities found in the interaction graph of the whole history (Louvain, seeded), "
    "whatever the period range, against the formal groups. Normalised mutual information: 1 when "
    "communities are exactly the groups, 0 when unrelated."),
}


#: Groups drawn at most in the group graph and the E-I bars (by team there are thousands: a
#: layout of them takes minutes and no one can read it).
MAX_DRAWN = DRAWN_GROUPS


def signed(x: float | None, digits: int = 2) -> str:
    """An E-I index with its sign: '+0.25', '-1.0'.

    >>> signed(0.254), signed(-1, 1), signed(None)
    ('+0.25', '-1.0', '–')
    """
    return "–" if x is None else ("-" if x < 0 else "+") + number(abs(x), digits)


def person_graph_age(extra: dict) -> str:
    """How recent the person-graph results read from the store are, for a caption: " (communities
    computed on DATE from data up to DATE)", with a note when the data has gone on since."""
    computed, data_to = extra.get("computed_at"), extra.get("data_to")
    if not computed:
        return _(" (computed on the person graph as it is)")
    said = _(" (computed on {day} from data up to {last}").format(day=computed[:10], last=data_to or "–")
    if not extra.get("current", True):
        said += _("; later loads are not in them yet: they are computed again once the graph has changed enough")
    return said + ")"


def render(f: Filters) -> None:
    st.title(_("Network"))
    silo = data.silo_settings()
    threshold = silo["silo_threshold"]
    fig = data.figure("silos", f, **silo, graph_top=MAX_DRAWN)
    groups, org = fig.result.rows, fig.extra
    if groups.is_empty() or org.get("ties") in (None, 0):
        st.info(_("No interactions between people in this range yet (replies, mentions, reactions)."))
        return
    silos = groups.filter(pl.col("is_silo").fill_null(False))
    with_ties = groups.filter(pl.col("ei_index").is_not_null())
    partial = f.partial_labels
    one, kind = group_words(f.by)

    if f.group is None:
        c1, c2, c3 = st.columns(3)
        c1.metric(_("Cross-silo share"), pct(org["cross_silo_share"]), help=_(HELP["cross"]))
        c2.metric(_("Organisation E-I index"), signed(org["ei_index"]), help=_(HELP["ei"]))
        c3.metric(_("Modularity"), number(org["modularity"], 2), help=_(HELP["modularity"]))
        st.caption(md(_("Over the range, between the {n} {kind} shown ({ties} ties; the ties of smaller {kind} count "
                        "too).").format(n=count(groups.height), kind=kind, ties=count(org["ties"]))))
    else:
        if fig.hidden:
            st.info(md(_("{by} {group} is under the minimum size of {k} people over this range.").format(
                by=term(f.by), group=f.group, k=f.min_group_size)))
            return
        g = fig.rows.row(0, named=True)
        c1, c2, c3 = st.columns(3)
        c1.metric(_("Cross-silo share"), pct(g["cross_silo_share"]), help=_(HELP["cross_group"]))
        c2.metric(_("E-I index"), signed(g["ei_index"]), help=_(HELP["ei"]))
        c3.metric(_("Modularity (whole organisation)"), number(org["modularity"], 2), help=_(HELP["modularity"]))
        st.caption(md(_("{by} {group} over the range: {inside} ties inside, {outside} with other {kind}").format(
                          by=term(f.by).capitalize(), group=f.group, inside=count(g["internal_ties"]),
                          outside=count(g["external_ties"]), kind=kind)
                      + ("." if g["ei_index"] is not None else
                         _(": too few for its {n} people to tell whether it is open or a silo (disconnected).").format(
                             n=count(g["headcount"])))
                      + _(" Modularity describes the whole partition into {kind}, not one group: it is the "
                          "organisation's.").format(kind=kind)))
    st.caption(md(_("Covers: {covers}.").format(covers=fig.covers)))

    title = ((_("{silos} of {groups} with enough ties to tell is a silo") if silos.height == 1 else
              _("{silos} of {groups} with enough ties to tell are silos")).format(
                  silos=count(silos.height), groups=plural(with_ties.height, one, kind))
             + _(" (E-I below {threshold}); {share} of ties cross a {by} boundary").format(
                 threshold=signed(threshold, 1), share=pct(org["cross_silo_share"]), by=term(f.by)))
    if f.group is None:
        graph = org["graph"]
        nodes, edges = graph["nodes"], graph["edges"]
        shown = "" if nodes.height == graph["groups"] else (
            _(" The {n} nodes with the most ties are drawn, of {total}: the {shown} {kind} shown").format(
                n=nodes.height, total=count(graph["groups"]), shown=count(groups.height), kind=kind)
            + (_(" and {n} node folding the smaller ones.").format(n=graph["groups"] - groups.height)
               if graph["groups"] > groups.height else "."))
    else:
        # the chosen group and the groups it has ties with (the same nodes as the whole graph's):
        # cut from the whole graph when it is drawn whole, else asked for
        graph = org["graph"]
        if graph["nodes"].height >= graph["groups"]:
            nodes, edges = neighbourhood(graph["nodes"], graph["edges"], f.group, MAX_DRAWN)
            total = graph["groups"]
        else:
            around = data.figure("group-graph", f, top=MAX_DRAWN)
            nodes = around.frame("nodes", of_group=False).rename({f.by: "group"})
            edges = around.rows
            total = around.extra["groups"]
        title += _(" (every {by});<br>drawn: {group} and the {kind} it has ties with").format(
            by=term(f.by), group=charts.safe(f.group), kind=kind)
        shown = (_(" {group} and the {n} nodes it has ties with").format(group=f.group, n=max(nodes.height - 1, 0))
                 + (_(" (the {n} with the most ties to it)").format(n=MAX_DRAWN - 1) if nodes.height >= MAX_DRAWN else "")
                 + _(", of the {n} of the organisation's graph.").format(n=count(total)))
    if nodes.height:
        charts.draw(charts.group_network(nodes, edges, set(silos[f.by].to_list()), title), key="graph")
        st.caption(md(_(HELP["graph"]) + shown))

    left, right = st.columns(2)
    with left:
        st.subheader(_("E-I index by group"), help=_(HELP["ei"]))
        ranked = with_ties.sort("ei_index", f.by)
        if ranked.is_empty():
            st.write(md(_("No {by} has enough ties to tell its E-I index in this range.").format(by=term(f.by))))
        else:
            drawn = ranked.head(MAX_DRAWN)
            mine = fig.rows.filter(pl.col("ei_index").is_not_null()) if f.group is not None else ranked.clear()
            if mine.height and f.group not in drawn[f.by].to_list():
                drawn = pl.concat([drawn.head(MAX_DRAWN - 1), mine])
            charts.draw(
                charts.ei_bars(drawn, f.by, threshold,
                               titles.most_closed(ranked, f.by, (one, kind), threshold)
                               + (_(";<br>every {by}, {group} among them").format(by=one, group=charts.safe(f.group))
                                  if mine.height else ""),
                               highlight=f.group),
                key="ei",
            )
            without = groups.height - with_ties.height
            st.caption(md((_("The {drawn} most closed of {n} {kind} with enough ties to tell").format(
                               drawn=drawn.height, n=count(with_ties.height), kind=kind) if ranked.height > drawn.height
                           else _("All {n} {kind} with enough ties to tell").format(n=count(with_ties.height), kind=kind))
                          + (_(" ({n} {kind} shown have too few: disconnected).").format(n=without, kind=kind)
                             if without else ".")
                          + ("" if f.group is None else _(" {group} is outlined.").format(group=f.group) if mine.height
                             else _(" {group} is disconnected: it has no bar.").format(group=f.group))))
    with right:
        st.subheader(_("Cross-silo share over time"), help=_(HELP["cross"] if f.group is None else HELP["cross_group"]))
        trend = headlines.cross_silo_frame(data.source(), data.query("silos", f), silo)
        ends = span(trend, "cross_silo_share", partial)
        if ends is None:
            st.write(_("Needs at least two complete periods with interactions."))
        else:
            a, b = ends
            verb = titles.change(a["cross_silo_share"], b["cross_silo_share"])
            who = _("Cross-silo share") if f.group is None else _("The share of {group}'s ties leaving it").format(
                group=charts.safe(f.group))
            charts.draw(
                charts.mark_partial(charts.org_trend(
                    trend.filter(pl.col("cross_silo_share").is_not_null()), "cross_silo_share",
                    {"rose": _("{who} rose<br>from {a} in {first} to {b} in {last}"),
                     "fell": _("{who} fell<br>from {a} in {first} to {b} in {last}"),
                     "held": _("{who} held<br>from {a} in {first} to {b} in {last}")}[verb].format(
                        who=who, a=pct(a["cross_silo_share"]), first=label(a["period"]), b=pct(b["cross_silo_share"]),
                        last=label(b["period"])), _("Cross-silo share")), partial),
                key="cross",
            )

    st.subheader(_("Informal communities against the organisation chart"),
                 help=" ".join((_(MEANINGS["informal community"]), _("Over the whole history, whatever the period range."),
                                _("Normalised mutual information:"), _(MEANINGS["normalised mutual information"]))))
    try:
        comm = data.figure("network-communities", f)
    except MetricError as exc:  # the person graph refused, more memory than memory_limit gives: said as such
        st.info(_("Not computed: {why}").format(why=exc))
        return
    if comm.rows.is_empty():
        st.write(_("No community to show.") if f.group is None else
                 md(_("No community to show for {by} {group}: its people are pooled with the small groups' "
                      "or have no tie.").format(by=term(f.by), group=f.group)))
    else:
        nmi = comm.extra.get("nmi")
        st.caption(md(_("{n} communities over the whole history and the whole organisation, whatever the period "
                        "range{age}; normalised mutual information with {by}: {nmi}.").format(
                          n=count(comm.extra.get("communities")), age=person_graph_age(comm.extra), by=term(f.by),
                          nmi=number(nmi, 2))
                      + ("" if f.group is None else _(" The communities holding people of {group}, and how many.").format(
                          group=f.group))))
        # each person in the group held on the graph's day, or today's: the covers line says which
        st.caption(md(_("Covers: {covers}.").format(covers=comm.covers)))
        # the community's size once, in its name, rather than repeated on each of its rows
        table = comm.rows.with_columns(pl.format(_("community {} ({} people)"), "community", "community_size")
                                       .alias("community")).drop("community_size")
        tables.show(table, key="communities_table", column_config={
            "people": st.column_config.NumberColumn(_("people of the {by}").format(by=term(f.by)), format="localized"),
            "share": st.column_config.NumberColumn(_("share of the community"), format="percent")})
