"""What the store holds: counts, date range, last load. Drives first-run pages and freshness.

>>> from ruche.store import connect
>>> status(connect(":memory:"))["is_empty"]
True
"""

from __future__ import annotations

import duckdb

from metrics._sql import sql


def status(con: duckdb.DuckDBPyConnection) -> dict:
    """Counts of people and activities, the first and last activity, and the last load.

    ``is_empty`` is true when there is no activity and no usage report to measure.
    """
    row = con.execute(sql("status")).fetchone()
    names = ["people", "internal_people", "activities", "usage_snapshots", "first_activity",
             "last_activity", "last_load", "sources"]
    out = dict(zip(names, row))
    out["sources"] = sorted(out["sources"] or [])
    out["is_empty"] = out["activities"] == 0 and out["usage_snapshots"] == 0
    return out
