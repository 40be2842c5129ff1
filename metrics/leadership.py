"""Leadership exemplarity and the digital divide (METRICS.md, "Teams at risk and leadership").

Both compare the participation of people by one directory attribute, per period: job ``level``
(``executive``, ``manager``, ``staff``) for leadership, with the share of the threads each level
started that got a reply from someone else; ``frontline`` (``frontline`` against ``desk``) for the
digital divide. Either can be broken down further by another attribute (``by``; ``organisation``,
the default, compares the levels over everybody). Levels under the minimum group size are left
out like any group, so an executive committee of four is never shown on its own.
"""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from metrics import materialise
from metrics._sql import sql
from metrics.groups import grain as _grain
from metrics.groups import group_columns, suppress_small_groups
from metrics.participation import participation_frame, reads_extra
from metrics.registry import MetricParams, MetricResult, register

LEVELS = ["executive", "manager", "staff"]


def _compare(
    con: duckdb.DuckDBPyConnection, attribute: str, by: str, period: str,
    start: date | None, end: date | None, min_group_size: int,
) -> tuple[pl.DataFrame, int, list[str]]:
    outer = [] if by in ("organisation", attribute) else [by]
    frame = participation_frame(con, outer + [attribute], period, start, end)
    frame = frame.drop("stickiness", "retention")
    rows, left_out = suppress_small_groups(frame, attribute, "headcount", min_group_size, within=["period"] + outer)
    return rows, left_out, outer


def leadership(
    con: duckdb.DuckDBPyConnection,
    by: str = "organisation",
    period: str = "month",
    start: date | None = None,
    end: date | None = None,
    min_group_size: int = 5,
) -> tuple[pl.DataFrame, int]:
    """Participation of executives and managers against staff, and how their threads are answered.

    Returns the rows (``period``, the group column ``by`` unless ``organisation``, ``level``,
    ``headcount``, ``active``, ``contributors``, ``participation_rate``, ``contribution_rate``,
    ``threads_started``, ``threads_replied``, ``replied_share``: null when no thread was started)
    and the number of groups left out.

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute("insert into people (person_key, person_id, level) "
    ...                 "select i, 'p' || i, case when i <= 5 then 'manager' else 'staff' end from range(1, 16) t(i)")
    >>> _ = con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, thread_ref, run_id) values "
    ...                 "(1, 'x', '2026-01-05', 1, 'post', 't1', 1), (2, 'x', '2026-01-05', 2, 'post', 't2', 1), "
    ...                 "(3, 'x', '2026-01-06', 9, 'reply', 't1', 1)")
    >>> rows, left_out = leadership(con)
    >>> rows.select("level", "headcount", "contributors", "threads_started", "replied_share").rows()
    [('manager', 5, 2, 2, 0.5), ('staff', 10, 1, 0, None)]
    """
    rows, left_out, outer = _compare(con, "level", by, period, start, end, min_group_size)
    g = _grain(period)
    groups = outer + ["level"]
    query = sql("threads").format(
        group_columns=group_columns(groups), groups=", ".join(f"g{i}" for i in range(len(groups))),
        trunc=g.trunc, label=g.label, thread_starts=materialise.sources(con, period, start, end).thread_starts,
    )
    threads = con.execute(query, {"from_date": start, "to_date": end}).pl()
    threads = threads.rename({f"g{i}": name for i, name in enumerate(groups)})
    rows = rows.join(threads, on=["period", *groups], how="left").with_columns(
        pl.col("threads_started").fill_null(0), pl.col("threads_replied").fill_null(0)
    ).with_columns(
        (pl.col("threads_replied") / pl.when(pl.col("threads_started") > 0).then(pl.col("threads_started"))).alias(
            "replied_share"
        )
    )
    order = pl.col("level").replace_strict(LEVELS, list(range(len(LEVELS))), default=len(LEVELS))
    return rows.sort(["period", *outer, order, "level"]), left_out


def frontline(
    con: duckdb.DuckDBPyConnection,
    by: str = "organisation",
    period: str = "month",
    start: date | None = None,
    end: date | None = None,
    min_group_size: int = 5,
) -> tuple[pl.DataFrame, int]:
    """Participation of frontline workers against desk workers (the digital divide).

    Returns the rows (``period``, the group column ``by`` unless ``organisation``, ``frontline``
    (``frontline``, ``desk`` or ``(not set)``), ``headcount``, ``active``, ``contributors``,
    ``participation_rate``, ``contribution_rate``) and the number of groups left out.

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute("insert into people (person_key, person_id, frontline) "
    ...                 "select i, 'p' || i, i > 5 from range(1, 16) t(i)")
    >>> _ = con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) "
    ...                 "select i, 'x', '2026-01-05', i, 'reaction', 1 from range(1, 9) t(i)")
    >>> frontline(con)[0].select("frontline", "headcount", "active", "participation_rate").rows()
    [('desk', 5, 5, 1.0), ('frontline', 10, 3, 0.3)]
    """
    rows, left_out, _ = _compare(con, "frontline", by, period, start, end, min_group_size)
    return rows, left_out


@register("leadership", "participation of executives and managers against staff, and replies to their threads",
          default_by="organisation")
def leadership_metric(con: duckdb.DuckDBPyConnection, params: MetricParams) -> MetricResult:
    rows, left_out = leadership(con, params.by, params.period, params.start, params.end, params.min_group_size)
    return MetricResult(rows=rows, suppressed_groups=left_out, extra=reads_extra(con))


@register("frontline", "participation of frontline workers against desk workers", default_by="organisation")
def frontline_metric(con: duckdb.DuckDBPyConnection, params: MetricParams) -> MetricResult:
    rows, left_out = frontline(con, params.by, params.period, params.start, params.end, params.min_group_size)
    return MetricResult(rows=rows, suppressed_groups=left_out, extra=reads_extra(con))
