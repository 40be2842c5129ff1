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
from datetime import date, datetime, timezone
from typing import Any

import duckdb
import polars as pl

from metrics import hierarchy, results
from metrics.centrality import arrays_betweenness, csr_adjacency
from metrics.communities import LOUVAIN_METHOD, arrays_modularity, louvain_partition
from metrics.graph import graph_bytes_expected, person_graph, person_network_state
from metrics.groups import MetricError
from metrics.bases import TODAY, is_fresh
from metrics.materialise import refresh
from metrics.ties import group_ties_current, store_group_ties
from ruche.store import MemoryShare


def derived_current(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the derived tables a load refreshes (:func:`refresh_metrics`) describe the store as
    it is: the bases, the group ties, the reporting tree and the dashboard's results. They do not after a load whose
    refresh failed, or when this version builds them otherwise than the one that did."""
    return (is_fresh(con) and group_ties_current(con) and hierarchy.stored_current(con)
            and hierarchy.periods_current(con) is not None and bool(results.current_keys(con)))


def refresh_metrics(con: duckdb.DuckDBPyConnection, settings: Any = None) -> dict[str, Any]:
    """Everything a load refreshes before it publishes the store: the participation bases
    (:func:`metrics.materialise.refresh`), the tie weights per pair of groups and day
    (:func:`metrics.ties.store_group_ties`), the person-graph results of the network views
    (:func:`store_person_network`: Louvain communities and betweenness, when :func:`network_due`
    says so), the reporting tree (:func:`metrics.hierarchy.store_tree`, built again only after a directory
    change), then the dashboard's default results (:func:`metrics.results.precompute`) and beside them
    the tree's figures per period (:func:`metrics.hierarchy.store_periods`). Each but the
    person graph's is brought to what a computation from scratch gives, recomputing only the days
    and periods the loads since the last refresh touched when they only added rows
    (docs/store.md, "What a load recomputes"). ``stages``: the wall seconds of each (``results``
    those of the results and the tree's figures per period, ``hierarchy_periods`` the latter's alone)."""
    from ruche.config import Settings

    settings = settings or Settings()
    stages: dict[str, float] = {}
    # every stage gives DuckDB what memory_limit leaves beside what the process holds in Python
    # (the interpreter, the frames, what DuckDB's allocator and polars' keep), not the whole limit
    # beside it (docs/scale.md, "Memory outside DuckDB"); the graph and the stored results share
    # within this one, holding back what they are about to hold
    memory = MemoryShare(con)
    try:
        memory.share()
        began = time.perf_counter()
        done = refresh(con, settings)
        stages["bases"] = time.perf_counter() - began
        if not group_ties_current(con):  # before the person graph: it reserves memory for the pairs they keep
            memory.share()
            began = time.perf_counter()
            done["group_ties"] = store_group_ties(con)
            stages["group_ties"] = time.perf_counter() - began
        began = time.perf_counter()
        due = network_due(con, settings)
        if due is not None:
            try:
                done["network"] = {**store_person_network(con), "why": due}
            except MetricError as refused:  # the graph would not fit memory_limit: the views say so too
                done["network"] = {"mode": "refused", "why": str(refused)}
        else:
            done["network"] = {"mode": "kept", **_restamp_network(con)}
        stages["network"] = time.perf_counter() - began
        memory.share()
        began = time.perf_counter()
        done["hierarchy"] = hierarchy.store_tree(con)
        stages["hierarchy"] = time.perf_counter() - began

        def hierarchy_periods(cur: duckdb.DuckDBPyConnection, share) -> dict:
            return hierarchy.store_periods(cur, settings.min_group_size,
                                           max(settings.min_group_size, settings.sponsor_min_group_size),
                                           memory=_Sharing(share))

        # the tree's figures per period read the bases and write tables no result reads: computed
        # beside the results, by the stream done first with its blocks of calls
        began = time.perf_counter()
        done["results"] = results.precompute(con, settings, beside={"hierarchy_periods": hierarchy_periods})
        stages["results"] = time.perf_counter() - began
        done["hierarchy_periods"] = done["results"].pop("beside")["hierarchy_periods"]
        stages["hierarchy_periods"] = done["results"].pop("beside_seconds")["hierarchy_periods"]
    finally:
        memory.restore()
    done["stages"] = {k: round(v, 2) for k, v in stages.items()}
    return done


class _Sharing:
    """A :class:`ruche.store.MemoryShare`'s ``share`` as the object :func:`metrics.hierarchy.store_periods`
    calls it on (the stored results' share, which the streams take turns at)."""

    def __init__(self, share) -> None:
        self.share = share


#: The interactions: what the person graph is made of (metrics/interactions.sql).
_INTERACTIONS = ("kind in ('reply', 'mention', 'reaction') and target_key is not null "
                 "and target_key <> person_key")


def network_due(con: duckdb.DuckDBPyConnection, settings: Any) -> str | None:
    """Why Louvain and betweenness are to be computed again over the whole history, or None when
    the stored ones are kept: they are computed when none are stored (or by another method), when
    an activity they were computed from is gone, when the interactions added since are at least
    ``network_refresh_share`` of those they were computed from, or when the data has gone on
    ``network_refresh_days`` days or more past the last day they were computed from. A few days
    of interactions move neither a community nor the ranking of the boundary spanners much, and
    these two are the only results of a load that cost a computation over the whole history."""
    found = con.execute(
        "select count(*) from information_schema.tables where table_name in ('m_person_network', 'm_network_state')"
    ).fetchone()[0]
    if found < 2:
        return "none stored"
    state = dict(con.execute("select key, value from m_network_state").fetchall())
    if state.get("louvain") != LOUVAIN_METHOD or state.get("seed") != "1" or "interactions" not in state:
        return "stored by another version"
    run, activities, interactions = int(state["activities_run"]), int(state["activities"]), int(state["interactions"])
    kept, added, last = con.execute(
        f"select count(*) filter (where run_id <= $run), count(*) filter (where run_id > $run and {_INTERACTIONS}), "
        "max(occurred_at)::date from activities",
        {"run": run},
    ).fetchone()
    if kept != activities:
        return "activities removed"
    if added == 0:
        return None  # the same graph: the stored results describe it (refresh_metrics restamps them)
    if added >= settings.network_refresh_share * interactions:
        return f"{added} interactions added to {interactions}"
    data_to = date.fromisoformat(state["data_to"]) if state.get("data_to") else None
    if data_to is None or last is None or (last - data_to).days >= settings.network_refresh_days:
        return f"data up to {last}, computed up to {data_to}"
    return None


def _restamp_network(con: duckdb.DuckDBPyConnection) -> dict:
    """Mark the kept person-graph results current when the graph is the one they were computed
    from (no interaction added since); return when they were computed and from data up to when."""
    state = dict(con.execute("select key, value from m_network_state").fetchall())
    added = con.execute(f"select count(*) from activities where run_id > ? and {_INTERACTIONS}",
                        [int(state["activities_run"])]).fetchone()[0]
    if added == 0:
        now = {"state": person_network_state(con), "activities": str(con.execute(
            "select count(*) from activities").fetchone()[0]), "activities_run": str(con.execute(
                "select coalesce(max(run_id), 0) from activities").fetchone()[0])}
        con.executemany("update m_network_state set value = ? where key = ?", [(v, k) for k, v in now.items()])
    return {"computed_at": state.get("computed_at"), "data_to": state.get("data_to"), "current": added == 0}


def store_person_network(con: duckdb.DuckDBPyConnection, seed: int = 1) -> dict:
    """Keep in the store what the network views cannot compute in a page's time.

    Louvain communities and betweenness are properties of the person graph over the whole
    history, not of a group-by attribute, so one computation after each load serves every
    ``--by``: table ``m_person_network`` (``person_key``, ``community``, ``betweenness``; keys
    only, no names) and ``m_network_state`` (what they were computed from, the seed, the
    betweenness sample, the Louvain method and the modularity of its communities).
    :func:`metrics.communities.communities` and :func:`metrics.centrality.bridges` read them for
    the whole window with the same seed, whatever the ``--by``, labelled with when they were
    computed (``computed_at``) and the last day of the activities they were computed from
    (``data_to``), and whether they still describe the store (``current``); they compute afresh
    when none are stored. A load runs this when :func:`network_due` says so.

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
    # the ties handed to Python and the graph's arrays count in memory_limit beside DuckDB: their
    # expected size (from the pairs of people the group ties keep) is held back from DuckDB's share
    memory = MemoryShare(con)
    memory.share(reserve=graph_bytes_expected(con))
    try:
        P = person_graph(con, "organisation", attribution=TODAY)  # one group: no version needed
        labels = louvain_partition(len(P.keys), P.a, P.b, P.weight, seed=seed)
        centrality, info = arrays_betweenness(*csr_adjacency(len(P.keys), P.a, P.b), len(P.a), None, seed)
        frame = pl.DataFrame(
            {"person_key": P.keys, "community": labels, "betweenness": centrality},
            schema={"person_key": pl.Int32, "community": pl.Int32, "betweenness": pl.Float64},
        )
    finally:
        memory.restore()
    con.register("m_person_network_new", frame.to_arrow())
    try:
        con.execute("create or replace table m_person_network as select * from m_person_network_new")
    finally:
        con.unregister("m_person_network_new")
    modularity = arrays_modularity(labels, P.a, P.b, P.weight)
    run, activities, interactions, data_to = con.execute(
        f"select coalesce(max(run_id), 0), count(*), count(*) filter (where {_INTERACTIONS}), max(occurred_at)::date "
        "from activities"
    ).fetchone()
    state = {
        "state": person_network_state(con), "seed": str(seed), "sources": str(info["sources"]),
        "computed_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "data_to": data_to.isoformat() if data_to else "", "activities_run": str(run),
        "activities": str(activities), "interactions": str(interactions),
        "exact": str(info["exact"]).lower(), "louvain": LOUVAIN_METHOD,
        "modularity": repr(modularity) if modularity is not None else "nan",
        "seconds": str(round(time.perf_counter() - started, 3)),
    }
    con.execute("create or replace table m_network_state (key varchar not null, value varchar not null)")
    con.executemany("insert into m_network_state values (?, ?)", list(state.items()))
    return {"people": len(P.keys), "communities": int(labels.max(initial=0)), "betweenness": info,
            "seconds": float(state["seconds"])}
