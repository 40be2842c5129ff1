"""Everything derived from the store that a load refreshes before it publishes it.

The top of the caching layer: it imports the bases (:mod:`metrics.materialise`), the tie tables
and person-graph results of the network views (:mod:`metrics.network`) and the dashboard's stored
results (:mod:`metrics.results`), each built from the definitions it caches. Nothing in
``metrics`` imports this module; the loaders (``ingest``, ``ruche keys``, ``ruche retention``,
the privacy pack) and ``ruche serve`` do.
"""

from __future__ import annotations

from typing import Any

import duckdb

from metrics import network, results
from metrics.materialise import is_fresh, refresh


def derived_current(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the derived tables a load refreshes (:func:`refresh_metrics`) describe the store as
    it is: the bases, the group ties and the dashboard's results. They do not after a load whose
    refresh failed, or when this version builds them otherwise than the one that did."""
    return is_fresh(con) and network.group_ties_current(con) and bool(results.current_keys(con))


def refresh_metrics(con: duckdb.DuckDBPyConnection, settings: Any = None) -> dict[str, Any]:
    """Everything a load refreshes before it publishes the store: the participation bases
    (:func:`metrics.materialise.refresh`) and the person-graph results of the network views
    (:func:`metrics.network.materialise`: Louvain communities and betweenness), the tie weights
    per pair of groups and day (:func:`metrics.network.store_group_ties`), then the dashboard's
    default results (:func:`metrics.results.precompute`)."""
    from ruche.config import Settings

    done = refresh(con, settings)
    if done["mode"] != "unchanged":
        done["network"] = network.materialise(con)
    if not network.group_ties_current(con):
        done["group_ties"] = network.store_group_ties(con)
    done["results"] = results.precompute(con, settings or Settings())
    return done
