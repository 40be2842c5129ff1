"""Organisation-level usage: what the Microsoft 365 reports say of the tenant as a whole.

A report whose names are concealed (32-hex digests, the tenant default since September 2021)
cannot say who read or posted, nor in which department or community: only how many licensed
users did, over the report's window ("412 licensed users read Viva Engage in the 30 days to
31 October"). These counts are kept apart from every per-person figure (participation never
reads them) and travel with a ``covers`` column saying what they are true of.
"""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from metrics._sql import sql
from metrics.measure import MetricParams, MetricResult, register
from ruche.i18n import N_

#: The measure whose value is the number of people a report's row of totals is over (the group
#: the privacy threshold applies to); a groups report counts communities, not people.
POPULATION = "users"

#: What a row of totals covers, as usage_org.sql writes it (``covers``): kept in the store's words,
#: said in the language in use where it is shown.
COVERS = (N_("organisation only: concealed report, no group figure"), N_("organisation: a report naming its users"))

NOTE = N_("organisation-level counts over each report's window: a concealed report gives no figure per person, "
          "group or department (docs/formats.md says how to turn concealment off)")


def organisation_usage(
    con: duckdb.DuckDBPyConnection,
    start: date | None = None,
    end: date | None = None,
    min_group_size: int = 1,
) -> tuple[pl.DataFrame, int]:
    """The Microsoft 365 reports' totals per report, refresh date, period and measure.

    Returns the tidy frame (``source``, ``report_date``, ``period_days``, ``measure``, ``value``,
    ``level`` = ``organisation``, ``concealed``, ``covers``: what the figure is true of) and the
    number of reports' totals left out because they are over fewer than ``min_group_size`` users.
    Concealed reports' totals come from ``usage_org_snapshots``; a report naming its users gives
    the same measures over the rows it loaded. ``start``/``end`` select refresh dates.

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute(
    ...     "insert into usage_org_snapshots values "
    ...     "('m365-engage-activity', '2026-10-31', 30, 'users', 9, 1), "
    ...     "('m365-engage-activity', '2026-10-31', 30, 'readers', 4, 1)")
    >>> frame, left_out = organisation_usage(con, min_group_size=5)
    >>> frame.select("measure", "value", "level", "concealed").rows()
    [('readers', 4, 'organisation', True), ('users', 9, 'organisation', True)]
    >>> organisation_usage(con, min_group_size=10)[1]   # 9 users: under the threshold
    1
    """
    frame = con.execute(sql("usage_org"), {"from_date": start, "to_date": end}).pl()
    window = ["source", "report_date", "period_days", "concealed"]
    small = (frame.filter((pl.col("measure") == POPULATION) & (pl.col("value") < min_group_size))
             .select(window).unique())
    if small.height:
        frame = frame.join(small, on=window, how="anti")
    return frame, small.height


@register("organisation-usage", N_("Microsoft 365 reports' totals for the whole organisation (concealed reports included)"),
          default_by="organisation")
def organisation_usage_metric(con: duckdb.DuckDBPyConnection, params: MetricParams) -> MetricResult:
    rows, left_out = organisation_usage(con, params.start, params.end, params.min_group_size)
    extra = {"level": "organisation"}
    if rows.height and rows["concealed"].any():
        extra["note"] = NOTE
    return MetricResult(rows=rows, suppressed_groups=left_out, extra=extra)
