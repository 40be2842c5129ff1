"""Informal communities: Louvain on the person graph, against the formal groups.

Louvain runs on the arrays of :func:`metrics.graph.person_graph` (:func:`louvain_partition`,
seeded); the ``network-communities`` metric compares its partition with a group attribute (normalised
mutual information, sizes, group mix), reading the partition stored after each load
(:func:`metrics.graph.stored_person_network`) when it describes the store.
"""

from __future__ import annotations

import math
from datetime import date

import duckdb
import networkx as nx
import numpy as np
import polars as pl

from metrics.bases import AS_IT_WAS, attribution_of, people_as_of
from metrics.graph import OTHER, graph_as_of, group_totals, groups_as_of, network_age, person_graph, stored_person_network
from metrics.groups import suppress_small_groups
from metrics.measure import MetricParams, MetricResult, register
from metrics.suppression import decide
from metrics.ties import tie_frame
from ruche.i18n import N_


def normalised_mutual_information(left: list, right: list) -> float:
    """Normalised mutual information of two labellings of the same items (arithmetic mean).

    NMI = 2 I(X; Y) / (H(X) + H(Y)); 1.0 when both labellings are a single class.

    >>> normalised_mutual_information([1, 1, 2, 2], ["a", "a", "b", "b"])
    1.0
    >>> normalised_mutual_information([1, 1, 2, 2], ["a", "b", "a", "b"])
    0.0
    """
    if len(left) != len(right):
        raise ValueError("two labellings of the same items are needed")
    n = len(left)
    if n == 0:
        return float("nan")
    frame = pl.DataFrame({"x": [str(v) for v in left], "y": [str(v) for v in right]})
    # the sums below run in the order of the items' first appearance, not of a hash table's
    # threads: the same labellings give the same figure to the last bit, run after run
    joint = frame.group_by("x", "y", maintain_order=True).len()
    px = frame.group_by("x", maintain_order=True).len().rename({"len": "nx"})
    py = frame.group_by("y", maintain_order=True).len().rename({"len": "ny"})

    def entropy(counts) -> float:
        return -sum(c / n * math.log(c / n) for c in counts)

    hx, hy = entropy(px["nx"].to_list()), entropy(py["ny"].to_list())
    if hx + hy == 0:
        return 1.0
    j = joint.join(px, on="x", maintain_order="left").join(py, on="y", maintain_order="left")
    mi = sum(c / n * math.log(n * c / (a * b)) for c, a, b in j.select("len", "nx", "ny").iter_rows())
    return max(0.0, min(1.0, 2 * mi / (hx + hy)))


#: How the materialised communities were found; others are stale (see :func:`materialise`).
LOUVAIN_METHOD = "networkit PLM, one thread, seeded node order"


def louvain_partition(
    n: int, a: np.ndarray, b: np.ndarray, weight: np.ndarray, seed: int = 1, resolution: float = 1.0
) -> np.ndarray:
    """Louvain communities of the weighted graph on nodes ``0 .. n-1`` with ties ``a[j] - b[j]``:
    the community of each node, numbered by size from 1, the largest first (ties: by smallest node).

    The Louvain method (Blondel et al., 2008) as NetworKit's ``PLM`` runs it, in C++ on one thread
    (no refinement, modularity with ``resolution``, networkx's default 1): on the benchmark's
    million ties about 3 s where networkx's ``louvain_communities`` takes 77 s, for partitions of
    the same modularity (docs/network.md). Seeded like networkx's: the seed shuffles the order in
    which nodes are visited, so the same seed gives the same communities and another seed may give
    others, of the same quality.

    >>> a, b = np.array([0, 0, 1, 2, 3, 3, 4]), np.array([1, 2, 2, 3, 4, 5, 5])   # two triangles, one tie
    >>> louvain_partition(6, a, b, np.ones(7)).tolist()
    [1, 1, 1, 2, 2, 2]
    """
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    import networkit as nk  # imported when needed: the stored results need none of it

    order = np.random.default_rng(seed).permutation(n)  # node i is visited at position order[i]
    g = nk.Graph(n, weighted=True)
    if len(a):
        g.addEdges((np.asarray(weight, dtype=np.float64),
                    (order[a].astype(np.uint64), order[b].astype(np.uint64))))
    threads = nk.getMaxNumberOfThreads()
    nk.setNumberOfThreads(1)  # one thread, nodes in order: the same seed, the same communities
    try:
        found = nk.community.PLM(g, refine=False, gamma=resolution, par="none").run().getPartition()
    finally:
        nk.setNumberOfThreads(threads)
    raw = np.asarray(found.getVector(), dtype=np.int64)[order]
    _, first, inverse, size = np.unique(raw, return_index=True, return_inverse=True, return_counts=True)
    rank = np.empty(len(size), dtype=np.int64)
    rank[np.lexsort((first, -size))] = np.arange(1, len(size) + 1)
    return rank[inverse]


def louvain_communities(G: nx.Graph, weight: str = "weight", resolution: float = 1.0, seed: int = 1) -> list[set]:
    """networkx's ``louvain_communities(G, weight, resolution, seed=seed)`` computed by
    :func:`louvain_partition`: a list of sets of nodes, the largest first.

    >>> G = nx.barbell_graph(5, 0)
    >>> louvain_communities(G, seed=3)
    [{0, 1, 2, 3, 4}, {5, 6, 7, 8, 9}]
    """
    nodes = list(G)
    index = {v: i for i, v in enumerate(nodes)}
    m = G.number_of_edges()
    ends = np.fromiter((index[x] for e in G.edges() for x in e), dtype=np.int64, count=2 * m).reshape(-1, 2)
    w = np.fromiter((d for *_, d in G.edges(data=weight, default=1)), dtype=np.float64, count=m)
    labels = louvain_partition(len(nodes), ends[:, 0], ends[:, 1], w, seed=seed, resolution=resolution)
    found: list[set] = [set() for _ in range(int(labels.max(initial=0)))]
    for v, c in zip(nodes, labels.tolist()):
        found[c - 1].add(v)
    return found


def arrays_modularity(labels: np.ndarray, a: np.ndarray, b: np.ndarray, weight: np.ndarray) -> float | None:
    """:func:`partition_modularity` of the partition ``labels`` (one per node) of the ties ``a - b``."""
    m = float(weight.sum())
    if not m:
        return None
    k = int(labels.max()) + 1
    degree = np.bincount(labels[a], weight, minlength=k) + np.bincount(labels[b], weight, minlength=k)
    internal = float(weight[labels[a] == labels[b]].sum())
    return internal / m - float(((degree / (2 * m)) ** 2).sum())


def communities(
    con: duckdb.DuckDBPyConnection,
    by: str = "department",
    start: date | None = None,
    end: date | None = None,
    min_group_size: int = 5,
    seed: int = 1,
    resolution: float = 1.0,
    attribution: str = AS_IT_WAS,
) -> tuple[pl.DataFrame, int, dict]:
    """Louvain communities of the interaction graph, against the formal groups.

    Communities come from :func:`louvain_partition` (Louvain, weighted, seeded) and are numbered
    by size, largest first. Over the whole window with the default resolution, the partition
    stored by :func:`metrics.refresh.store_person_network` is used, current or not (a load computes
    it again once the graph has changed enough): then only the comparison with ``by``
    runs (its groups are read, not the interactions). Returns the tidy group mix of each community (``community``,
    ``community_size``, the group column named ``by``, ``people``, ``share`` of the community),
    the number of communities suppressed, and organisation-wide figures: ``nmi`` (normalised
    mutual information between communities and groups, over the people with a tie),
    ``communities``, ``modularity`` (of the communities found), ``seed``, and how recent the
    partition is (``computed_at``, ``data_to``, ``current``: :func:`metrics.graph.network_age`;
    null and true when it was found here).

    A partition of people is compared with one group per person: as it was (``attribution``, the
    default), the group each held on the graph's "as of" day, the last day of the window (of the
    activities the stored partition was computed from: its ``data_to``), which ``groups_as_of``
    gives; today, the group each holds now.

    Privacy: a community under ``min_group_size`` people is suppressed (as groups are). The groups
    of ``by`` that every metric over the window hides (:func:`metrics.suppression.decide` on the
    headcounts of :func:`metrics.graph.group_totals`, as the silos and the group graph decide them)
    never have a cell of their own: their people are pooled into :data:`OTHER`. Inside a
    community, the groups with fewer people than ``min_group_size`` join the pool with as many
    more of the smallest as needed for it to hold at least ``min_group_size`` people; the pool is
    shown only then.

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute(
    ...     "insert into people (person_key, person_id, department) "
    ...     "select i, 'p' || i, case when i <= 4 then 'Sales' else 'Legal' end from range(1, 9) t(i)")
    >>> _ = con.execute(   # two cliques of four, one thin tie between them
    ...     "insert into activities (activity_uid, source, occurred_at, person_key, kind, target_key, run_id) "
    ...     "select row_number() over (), 'x', '2026-03-02', a, 'mention', b, 1 "
    ...     "from range(1, 9) s(a), range(1, 9) t(b) where a < b and (a <= 4) = (b <= 4) "
    ...     "union all select 99, 'x', '2026-03-02', 4, 'mention', 5, 1")
    >>> mix, left_out, figures = communities(con, min_group_size=4)
    >>> mix.select("community", "department", "people").rows()
    [(1, 'Sales', 4), (2, 'Legal', 4)]
    >>> figures["nmi"], figures["communities"]
    (1.0, 2)
    """
    stored = stored_person_network(con, seed) if start is None and end is None and resolution == 1.0 else None
    if stored is not None and stored[1].get("louvain") == LOUVAIN_METHOD:
        # The partition of the whole history, found once per load: only the groups are read.
        data_to = stored[1].get("data_to")
        as_of = date.fromisoformat(data_to) if data_to and attribution == AS_IT_WAS else None
        people = stored[0].select("person_key", "community").join(
            tie_frame(con, "person_groups", by, None, None, None, people=people_as_of(as_of, attribution)),
            on="person_key",
        ).sort("person_key")
        labels, groups = people["community"].to_list(), people["grp"].to_list()
        modularity = float(stored[1]["modularity"])
        age = network_age(stored[1])
    else:
        as_of = graph_as_of(con, start, end, attribution)
        P = person_graph(con, by, start, end, attribution)
        found = louvain_partition(len(P.keys), P.a, P.b, P.weight, seed=seed, resolution=resolution)
        labels, groups = found.tolist(), P.groups
        modularity = arrays_modularity(found, P.a, P.b, P.weight)
        age = {"computed_at": None, "data_to": None, "current": True}
    figures = {
        "nmi": normalised_mutual_information(labels, groups) if labels else None,
        "communities": len(set(labels)),
        "modularity": modularity,
        "seed": seed,
        "people": len(labels),
        **age,
        "attribution": attribution,
        **groups_as_of(as_of),
    }
    mix = (
        pl.DataFrame({"community": labels, "grp": groups}, schema={"community": pl.Int64, "grp": pl.Utf8})
        .group_by("community", "grp")
        .agg(pl.len().cast(pl.Int64).alias("people"))
    )
    sizes = mix.group_by("community").agg(pl.col("people").sum().alias("community_size"))
    shown, left_out = suppress_small_groups(sizes, "community", "community_size", min_group_size)
    mix = mix.join(shown, on="community")
    # The groups every metric over the window hides (the silos, the group graph, participation
    # over the range: metrics.suppression.decide on the same headcounts) never show a cell: their
    # people go to the pool, which takes part in the decision inside each community as one cell.
    totals = group_totals(con, by, start, end, attribution=attribution).select("grp", "headcount")
    groups_shown, _, _ = decide(totals, "grp", "headcount", min_group_size)
    pool = ~pl.col("grp").is_in(groups_shown["grp"].implode()) | pl.col("grp").is_null()
    mix = (mix.with_columns(pl.when(pool).then(pl.lit(OTHER)).otherwise(pl.col("grp")).alias("grp"))
           .group_by("community", "grp", "community_size").agg(pl.col("people").sum()))
    # Inside each community: small cells pooled, safely against differencing.
    cells, _ = suppress_small_groups(mix, "grp", "people", min_group_size, within=["community"])
    cells = cells.filter(pl.col("grp") != OTHER)
    pooled = (
        mix.join(cells.select("community", "grp"), on=["community", "grp"], how="anti")
        .group_by("community", "community_size")
        .agg(pl.col("people").sum())
        .filter(pl.col("people") >= min_group_size)
        .with_columns(pl.lit(OTHER).alias("grp"))
        .select(mix.columns)
    )
    out = (
        pl.concat([cells.select(mix.columns), pooled])
        .with_columns((pl.col("people") / pl.col("community_size")).alias("share"))
        .sort(["community", "people", "grp"], descending=[False, True, False])
        .select("community", "community_size", pl.col("grp").alias(by), "people", "share")
    )
    figures["community_sizes"] = shown.sort("community")["community_size"].to_list()
    return out, left_out, figures


@register("network-communities", N_("Louvain communities (seeded) against the formal groups: NMI, sizes, group mix"))
def communities_metric(con: duckdb.DuckDBPyConnection, params: MetricParams) -> MetricResult:
    rows, left_out, figures = communities(
        con, by=params.by, start=params.start, end=params.end, min_group_size=params.min_group_size,
        seed=int(params.extra.get("seed") or 1), attribution=attribution_of(params),
    )
    return MetricResult(rows=rows, suppressed_groups=left_out, extra=figures)
