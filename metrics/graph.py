"""The interaction graph, between people and between groups, each built by one function.

- :func:`interaction_graph`: one node per person with a tie (attributes ``person_id``, the
  pseudonym, and ``group``), weighted edges; :func:`person_graph` is the same graph as arrays,
  for Louvain (:mod:`metrics.communities`) and betweenness (:mod:`metrics.centrality`), which
  run on it.
- :func:`group_graph`: one node per group (``headcount``, ``internal_ties``), one edge per pair of
  groups (``weight``). Groups under the minimum size are never nodes of their own: see
  :func:`group_graph` for the rule.

The ties come from :mod:`metrics.ties`. The ``group-graph`` metric is here; ``bridges`` is in
:mod:`metrics.centrality`, ``network-communities`` in :mod:`metrics.communities`, ``silos`` in
:mod:`metrics.silos`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import NamedTuple

import duckdb
import networkx as nx
import numpy as np
import polars as pl

from metrics.bases import AS_IT_WAS, TODAY, attribution_of, people_as_of, people_versions
from metrics.groups import EXTERNAL, MetricError
from metrics.measure import MetricParams, MetricResult, register
from metrics.suppression import decide
from metrics.ties import data_days, group_ties_current, network_query, tie_frame, tied_today, window
from ruche.i18n import N_
from ruche.store import memory_budget, memory_bytes  # noqa: F401 (memory_bytes: read from here too)


#: The node standing for the groups under the minimum size, when together they are big enough.
OTHER = "Other (small groups)"

#: What the person graph holds in Python, outside DuckDB, at its peak (the ties' frame, the arrays,
#: Louvain's graph, the betweenness' adjacency and levels), per tie and per person with a tie:
#: measured on the 100,000-people sample (docs/scale.md), rounded up.
GRAPH_BYTES_PER_TIE = 400
GRAPH_BYTES_PER_PERSON = 600

#: Nodes of the group graph the dashboard draws (``top`` of :func:`group_graph_frames`): the most
#: tied. By team there are thousands of groups; no one reads a layout of them.
DRAWN_GROUPS = 40


def graph_as_of(con: duckdb.DuckDBPyConnection, start: date | None, end: date | None,
                attribution: str = AS_IT_WAS) -> date | None:
    """The day whose groups the nodes of the person graph of a window are in, as it was: the
    window's last day (cut to the data); None for today's organisation, or without data. A
    person is one node of one group: the group they held that day."""
    if attribution == TODAY:
        return None
    covered = window(con, start, end)
    return covered[1] if covered else None


def groups_as_of(day: date | None) -> dict:
    """What a figure of the person graph carries about its groups, as it was: ``groups_as_of``, the
    day whose groups its people are in (nothing for today's organisation)."""
    return {} if day is None else {"groups_as_of": day}


def interaction_graph(
    con: duckdb.DuckDBPyConnection,
    by: str = "department",
    start: date | None = None,
    end: date | None = None,
    attribution: str = AS_IT_WAS,
) -> nx.Graph:
    """The undirected, weighted interaction graph of people over a window.

    Nodes are the people with at least one tie (keyed by ``person_key``; attributes
    ``person_id``, their pseudonym, and ``group``, their value of ``by`` on the window's last day
    (:func:`graph_as_of`; with ``attribution`` today, now) or ``External``); the weight of an edge
    is the number of interactions between its ends, either way. The weights are summed in DuckDB;
    the graph is then filled from whole columns.

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute(
    ...     "insert into people (person_key, person_id, department) values "
    ...     "(1, 'a', 'Sales'), (2, 'b', 'Sales'), (3, 'c', 'Legal')")
    >>> _ = con.execute(
    ...     "insert into activities (activity_uid, source, occurred_at, person_key, kind, target_key, run_id) "
    ...     "values (1, 'x', '2026-03-02', 1, 'reply', 2, 1), (2, 'x', '2026-03-03', 2, 'mention', 1, 1), "
    ...     "(3, 'x', '2026-03-04', 3, 'reaction', 1, 1), (4, 'x', '2026-03-04', 3, 'reaction', 3, 1)")
    >>> G = interaction_graph(con)
    >>> sorted(G.edges(data="weight"))
    [(1, 2, 2), (1, 3, 1)]
    >>> G.nodes[3]
    {'person_id': 'c', 'group': 'Legal'}
    """
    nodes, ties = _person_ties(con, by, start, end, attribution)
    G = nx.Graph()
    G.add_nodes_from(
        (k, {"person_id": pid, "group": grp}) for k, pid, grp in nodes.select("person_a", "person_id", "grp").iter_rows()
    )
    G.add_weighted_edges_from(zip(ties["person_a"].to_list(), ties["person_b"].to_list(), ties["weight"].to_list()))
    return G


def _person_ties(
    con: duckdb.DuckDBPyConnection, by: str, start: date | None, end: date | None, attribution: str = AS_IT_WAS,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The people with a tie (sorted by ``person_a``, their key) and the ties (sorted by ends)."""
    people = people_as_of(graph_as_of(con, start, end, attribution), attribution)
    frame = tie_frame(con, "person_ties", by, None, start, end, people=people)
    nodes = frame.filter(pl.col("part") == "node").sort("person_a")
    ties = frame.filter(pl.col("part") == "tie").sort("person_a", "person_b")
    return nodes, ties


class PersonGraph(NamedTuple):
    """The interaction graph as arrays, for the algorithms that cannot afford a networkx graph.

    Node ``i`` is the person ``keys[i]`` (ascending, as the nodes of :func:`interaction_graph`),
    of group ``groups[i]``; tie ``j`` joins nodes ``a[j] < b[j]`` with weight ``weight[j]``.
    """

    keys: np.ndarray
    groups: list
    a: np.ndarray
    b: np.ndarray
    weight: np.ndarray


def graph_refusal(people: int, ties: int, limit: int, in_use: int) -> str | None:
    """Why a person graph of ``people`` and ``ties`` cannot be built within ``limit`` bytes (the
    setting ``memory_limit``) of which DuckDB holds ``in_use``; None when it fits. The graph's
    memory is estimated at :data:`GRAPH_BYTES_PER_PERSON` and :data:`GRAPH_BYTES_PER_TIE`.

    >>> graph_refusal(1_000_000, 40_000_000, 16 * 1024**3, 2 * 1024**3)
    'the person graph of 1,000,000 people and 40,000,000 ties needs about 16.6 GB of memory beside DuckDB, more than the 15.0 GB memory_limit (17.2 GB) leaves beside the 2.1 GB DuckDB holds: raise memory_limit, or ask for a shorter period (--from, --to)'
    >>> graph_refusal(100_000, 1_000_000, 16 * 1024**3, 2 * 1024**3) is None
    True
    """
    need = people * GRAPH_BYTES_PER_PERSON + ties * GRAPH_BYTES_PER_TIE
    if need <= limit - in_use:
        return None
    return (f"the person graph of {people:,} people and {ties:,} ties needs about {need / 1e9:.1f} GB of memory "
            f"beside DuckDB, more than the {max(limit - in_use, 0) / 1e9:.1f} GB memory_limit ({limit / 1e9:.1f} GB) "
            f"leaves beside the {in_use / 1e9:.1f} GB DuckDB holds: raise memory_limit, or ask for a shorter "
            "period (--from, --to)")


def graph_bytes_expected(con: duckdb.DuckDBPyConnection) -> int:
    """The memory the person graph of the whole history is expected to take beside DuckDB, from
    the pairs of people with a tie the store keeps (``m_person_pairs``, :func:`metrics.ties.store_group_ties`)
    and the people of the directory; 0 when no pairs are stored yet."""
    found = con.execute("select count(*) from information_schema.tables where table_name = 'm_person_pairs'").fetchone()[0]
    if not found:
        return 0
    ties, people = con.execute("select (select count(*) from m_person_pairs), (select count(*) from people)").fetchone()
    return people * GRAPH_BYTES_PER_PERSON + ties * GRAPH_BYTES_PER_TIE


def check_stored_pairs(con: duckdb.DuckDBPyConnection, start: date | None, end: date | None) -> None:
    """Raise :class:`MetricError` before the ties of the person graph of the whole history
    (``start`` and ``end`` None) are read, when the pairs of people with a tie the store keeps
    (``m_person_pairs``: those ties, while the group ties describe the store) would already be
    refused (:func:`check_graph_memory`): the ties handed to Python cost about what the graph
    would (a million people over 24 months: 39,263,814 ties took the process past ``memory_limit``
    before the graph was refused, docs/scale.md). A window's graph is weighed on its own ties."""
    if start is not None or end is not None or not group_ties_current(con):
        return
    found = con.execute("select count(*) from information_schema.tables where table_name = 'm_person_pairs'").fetchone()[0]
    if not found:
        return
    ties = con.execute("select count(*) from m_person_pairs").fetchone()[0]
    in_use = con.execute("select coalesce(sum(memory_usage_bytes), 0) from duckdb_memory()").fetchone()[0]
    if graph_refusal(0, ties, memory_budget(con), int(in_use)) is None:
        return  # the people's share is weighed with the ties read
    people = con.execute("select count(*) from (select person_a from m_person_pairs union "
                         "select person_b from m_person_pairs)").fetchone()[0]
    check_graph_memory(con, people, ties)


def check_graph_memory(con: duckdb.DuckDBPyConnection, people: int, ties: int) -> None:
    """Raise :class:`MetricError` when :func:`graph_refusal` refuses the graph under the store's
    ``memory_limit`` and what DuckDB holds now."""
    in_use = con.execute("select coalesce(sum(memory_usage_bytes), 0) from duckdb_memory()").fetchone()[0]
    refusal = graph_refusal(people, ties, memory_budget(con), int(in_use))
    if refusal:
        raise MetricError(refusal)


def person_graph(
    con: duckdb.DuckDBPyConnection,
    by: str = "department",
    start: date | None = None,
    end: date | None = None,
    attribution: str = AS_IT_WAS,
) -> PersonGraph:
    """The same graph as :func:`interaction_graph`, as arrays (:class:`PersonGraph`): built from
    the same columns in a second where the networkx graph takes several on a million ties.

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute(
    ...     "insert into people (person_key, person_id, department) values "
    ...     "(1, 'a', 'Sales'), (2, 'b', 'Sales'), (3, 'c', 'Legal')")
    >>> _ = con.execute(
    ...     "insert into activities (activity_uid, source, occurred_at, person_key, kind, target_key, run_id) "
    ...     "values (1, 'x', '2026-03-02', 1, 'reply', 3, 1), (2, 'x', '2026-03-03', 3, 'mention', 1, 1), "
    ...     "(3, 'x', '2026-03-04', 2, 'reaction', 3, 1)")
    >>> P = person_graph(con)
    >>> P.keys.tolist(), P.groups, P.a.tolist(), P.b.tolist(), P.weight.tolist()
    ([1, 2, 3], ['Sales', 'Sales', 'Legal'], [0, 1], [2, 2], [2.0, 1.0])
    """
    check_stored_pairs(con, start, end)
    nodes, ties = _person_ties(con, by, start, end, attribution)
    check_graph_memory(con, len(nodes), len(ties))
    keys = nodes["person_a"].to_numpy().astype(np.int64)
    return PersonGraph(
        keys=keys,
        groups=nodes["grp"].to_list(),
        a=np.searchsorted(keys, ties["person_a"].to_numpy()),
        b=np.searchsorted(keys, ties["person_b"].to_numpy()),
        weight=ties["weight"].to_numpy().astype(np.float64),
    )


def partition_modularity(G: nx.Graph, labels: dict) -> float | None:
    """Newman's modularity (weighted, resolution 1) of the partition of ``G`` given as a label per node.

    The same number as networkx's ``modularity`` (the tests check it), computed from the sum of
    internal weights and of degrees per label: one pass over the edges, no set operations.
    ``None`` for a graph without ties.

    >>> G = nx.Graph([(1, 2, {"weight": 3}), (2, 3, {"weight": 1}), (3, 4, {"weight": 2})])
    >>> labels = {1: "a", 2: "a", 3: "b", 4: "b"}
    >>> round(partition_modularity(G, labels), 12) == round(nx.community.modularity(G, [{1, 2}, {3, 4}]), 12)
    True
    """
    m = G.size(weight="weight")
    if not m:
        return None
    internal: dict = {}
    degree: dict = {}
    for u, v, w in G.edges(data="weight", default=1):
        lu, lv = labels[u], labels[v]
        degree[lu] = degree.get(lu, 0) + w
        degree[lv] = degree.get(lv, 0) + w
        if lu == lv:
            internal[lu] = internal.get(lu, 0) + w
    return sum(internal.get(c, 0) / m - (d / (2 * m)) ** 2 for c, d in degree.items())


# --------------------------------------------------------------------------------------------
# The group graph


#: The measures that read the stored group ties (:func:`stored_ties`) where they answer.
TIES_MEASURES = frozenset({"silos", "group-graph"})


def stored_ties(con: duckdb.DuckDBPyConnection, attribution: str, by: str | None = None) -> bool:
    """Whether the stored group ties answer ``attribution`` by ``by``: they hold the ties as it was
    on each day for every attribute, and today's organisation's for the attributes whose history
    differs from now (:func:`metrics.ties.tied_today`; without ``by``, never today's), and are read
    while they describe the store (:func:`metrics.ties.group_ties_current`)."""
    if attribution == AS_IT_WAS:
        return group_ties_current(con)
    return by is not None and group_ties_current(con) and by in tied_today(con)


def visible_groups(sizes: pl.DataFrame, k: int) -> tuple[set[str], set[str], bool]:
    """Split groups into those shown and those suppressed; say whether the suppressed fold.

    ``sizes`` has columns ``grp`` and ``headcount``. The suppressed groups are those
    :func:`metrics.suppression.decide` leaves out (so that none can be recovered by difference,
    and the same as every other metric over the range leaves out); the internal ones are folded
    into one node :data:`OTHER` only when together they hold at least ``k`` people, and dropped
    otherwise. ``External`` under ``k`` is dropped, never folded.

    >>> f = pl.DataFrame({"grp": ["a", "b", "c", "d"], "headcount": [2, 3, 9, 40]})
    >>> shown, hidden, fold = visible_groups(f, 5)
    >>> sorted(shown), sorted(hidden), fold
    (['c', 'd'], ['a', 'b'], True)
    >>> shown, hidden, fold = visible_groups(f, 3)   # 'a' alone would be 2 people: 'b' goes with it
    >>> sorted(hidden), fold
    (['a', 'b'], True)
    >>> visible_groups(pl.DataFrame({"grp": ["a"], "headcount": [2]}), 5)
    (set(), {'a'}, False)
    >>> shown, hidden, fold = visible_groups(pl.DataFrame({"grp": ["a", "b", "c"], "headcount": [0, 6, 8]}), 2)
    >>> sorted(shown), hidden, fold   # 'a', held by no one employed: hides no other group
    (['b', 'c'], {'a'}, False)
    """
    # decided on the groups someone held while employed in the window, as every other metric's: a
    # group only the ties of people who had left (or not yet come) reach is never shown, and its
    # being hidden hides no other group with it (tests/test_suppression_across_metrics.py)
    shown, _, _ = decide(sizes.filter(pl.col("headcount") > 0), "grp", "headcount", k)
    shown_set = set(shown["grp"].to_list())
    hidden = set(sizes["grp"].to_list()) - shown_set
    # External too small to show is no part of the fold: its people are in no internal total
    folded = hidden - {EXTERNAL}
    hidden_people = sizes.filter(pl.col("grp").is_in(list(folded)))["headcount"].sum() if folded else 0
    return shown_set, hidden, bool(folded) and hidden_people >= k


def group_graph(
    con: duckdb.DuckDBPyConnection,
    by: str = "department",
    start: date | None = None,
    end: date | None = None,
    min_group_size: int = 5,
    around: str | None = None,
    attribution: str = AS_IT_WAS,
) -> tuple[nx.Graph, int]:
    """The group graph: a node per group, an edge per pair of groups that interact (``around``:
    one group's neighbourhood, see :func:`group_graph_frames`).

    A node carries ``headcount`` (the people of the group over the window: its headcount, or
    for ``External`` the external people active in it) and ``internal_ties`` (the weight of ties
    inside it); an edge carries ``weight``, the weight of ties between its two groups. Tie
    weights are summed in DuckDB, pair of groups by pair of groups, each tie in the groups both its
    ends held on its day (``attribution`` as it was, the default) or hold now (today).

    Privacy (METRICS.md): groups under ``min_group_size`` people, and as many more of the smallest
    as needed for none to be recoverable by difference, are suppressed. Together they become one
    node :data:`OTHER` when they hold at least ``min_group_size`` people, with their ties summed;
    otherwise they and their ties are left out. Returns the graph and the number of groups
    suppressed.

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute(
    ...     "insert into people (person_key, person_id, department) select i, 'p' || i, case "
    ...     "when i <= 5 then 'Sales' when i <= 10 then 'Legal' when i <= 12 then 'Tax' else 'Audit' end "
    ...     "from range(1, 16) t(i)")
    >>> _ = con.execute(
    ...     "insert into activities (activity_uid, source, occurred_at, person_key, kind, target_key, run_id) "
    ...     "values (1, 'x', '2026-03-02', 1, 'reply', 2, 1), (2, 'x', '2026-03-03', 1, 'mention', 6, 1), "
    ...     "(3, 'x', '2026-03-04', 6, 'reaction', 11, 1), (4, 'x', '2026-03-04', 13, 'mention', 12, 1)")
    >>> G, left_out = group_graph(con, min_group_size=5)
    >>> sorted(G.nodes(data="headcount")), sorted(G.nodes(data="internal_ties"))
    ([('Legal', 5), ('Other (small groups)', 5), ('Sales', 5)], [('Legal', 0), ('Other (small groups)', 1), ('Sales', 1)])
    >>> sorted(tuple(sorted(e)) + (w,) for *e, w in G.edges(data="weight")), left_out
    ([('Legal', 'Other (small groups)', 1), ('Legal', 'Sales', 1)], 2)

    Tax (2 people) and Audit (3) are suppressed; together they hold 5 people, so they are shown as
    one node, with the tie between them as its internal tie.
    """
    nodes, edges, left_out, _ = group_graph_frames(con, by, start, end, min_group_size, around=around,
                                                   attribution=attribution)
    G = nx.Graph()
    G.add_nodes_from((n, {"headcount": h, "internal_ties": i}) for n, h, i in nodes.iter_rows())
    G.add_weighted_edges_from(zip(edges["group_a"].to_list(), edges["group_b"].to_list(), edges["weight"].to_list()))
    return G, left_out


def group_totals(con: duckdb.DuckDBPyConnection, by: str = "department", start: date | None = None,
                 end: date | None = None, stored: bool | None = None, attribution: str = AS_IT_WAS) -> pl.DataFrame:
    """Every group of ``by`` over the window as ``silos.sql`` counts it: ``grp``, ``headcount``
    (the people employed in the range, or for ``External`` the outsiders active in it),
    ``internal_ties``, ``external_ties``. What the group graph and the communities decide which
    groups to show from (:func:`metrics.suppression.decide`), as the silos do.

    ``stored``: whether the stored group ties answer (:func:`stored_ties`; read when None).
    """
    if stored is None:
        stored = stored_ties(con, attribution, by)
    whole = window(con, start, end) if stored else None
    query = network_query("silos", by, None, stored_ties=stored, whole=whole, people=people_versions(attribution),
                          days=data_days(con))
    return con.execute(query, {"from_date": start, "to_date": end}).pl()


def group_graph_frames(
    con: duckdb.DuckDBPyConnection,
    by: str = "department",
    start: date | None = None,
    end: date | None = None,
    min_group_size: int = 5,
    top: int | None = None,
    per_group: pl.DataFrame | None = None,
    stored: bool | None = None,
    around: str | None = None,
    attribution: str = AS_IT_WAS,
) -> tuple[pl.DataFrame, pl.DataFrame, int, int]:
    """The group graph of :func:`group_graph` as tidy frames: nodes (``group``, ``headcount``,
    ``internal_ties``) and edges (``group_a`` < ``group_b``, ``weight``), sorted by name, the
    number of groups suppressed and the number of nodes of the whole graph. The metric reads
    these; :func:`group_graph` makes them a graph.

    With ``top``, only the ``top`` nodes with the most ties, and the edges between them. A node's
    ties are its members' ties inside it and with anyone outside it (a group left out included);
    ties are broken by name. The pairs of groups are then summed for those nodes only: by team,
    a year holds about 800,000 pairs, where 40 teams hold a few hundred.

    ``per_group``: the groups' ``grp``, ``headcount``, ``internal_ties`` and ``external_ties`` over
    the window, as ``silos.sql`` gives them, when the caller has them (:mod:`metrics.silos`), and
    ``stored``: whether it found the stored group ties answer (:func:`stored_ties`); ``attribution``:
    the groups each tie counts in (:data:`metrics.bases.ATTRIBUTIONS`).

    ``around``: one group's neighbourhood only: the group and the nodes it has ties with (the
    ``Other`` node among them when small groups fold), with the edges between them; with ``top``,
    the group and its ``top - 1`` neighbours with the most ties to it (ties broken by name). The
    same nodes as the whole graph, the groups hidden alike: a hidden ``around`` has no
    neighbourhood (empty frames).
    """
    if stored is None:
        stored = stored_ties(con, attribution, by)
    params = {"from_date": start, "to_date": end}
    people = people_versions(attribution)
    if per_group is None:
        per_group = group_totals(con, by, start, end, stored, attribution)
    per_group = per_group.select("grp", pl.col("headcount", "internal_ties", "external_ties").cast(pl.Int64))
    shown, hidden, fold = visible_groups(per_group.select("grp", "headcount"), min_group_size)
    nodes_count = len(shown) + fold
    shown_names = pl.Series(sorted(shown), dtype=pl.Utf8)
    candidates = None
    if around is not None:
        return _neighbourhood(con, by, around, params, per_group, shown, hidden, fold, top, stored,
                              len(hidden), nodes_count, people)
    if top is not None and nodes_count > top:
        candidates = (
            per_group.filter(pl.col("grp").is_in(shown_names.implode()))
            .sort(pl.col("internal_ties") + pl.col("external_ties"), "grp", descending=[True, False])
            .head(top)["grp"].to_list()
        )
        params["keep"] = candidates + (sorted(hidden - {EXTERNAL}) if fold else [])
    query = network_query("group_pairs", by, None, stored_ties=stored, keep=candidates is not None, people=people,
                          days=data_days(con))
    ties = _node_ties(con.execute(query, params).pl(), shown, fold)
    nodes = _nodes(per_group, ties, shown, fold)
    if candidates is not None:
        # A node's ties: its groups' ties, less those between two of its groups (counted at both
        # ends), which are its internal ties less its groups' own.
        nodes = (
            nodes.filter(pl.col("group").is_in(candidates + [OTHER]))
            .with_columns((pl.col("all_ties") - (pl.col("internal_ties") - pl.col("own"))).alias("ties"))
            .sort("ties", "group", descending=[True, False])
            .head(top)
            .drop("ties")
        )
    nodes = nodes.drop("own", "all_ties").sort("group")
    return nodes, _edges(ties, nodes["group"].to_list()), len(hidden), nodes_count


def _node(column: str, shown: set[str], fold: bool) -> pl.Expr:
    """The node a group of ``column`` is drawn as: itself when shown, :data:`OTHER` when it folds,
    else none (External under k, or small groups too few to fold)."""
    other = pl.lit(OTHER) if fold else pl.lit(None, pl.Utf8)
    names = pl.Series(sorted(shown), dtype=pl.Utf8).implode()
    return (pl.when(pl.col(column).is_in(names)).then(pl.col(column))
            .when(pl.col(column) == EXTERNAL).then(pl.lit(None, pl.Utf8)).otherwise(other))


def _node_ties(pairs: pl.DataFrame, shown: set[str], fold: bool) -> pl.DataFrame:
    """The pairs of groups (``grp_a``, ``grp_b``, ``weight``) as pairs of nodes ``u``, ``v``."""
    return (pairs.with_columns(_node("grp_a", shown, fold).alias("u"), _node("grp_b", shown, fold).alias("v"))
            .drop_nulls(["u", "v"]))


def _nodes(per_group: pl.DataFrame, ties: pl.DataFrame, shown: set[str], fold: bool) -> pl.DataFrame:
    internal = (
        ties.filter(pl.col("u") == pl.col("v")).group_by(pl.col("u").alias("group"))
        .agg(pl.col("weight").sum().cast(pl.Int64).alias("internal_ties"))
    )
    members = per_group.with_columns(_node("grp", shown, fold).alias("group")).drop_nulls("group")
    return (
        members.group_by("group")
        .agg(pl.col("headcount").sum(), pl.col("internal_ties").sum().alias("own"),
             (pl.col("internal_ties") + pl.col("external_ties")).sum().alias("all_ties"))
        .join(internal, on="group", how="left")
        .with_columns(pl.col("internal_ties").fill_null(0))
    )


def _edges(ties: pl.DataFrame, drawn: list[str]) -> pl.DataFrame:
    return (
        ties.filter((pl.col("u") != pl.col("v")) & pl.col("u").is_in(drawn) & pl.col("v").is_in(drawn))
        .group_by(pl.min_horizontal("u", "v").alias("group_a"), pl.max_horizontal("u", "v").alias("group_b"))
        .agg(pl.col("weight").sum().cast(pl.Int64))
        .sort("group_a", "group_b")
    )


def _neighbourhood(con: duckdb.DuckDBPyConnection, by: str, around: str, params: dict, per_group: pl.DataFrame,
                   shown: set[str], hidden: set[str], fold: bool, top: int | None, stored: bool, left_out: int,
                   nodes_count: int, people: str) -> tuple[pl.DataFrame, pl.DataFrame, int, int]:
    """:func:`group_graph_frames` around one group: two reads of the pairs, those touching the
    group (its neighbours), then those between the group and its neighbours."""
    empty = (pl.DataFrame(schema={"group": pl.Utf8, "headcount": pl.Int64, "internal_ties": pl.Int64}),
             pl.DataFrame(schema={"group_a": pl.Utf8, "group_b": pl.Utf8, "weight": pl.Int64}))
    if around not in shown:
        return (*empty, left_out, nodes_count)
    days = data_days(con)
    touching = network_query("group_pairs", by, None, stored_ties=stored, keep="either", people=people, days=days)
    ties = _node_ties(con.execute(touching, {**params, "keep": [around]}).pl(), shown, fold)
    mine = ties.filter(((pl.col("u") == around) | (pl.col("v") == around)) & (pl.col("u") != pl.col("v")))
    neighbours = (
        mine.select(pl.when(pl.col("u") == around).then(pl.col("v")).otherwise(pl.col("u")).alias("group"), "weight")
        .group_by("group").agg(pl.col("weight").sum())
        .sort("weight", "group", descending=[True, False])
    )
    if top is not None:
        neighbours = neighbours.head(max(top - 1, 0))
    drawn = [around] + neighbours["group"].to_list()
    # the Other node stands for every folded group: the ties between them are its own
    keep = [g for g in drawn if g != OTHER] + (sorted(hidden - {EXTERNAL}) if OTHER in drawn else [])
    between = network_query("group_pairs", by, None, stored_ties=stored, keep=True, people=people, days=days)
    ties = _node_ties(con.execute(between, {**params, "keep": keep}).pl(), shown, fold)
    nodes = (_nodes(per_group, ties, shown, fold).filter(pl.col("group").is_in(drawn))
             .drop("own", "all_ties").sort("group"))
    return nodes, _edges(ties, drawn), left_out, nodes_count


def neighbourhood(nodes: pl.DataFrame, edges: pl.DataFrame, around: str,
                  top: int | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One group's neighbourhood cut from a whole group graph (the ``nodes`` and ``edges`` of
    :func:`group_graph_frames` without ``top``, or with a ``top`` no smaller than its nodes: every
    node and every edge): the group and the nodes it has an edge with (with ``top``, its ``top - 1``
    neighbours with the most ties to it, ties broken by name), and the edges between them. The
    frames :func:`group_graph_frames` gives ``around`` the group over the same window, with no
    query: a node's headcount and internal ties, and the weight of an edge, are the whole graph's.
    A group that is no node (hidden) has no neighbourhood.

    >>> nodes = pl.DataFrame({"group": ["A", "B", "C", "D"], "headcount": [9, 8, 7, 6], "internal_ties": [5, 4, 3, 2]})
    >>> edges = pl.DataFrame({"group_a": ["A", "A", "B"], "group_b": ["B", "C", "C"], "weight": [3, 1, 2]})
    >>> near, between = neighbourhood(nodes, edges, "B")
    >>> near["group"].to_list(), between.rows()
    (['A', 'B', 'C'], [('A', 'B', 3), ('A', 'C', 1), ('B', 'C', 2)])
    >>> neighbourhood(nodes, edges, "B", top=2)[1].rows(), neighbourhood(nodes, edges, "D")[1].height
    ([('A', 'B', 3)], 0)
    """
    if around not in nodes["group"].to_list():
        return nodes.clear(), edges.clear()
    a, b = pl.col("group_a"), pl.col("group_b")
    neighbours = (
        edges.filter(((a == around) | (b == around)) & (a != b))
        .select(pl.when(a == around).then(b).otherwise(a).alias("group"), "weight")
        .sort("weight", "group", descending=[True, False])
    )
    if top is not None:
        neighbours = neighbours.head(max(top - 1, 0))
    drawn = pl.Series([around, *neighbours["group"].to_list()], dtype=pl.Utf8).implode()
    return (nodes.filter(pl.col("group").is_in(drawn)).sort("group"),
            edges.filter(a.is_in(drawn) & b.is_in(drawn)).sort("group_a", "group_b"))


def write_group_graph(con: duckdb.DuckDBPyConnection, params: MetricParams, path: str | Path) -> Path:
    """Write the group graph to ``path`` for Gephi: GraphML (``.graphml``) or GEXF (``.gexf``).

    Same graph as the ``group-graph`` metric (small groups suppressed alike; ``extra["around"]``:
    one group's neighbourhood).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in {".graphml", ".gexf"}:
        raise MetricError(f"{path}: write the group graph as .graphml or .gexf")
    G, _ = group_graph(con, by=params.by, start=params.start, end=params.end,
                       min_group_size=params.min_group_size, around=params.extra.get("around"),
                       attribution=attribution_of(params))
    G.graph["grouped_by"] = params.by
    if suffix == ".graphml":
        nx.write_graphml(G, path)
    else:
        nx.write_gexf(G, path)
    return path


@register("group-graph", N_("the group graph: headcount of each group, tie weight of each pair (--out FILE for Gephi)"))
def group_graph_metric(con: duckdb.DuckDBPyConnection, params: MetricParams) -> MetricResult:
    """The whole graph, or with ``extra["top"]`` its nodes with the most ties, or with
    ``extra["around"]`` one group's neighbourhood (:func:`group_graph_frames`); ``extra["groups"]``
    is the number of nodes of the whole graph."""
    top = params.extra.get("top")
    around = params.extra.get("around")
    attribution = attribution_of(params)
    nodes, edges, left_out, groups = group_graph_frames(
        con, by=params.by, start=params.start, end=params.end, min_group_size=params.min_group_size,
        top=None if top is None else int(top), around=around, attribution=attribution,
    )
    extra: dict = {"nodes": nodes.rename({"group": params.by}).to_dicts(), "groups": groups,
                   "attribution": attribution}
    if around is not None:
        extra["around"] = around
    out = params.extra.get("out")
    if out:
        extra["written"] = str(write_group_graph(con, params, out))
    return MetricResult(rows=edges, suppressed_groups=left_out, extra=extra)


# --------------------------------------------------------------------------------------------
# Person-graph results stored after each load (built by :func:`metrics.refresh.store_person_network`)


def person_network_state(con: duckdb.DuckDBPyConnection) -> str:
    """What the person-level results depend on: the activities (count, last run) and the people."""
    n, run = con.execute("select count(*), coalesce(max(run_id), 0) from activities").fetchone()
    people = con.execute("select count(*), coalesce(max(person_key), 0) from people").fetchone()
    return f"activities={n};run={run};people={people[0]};last_person={people[1]}"


def stored_person_network(con: duckdb.DuckDBPyConnection, seed: int) -> tuple[pl.DataFrame, dict] | None:
    """The materialised person-level results and the facts of ``m_network_state`` when they were
    computed with this seed; else None.

    A load computes them again only when the graph has changed enough
    (:func:`metrics.refresh.network_due`), so they may describe the store as it was a few loads
    ago: ``current`` in the facts says whether they describe it as it is, ``computed_at`` when
    they were computed and ``data_to`` the last day of the activities they were computed from,
    which the figures read from them carry (:func:`network_age`)."""
    exists = con.execute(
        "select count(*) from information_schema.tables where table_name in ('m_person_network', 'm_network_state')"
    ).fetchone()[0]
    if exists < 2:
        return None
    state = dict(con.execute("select key, value from m_network_state").fetchall())
    if state.get("seed") != str(seed):
        return None
    state["current"] = state.get("state") == person_network_state(con)
    frame = con.execute("select person_key, community, betweenness from m_person_network").pl()
    return frame, state


def network_age(state: dict) -> dict:
    """What a figure read from the stored person-graph results says of their age: ``computed_at``
    (UTC, ISO 8601), ``data_to`` (the last day of the activities they were computed from) and
    ``current`` (whether they describe the store as it is)."""
    return {"computed_at": state.get("computed_at") or None, "data_to": state.get("data_to") or None,
            "current": bool(state.get("current"))}
