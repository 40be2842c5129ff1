"""Everything derived from the store that a load refreshes before it publishes it.

The top of the caching layer: it builds the bases (:mod:`metrics.materialise`), the tie tables of
the network views (:mod:`metrics.ties`), the person-graph results (:func:`store_person_network`,
from :mod:`metrics.communities` and :mod:`metrics.centrality`) and the dashboard's stored results
(:mod:`metrics.results`), each from the definitions it caches. Nothing in
``metrics`` imports this module; the loaders (``ingest``, ``ruche keys``, ``ruche retention``,
the privacy pack) and ``ruche serve`` do.
"""

from __future__ import annotations

import time
from typing import Any

import duckdb
import polars as pl

from metrics import results
from metrics.centrality import arrays_betweenness, csr_adjacency
from metrics.communities import LOUVAIN_METHOD, arrays_modularity, louvain_partition
from metrics.graph import person_graph, person_network_state
from metrics.bases import is_fresh
from metrics.materialise import refresh
from metrics.ties import group_ties_current, store_group_ties


def derived_current(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the derived tables a load refreshes (:func:`refresh_metrics`) describe the store as
    it is: the bases, the group ties and the dashboard's results. They do not after a load whose
    refresh failed, or when this version builds them otherwise than the one that did."""
    return is_fresh(con) and group_ties_current(con) and bool(results.current_keys(con))


def refresh_metrics(con: duckdb.DuckDBPyConnection, settings: Any = None) -> dict[str, Any]:
    """Everything a load refreshes before it publishes the store: the participation bases
    (:func:`metrics.materialise.refresh`) and the person-graph results of the network views
    (:func:`store_person_network`: Louvain communities and betweenness), the tie weights
    per pair of groups and day (:func:`metrics.ties.store_group_ties`), then the dashboard's
    default results (:func:`metrics.results.precompute`)."""
    from ruche.config import Settings

    done = refresh(con, settings)
    if done["mode"] != "unchanged":
        done["network"] = store_person_network(con)
    if not group_ties_current(con):
        done["group_ties"] = store_group_ties(con)
    done["results"] = results.precompute(con, settings or Settings())
    return done


def store_person_network(con: duckdb.DuckDBPyConnection, seed: int = 1) -> dict:
    """Keep in the store what the network views cannot compute in a page's time.

    Louvain communities and betweenness are properties of the person graph over the whole
    history, not of a group-by attribute, so one computation after each load serves every
    ``--by``: table ``m_person_network`` (``person_key``, ``community``, ``betweenness``; keys
    only, no names) and ``m_network_state`` (what they were computed from, the seed, the
    betweenness sample, the Louvain method and the modularity of its communities).
    :func:`metrics.communities.communities` and :func:`metrics.centrality.bridges` read them for the whole window with the same seed
    when they are fresh, whatever the ``--by``, and compute afresh otherwise, so the figures never
    depend on whether this ran. Run after every load, in the write that refreshes the other bases.

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute("insert into people (person_key, person_id, department) "
    ...                 "select i, 'p' || i, 'Sales' from range(1, 4) t(i)")
    >>> _ = con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, target_key, run_id) "
    ...                 "values (1, 'x', '2026-03-02', 1, 'reply', 2, 1), (2, 'x', '2026-03-02', 2, 'reply', 3, 1)")
    >>> info = store_person_network(con)
    >>> con.execute("select person_key, community, betweenness from m_person_network order by 1").fetchall()
    [(1, 1, 0.0), (2, 1, 1.0), (3, 1, 0.0)]
    >>> from metrics.graph import stored_person_network
    >>> stored_person_network(con, seed=1) is not None
    True
    """
    started = time.perf_counter()
    P = person_graph(con, "organisation")
    labels = louvain_partition(len(P.keys), P.a, P.b, P.weight, seed=seed)
    centrality, info = arrays_betweenness(*csr_adjacency(len(P.keys), P.a, P.b), len(P.a), None, seed)
    frame = pl.DataFrame(
        {"person_key": P.keys, "community": labels, "betweenness": centrality},
        schema={"person_key": pl.Int32, "community": pl.Int32, "betweenness": pl.Float64},
    )
    con.register("m_person_network_new", frame.to_arrow())
    try:
        con.execute("create or replace table m_person_network as select * from m_person_network_new")
    finally:
        con.unregister("m_person_network_new")
    modularity = arrays_modularity(labels, P.a, P.b, P.weight)
    state = {
        "state": person_network_state(con), "seed": str(seed), "sources": str(info["sources"]),
        "exact": str(info["exact"]).lower(), "louvain": LOUVAIN_METHOD,
        "modularity": repr(modularity) if modularity is not None else "nan",
        "seconds": str(round(time.perf_counter() - started, 3)),
    }
    con.execute("create or replace table m_network_state (key varchar primary key, value varchar not null)")
    con.executemany("insert into m_network_state values (?, ?)", list(state.items()))
    return {"people": len(P.keys), "communities": int(labels.max(initial=0)), "betweenness": info,
            "seconds": float(state["seconds"])}
