"""Participation: who is active, who contributes, per period and group.

Definitions (METRICS.md): *active* in a period means at least one activity of any kind, or a
usage report of that period showing reads, likes or posts; a *contributor* posted or replied.
Rates divide by the *headcount*: internal people employed during the period (hired before its
end, not left before its start). External people are never counted in a headcount.
"""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from metrics._sql import sql
from metrics.groups import grain as _grain
from metrics.groups import group_expression, suppress_small_groups
from metrics.registry import MetricParams, MetricResult, register


def participation(
    con: duckdb.DuckDBPyConnection,
    by: str = "department",
    period: str = "month",
    start: date | None = None,
    end: date | None = None,
    min_group_size: int = 5,
) -> tuple[pl.DataFrame, int]:
    """Participation and contribution rates per period and group.

    Returns the tidy frame (``period``, the group column named ``by``, ``headcount``,
    ``active``, ``contributors``, ``participation_rate``, ``contribution_rate``) and the number
    of groups left out because they hold fewer than ``min_group_size`` people. A period with no
    people yields no row; a group with people but no activity has rates of 0.

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute(
    ...     "insert into people (person_key, person_id, department, in_directory) "
    ...     "select i, 'p' || i, case when i <= 6 then 'Sales' when i <= 9 then 'Legal' else 'Tax' end, true "
    ...     "from range(1, 12) t(i)")
    >>> _ = con.execute(
    ...     "insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) values "
    ...     "(1, 'x', '2026-03-02', 1, 'post', 1), (2, 'x', '2026-03-05', 2, 'reaction', 1)")
    >>> frame, left_out = participation(con, by="department", min_group_size=5)
    >>> frame.select("period", "department", "headcount", "active", "participation_rate").rows()
    [('2026-03', 'Sales', 6, 2, 0.3333333333333333)]
    >>> left_out   # Legal (3 people) and Tax (2): together 5, so neither can be recovered
    2
    """
    g = _grain(period)
    query = sql("participation").format(
        group_expr=group_expression(by), trunc=g.trunc, step=g.step, label=g.label
    )
    frame = pl.from_arrow(
        con.execute(query, {"from_date": start, "to_date": end}).arrow()
    ).rename({"grp": by})
    frame = frame.with_columns(
        (pl.col("active") / pl.col("headcount")).alias("participation_rate"),
        (pl.col("contributors") / pl.col("headcount")).alias("contribution_rate"),
    )
    return suppress_small_groups(frame, by, "headcount", min_group_size, within=["period"])


@register("participation", "participation and contribution rates per period and group")
def participation_metric(con: duckdb.DuckDBPyConnection, params: MetricParams) -> MetricResult:
    rows, left_out = participation(
        con, by=params.by, period=params.period, start=params.start, end=params.end,
        min_group_size=params.min_group_size,
    )
    return MetricResult(rows=rows, suppressed_groups=left_out)
