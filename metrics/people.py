"""Person-level lists for administrators: the champions who write most.

These are the only metrics that name a row per person, so the dashboard shows them on an
administrator's page only, by pseudonym; a name is resolved in memory (:func:`metrics.centrality.name_people`)
from the directory file and the key, and never written anywhere.
"""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from metrics import bases
from metrics._sql import sql


def champions(
    con: duckdb.DuckDBPyConnection, start: date | None = None, end: date | None = None, top: int = 20
) -> pl.DataFrame:
    """The internal people with the most contributions (posts and replies) over the range
    (``start``..``end``, inclusive; None: open), read from the per-person bases
    (:func:`metrics.bases.sources`).

    Columns: ``person_id`` (pseudonym), ``department``, ``team``, ``contributions``, ``posts``,
    ``replies``, ``replies_received`` (replies to their messages by others), ``active_months``.

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute("insert into people (person_key, person_id, department) values (1, 'a', 'Ops'), (2, 'b', 'Ops')")
    >>> _ = con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, target_key, run_id) "
    ...                 "values (1, 'x', '2026-01-05', 1, 'post', null, 1), (2, 'x', '2026-02-05', 1, 'post', null, 1), "
    ...                 "(3, 'x', '2026-02-06', 2, 'reply', 1, 1)")
    >>> champions(con).select("person_id", "contributions", "replies_received", "active_months").rows()
    [('a', 2, 1, 2), ('b', 1, 0, 1)]
    """
    months = bases.sources(con, "month", start, end).person_months
    return con.execute(sql("champions").format(person_months=months),
                       {"from_date": start, "to_date": end, "top": top}).pl()
