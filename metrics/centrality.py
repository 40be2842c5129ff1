"""Boundary spanners: betweenness on the person graph, and who links to other groups.

Betweenness is exact up to :data:`EXACT_BETWEENNESS_LIMIT` people and estimated from a sample of
sources above it (Brandes & Pich), within :data:`BETWEENNESS_BUDGET` edge visits; the ``bridges``
metric reads the betweenness stored after each load (:func:`metrics.graph.stored_person_network`)
when it describes the store, and computes it otherwise.
"""

from __future__ import annotations

import math
import random
import time
from datetime import date
from pathlib import Path

import duckdb
import networkx as nx
import numpy as np
import polars as pl

from metrics.bases import AS_IT_WAS, attribution_of, people_as_of
from metrics.graph import OTHER, graph_as_of, groups_as_of, network_age, person_graph, stored_person_network
from metrics.measure import MetricParams, MetricResult, register
from metrics.suppression import decide
from metrics.ties import group_ties_current, tie_frame
from ruche.i18n import N_


#: Above this many people, betweenness is estimated from a sample of sources (Brandes & Pich).
EXACT_BETWEENNESS_LIMIT = 20_000

#: Budget of the betweenness estimate, in edge visits (sources x ties): about 30 s on this
#: project's reference machine (2 cores); see docs/network.md for the measurements.
BETWEENNESS_BUDGET = 300_000_000

#: The fewest sources a sampled estimate uses, whatever the budget.
MIN_SOURCES = 8


def betweenness_sources(people: int, ties: int, budget: int = BETWEENNESS_BUDGET) -> int | None:
    """How many sources the betweenness of a person graph is estimated from; ``None``: exact.

    Exact (every person a source) up to :data:`EXACT_BETWEENNESS_LIMIT` people when that fits the
    budget of edge visits (sources x ties); otherwise as many sources as the budget allows, at
    least :data:`MIN_SOURCES`, never more than :data:`EXACT_BETWEENNESS_LIMIT`.

    >>> betweenness_sources(1_005, 16_064) is None
    True
    >>> betweenness_sources(100_000, 1_000_000)
    300
    >>> betweenness_sources(30_000, 40_000)   # cheap, but beyond the exact limit
    7500
    >>> betweenness_sources(30_000, 100)
    20000
    """
    per_source = max(ties, 1)
    if people <= EXACT_BETWEENNESS_LIMIT and people * per_source <= budget:
        return None
    return min(people, EXACT_BETWEENNESS_LIMIT, max(MIN_SOURCES, budget // per_source))


def _adjacency(G: nx.Graph) -> tuple[list, np.ndarray, np.ndarray]:
    """The nodes of ``G`` and its adjacency in compressed sparse rows (both directions, no loops)."""
    nodes = list(G)
    index = {n: i for i, n in enumerate(nodes)}
    m = G.number_of_edges()
    ends = np.fromiter((index[x] for e in G.edges() for x in e), dtype=np.int64, count=2 * m).reshape(-1, 2)
    ends = ends[ends[:, 0] != ends[:, 1]]
    return nodes, *csr_adjacency(len(nodes), ends[:, 0], ends[:, 1])


def csr_adjacency(n: int, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Compressed sparse rows (``indptr``, ``indices``) of the undirected ties ``a[j] - b[j]``."""
    src = np.concatenate([a, b])
    dst = np.concatenate([b, a])
    indices = dst[np.argsort(src, kind="stable")]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    return indptr, indices


def _dependencies(indptr: np.ndarray, indices: np.ndarray, source: int) -> np.ndarray:
    """Brandes' dependencies of every node on ``source`` (hops), one breadth-first level at a time.

    Each level expands the whole frontier at once with array operations instead of a Python loop
    over its edges: the same sums as networkx's ``_single_source_shortest_path_basic`` and
    ``_accumulate_basic``, in the same order of levels.
    """
    n = len(indptr) - 1
    dist = np.full(n, -1, dtype=np.int32)
    sigma = np.zeros(n)
    dist[source], sigma[source] = 0, 1.0
    frontier = np.array([source], dtype=np.int64)
    levels = []
    depth = 0
    while frontier.size:
        starts = indptr[frontier]
        counts = indptr[frontier + 1] - starts
        total = int(counts.sum())
        if not total:
            break
        first = np.repeat(starts - (np.cumsum(counts) - counts), counts)
        child = indices[first + np.arange(total)]
        parent = np.repeat(frontier, counts)
        dist[child[dist[child] == -1]] = depth + 1
        down = dist[child] == depth + 1
        parent, child = parent[down], child[down]
        sigma += np.bincount(child, weights=sigma[parent], minlength=n)
        levels.append((parent, child))
        depth += 1
        frontier = np.flatnonzero(dist == depth)
    delta = np.zeros(n)
    for parent, child in reversed(levels):
        delta += sigma * np.bincount(parent, weights=(1.0 + delta[child]) / sigma[child], minlength=n)
    delta[source] = 0.0
    return delta


def betweenness_centrality(G: nx.Graph, k: int | None = None, seed: int | None = None) -> dict:
    """networkx's ``betweenness_centrality(G, k, seed=seed)`` (hops, normalised, no endpoints),
    computed level by level on arrays.

    Same sources (networkx's own draw: ``random.Random(seed).sample(list(G), k)``), same sums,
    same rescaling, so the same numbers (to rounding; the tests compare them on the karate club,
    random graphs and the e-mail network), with 0.06 s of CPU per source on a million ties instead
    of networkx's 5 s: what lets the estimate use hundreds of sources (docs/network.md).

    >>> G = nx.karate_club_graph()
    >>> ours, theirs = betweenness_centrality(G), nx.betweenness_centrality(G)
    >>> max(abs(ours[v] - theirs[v]) for v in G) < 1e-12
    True
    >>> ours, theirs = betweenness_centrality(G, k=5, seed=3), nx.betweenness_centrality(G, k=5, seed=3)
    >>> max(abs(ours[v] - theirs[v]) for v in G) < 1e-12
    True
    """
    nodes, indptr, indices = _adjacency(G)
    return dict(zip(nodes, _betweenness(indptr, indices, k, seed).tolist()))


def _betweenness(indptr: np.ndarray, indices: np.ndarray, k: int | None, seed: int | None) -> np.ndarray:
    """:func:`betweenness_centrality` of nodes ``0 .. n-1`` given as compressed sparse rows."""
    n = len(indptr) - 1
    if k is not None and k >= n:
        k = None
    if k is None:
        sources = np.arange(n)
    else:
        # networkx's draw, random.Random(seed).sample(list(G), k), as positions in list(G)
        sources = np.array(random.Random(seed).sample(range(n), k), dtype=np.int64)
    total = np.zeros(n)
    for s in sources:
        total += _dependencies(indptr, indices, int(s))
    pairs = n - 1  # targets a path through v can reach (endpoints excluded)
    if pairs >= 2:
        if k is None:
            total *= 1 / (pairs * (pairs - 1))
        else:
            scale = np.full(n, 1 / (k * (pairs - 1)))
            scale[sources] = 1 / ((k - 1) * (pairs - 1)) if k > 1 else math.nan
            total *= scale
    return total


def person_betweenness(
    G: nx.Graph, sources: int | None = None, seed: int = 1
) -> tuple[dict, dict]:
    """Betweenness centrality of every person (hops, normalised), exact or sampled.

    ``sources`` defaults to :func:`betweenness_sources`. Sampled, it is networkx's estimate from
    ``sources`` random sources (Brandes & Pich, 2007), seeded, computed by
    :func:`betweenness_centrality`. Returns the centralities and a description of the
    computation (``exact``, ``sources``, ``people``, ``seconds``).
    Ties count as hops, not weighted distances: an interaction count is a strength, and a
    spanner is someone on the short chains of acquaintance between people.
    """
    nodes, indptr, indices = _adjacency(G)
    values, info = arrays_betweenness(indptr, indices, len(indices) // 2, sources, seed)
    return dict(zip(nodes, values.tolist())), info


def arrays_betweenness(
    indptr: np.ndarray, indices: np.ndarray, ties: int, sources: int | None, seed: int
) -> tuple[np.ndarray, dict]:
    """:func:`person_betweenness` on compressed sparse rows: the values in node order, and the description."""
    people = len(indptr) - 1
    if sources is None:
        sources = betweenness_sources(people, ties)
    exact = sources is None or sources >= people
    t0 = time.perf_counter()
    values = _betweenness(indptr, indices, None if exact else sources, seed)
    info = {
        "exact": exact,
        "sources": people if exact else sources,
        "people": people,
        "seconds": round(time.perf_counter() - t0, 3),
    }
    return values, info


def person_reach(
    con: duckdb.DuckDBPyConnection,
    by: str = "department",
    start: date | None = None,
    end: date | None = None,
    attribution: str = AS_IT_WAS,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per person with a tie: ``person_key``, ``person_id``, ``grp``, ``neighbours`` and
    ``groups_reached`` (distinct other groups among the people they have ties with); and per group
    of the population: ``grp``, ``headcount`` and ``groups_reached`` (distinct other groups its
    people reach together). One query (``reach.sql``), one pass over the interactions. Each
    person is in one group: the one they held on the window's last day
    (:func:`metrics.graph.graph_as_of`), or hold now (``attribution`` today)."""
    whole = start is None and end is None and group_ties_current(con)  # the pairs kept beside the group ties
    people = people_as_of(graph_as_of(con, start, end, attribution), attribution)
    frame = tie_frame(con, "reach", by, None, start, end, stored_pairs=whole, people=people)
    people = frame.filter(pl.col("part") == "person").drop("part")
    groups = frame.filter(pl.col("part") == "group").select(
        "grp", pl.col("neighbours").cast(pl.Int64).alias("headcount"), pl.col("groups_reached").cast(pl.Int64)
    )
    return people, groups


def bridges(
    con: duckdb.DuckDBPyConnection,
    by: str = "department",
    start: date | None = None,
    end: date | None = None,
    min_group_size: int = 5,
    top: int = 10,
    sources: int | None = None,
    seed: int = 1,
    attribution: str = AS_IT_WAS,
) -> tuple[pl.DataFrame, int, pl.DataFrame, dict]:
    """Boundary spanners: per group, who links to other groups; and the top spanners.

    People are in the groups they held on the window's last day (as it was, the default:
    :func:`metrics.graph.graph_as_of`) or hold now (``attribution`` today).

    Per group (the column named ``by``): ``headcount``, ``spanners`` (people with ties to at
    least one other group), ``spanner_share`` (``spanners / headcount``), ``reach_1``,
    ``reach_2``, ``reach_3_plus`` (people with ties to exactly one, two, three or more other
    groups) and ``groups_reached`` (distinct other groups the group's people reach together).
    Groups under the minimum size are suppressed (:func:`~metrics.groups.suppress_small_groups`).

    The top spanners are the ``top`` people with the highest betweenness centrality on the
    interaction graph (:func:`person_betweenness`), ties broken by ``groups_reached``: their
    pseudonym ``person_id``, group (:data:`OTHER` for a suppressed group), ``betweenness``,
    ``groups_reached`` and ``neighbours``. Names are never here: see :func:`name_people`.

    Returns (per-group frame, groups suppressed, top spanners, betweenness description).

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute(
    ...     "insert into people (person_key, person_id, department) "
    ...     "select i, 'p' || i, case when i <= 3 then 'Sales' else 'Legal' end from range(1, 7) t(i)")
    >>> _ = con.execute(   # a path 1 - 2 - 3 - 4 - 5 - 6: 3 and 4 hold the only bridge
    ...     "insert into activities (activity_uid, source, occurred_at, person_key, kind, target_key, run_id) "
    ...     "select i, 'x', '2026-03-02', i, 'mention', i + 1, 1 from range(1, 6) t(i)")
    >>> per_group, left_out, top, info = bridges(con, min_group_size=3, top=2)
    >>> per_group.select("department", "headcount", "spanners", "reach_1", "groups_reached").rows()
    [('Legal', 3, 1, 1, 1), ('Sales', 3, 1, 1, 1)]
    >>> top.select("person_id", "department", pl.col("betweenness").round(3), "groups_reached").rows()
    [('p3', 'Sales', 0.6, 1), ('p4', 'Legal', 0.6, 1)]
    >>> info["exact"]
    True
    """
    reach, sizes = person_reach(con, by, start, end, attribution)
    per_group = (
        sizes.join(
            reach.group_by("grp").agg(
                (pl.col("groups_reached") >= 1).sum().alias("spanners"),
                (pl.col("groups_reached") == 1).sum().alias("reach_1"),
                (pl.col("groups_reached") == 2).sum().alias("reach_2"),
                (pl.col("groups_reached") >= 3).sum().alias("reach_3_plus"),
            ),
            on="grp",
            how="left",
        )
        .with_columns(pl.col("spanners", "reach_1", "reach_2", "reach_3_plus").fill_null(0).cast(pl.Int64))
        .with_columns((pl.col("spanners") / pl.col("headcount")).alias("spanner_share"))
        .select("grp", "headcount", "spanners", "spanner_share", "reach_1", "reach_2", "reach_3_plus", "groups_reached")
    )
    visible, left_out, _ = decide(per_group, "grp", "headcount", min_group_size)
    shown = set(visible["grp"].to_list())

    stored = stored_person_network(con, seed) if start is None and end is None and sources is None else None
    if stored is not None:
        scores = stored[0].select("person_key", "betweenness")
        info = {"exact": stored[1]["exact"] == "true", "sources": int(stored[1]["sources"]),
                "people": scores.height, "seconds": 0.0, "materialised": True, **network_age(stored[1])}
    else:
        P = person_graph(con, by, start, end, attribution)
        values, info = arrays_betweenness(*csr_adjacency(len(P.keys), P.a, P.b), len(P.a), sources, seed)
        scores = pl.DataFrame({"person_key": P.keys, "betweenness": values},
                              schema={"person_key": pl.Int32, "betweenness": pl.Float64})
    top_frame = (
        reach.with_columns(pl.col("person_key").cast(pl.Int32))
        .join(scores, on="person_key", how="left")
        .with_columns(
            # someone without a tie when the stored betweenness was computed had none then
            pl.col("betweenness").fill_null(0.0),
            pl.when(pl.col("grp").is_in(list(shown))).then(pl.col("grp")).otherwise(pl.lit(OTHER)).alias("grp"),
            pl.col("neighbours").cast(pl.Int64),
            pl.col("groups_reached").cast(pl.Int64),
        )
        .sort(["betweenness", "groups_reached", "person_id"], descending=[True, True, False])
        .head(top)
        .select("person_id", pl.col("grp").alias(by), "betweenness", "groups_reached", "neighbours")
    )
    return visible.rename({"grp": by}), left_out, top_frame, info


def name_people(
    frame: pl.DataFrame,
    directory: str | Path,
    pseudonymiser,
    id_column: str = "email",
    name_column: str = "name",
) -> pl.DataFrame:
    """Add a ``name`` column to a frame of ``person_id`` pseudonyms, for an administrator.

    The directory CSV is read in memory, its ``id_column`` (the e-mail the pseudonyms were made
    from) hashed with the key, and the names joined on: the ``name_column``, or else
    ``first_name`` and ``last_name``. Nothing is written anywhere: the names live only in the
    returned frame. People the directory does not know get a null name.
    """
    names = pl.read_csv(Path(directory), infer_schema=False)
    if name_column in names.columns:
        name = pl.col(name_column)
    else:
        name = pl.concat_str([pl.col("first_name"), pl.col("last_name")], separator=" ", ignore_nulls=True)
    names = names.select(pl.col(id_column), name.alias("name")).filter(pl.col(id_column).is_not_null())
    lookup = {pseudonymiser.hash(i): n for i, n in names.iter_rows()}
    return frame.with_columns(
        pl.col("person_id").replace_strict(lookup, default=None, return_dtype=pl.Utf8).alias("name")
    )


@register("bridges", N_("boundary spanners: per group, who links to other groups; the top spanners by betweenness"))
def bridges_metric(con: duckdb.DuckDBPyConnection, params: MetricParams) -> MetricResult:
    attribution = attribution_of(params)
    per_group, left_out, top_frame, info = bridges(
        con, by=params.by, start=params.start, end=params.end, min_group_size=params.min_group_size,
        top=int(params.extra.get("top") or 10), sources=params.extra.get("sources"),
        seed=int(params.extra.get("seed") or 1), attribution=attribution,
    )
    names_from = params.extra.get("names")
    if names_from:
        from ruche import keys
        from ruche.privacy import Pseudonymiser, load_key

        pseudonymiser = Pseudonymiser(load_key(params.extra.get("key_file", "~/.config/ruche/key"), create=False))
        keys.verify(con, pseudonymiser)  # another key would name nobody, silently
        top_frame = name_people(top_frame, names_from, pseudonymiser)
    return MetricResult(
        rows=per_group, suppressed_groups=left_out,
        extra={"top_spanners": top_frame.to_dicts(), "betweenness": info, "attribution": attribution,
               **groups_as_of(graph_as_of(con, params.start, params.end, attribution))},
    )
