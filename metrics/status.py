"""What the store holds: counts, date range, last load. Drives first-run pages and freshness.

>>> from ruche.store import connect
>>> status(connect(":memory:"))["is_empty"]
True
"""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from metrics._sql import sql
from metrics.groups import grain


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


def runs(con: duckdb.DuckDBPyConnection, limit: int = 200) -> pl.DataFrame:
    """The latest loads, newest first: source, file name, status, rows read/loaded/rejected/skipped."""
    return con.execute(sql("runs"), {"limit": limit}).pl()


def rejects(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Rejected rows counted by load, file and reason (the rows themselves stay in ``rejects``)."""
    return con.execute(sql("rejects_summary")).pl()


def coverage(con: duckdb.DuckDBPyConnection, period: str = "month", start: date | None = None) -> pl.DataFrame:
    """Activities and distinct people per source and period: where the data has holes. ``start``:
    the periods from the one holding it on only (each period's row reads that period alone).

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) "
    ...                 "values (1, 'slack', '2026-01-03', 1, 'post', 1), (2, 'slack', '2026-01-04', 1, 'reply', 1)")
    >>> coverage(con).rows()
    [('slack', '2026-01', 2, 1)]
    """
    g = grain(period)
    query = sql("coverage").format(trunc=g.trunc, label=g.label)
    return con.execute(query, {"from_date": start}).pl()


def pulls(con: duckdb.DuckDBPyConnection, today: date, stale_after_days: int) -> pl.DataFrame:
    """Each pulled source's last day of data, the whole days missing since (before ``today``),
    whether that is more than ``stale_after_days`` (``stale``) and when its last pull was published.
    A store that never pulled gives no row.

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute("insert into pull_state values ('m365', '2026-12-01', '2026-11-30', '2026-12-01 06:00', 3), "
    ...                 "('slack', '2026-11-20', '2026-11-19', '2026-11-20 06:00', 1)")
    >>> pulls(con, date(2026, 12, 2), 3).select("source", "data_through", "days_behind", "stale").rows()
    [('m365', datetime.date(2026, 11, 30), 1, False), ('slack', datetime.date(2026, 11, 19), 12, True)]
    """
    frame = con.execute(sql("pulls"), {"today": today}).pl()
    return frame.with_columns(stale=pl.col("days_behind").fill_null(0) > stale_after_days).select(
        "source", "data_through", "days_behind", "stale", "pulled_at", "files")


def audit_log(con: duckdb.DuckDBPyConnection, limit: int = 10_000) -> pl.DataFrame:
    """The latest audit events folded into the store, newest first."""
    return con.execute(
        "select occurred_at, user_email, role, action, page, detail from audit_log "
        "order by occurred_at desc limit $limit", {"limit": limit}).pl()
