"""Responsiveness: how fast and how often threads get a first reply, per period and group
(CHAOSS "time to first response"; docs/metrics.md, "Responsiveness").

A thread started in the range (a post) is *answered* when someone other than its author replied
in it up to the end of the range; its *time to first reply* is the calendar time (hours, nights
and weekends included) from the post to that reply. Per period (of the post) and group (of its
author, internal people): threads, threads answered, the unanswered
share, the median and 90th percentile of the time to first reply (answered threads only).
A thread counts in the groups its author held on the day it started, or, restated, in the groups
they hold now (the ``attribution``, docs/metrics.md "Group attribution over time").

The groups shown are those participation shows for the same period (one decision per
population, :mod:`metrics.suppression`, from the headcount employed in the period); the
organisation's rows are ``--by organisation``. Per community: :mod:`metrics.spaces`.
"""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from metrics import bases
from metrics._sql import sql
from metrics.groups import grain as _grain
from metrics.groups import people_by_attribute, shift_period
from metrics.measure import MetricParams, MetricResult, register
from metrics.participation import labels, participation_frame
from metrics.population import EMPLOYED_IN_PERIOD, bounds_sql, data_bounds
from metrics.suppression import decide, decide_as
from ruche.i18n import N_

COLUMNS = ["period", "headcount", "threads", "threads_answered", "unanswered_share",
           "first_reply_median_hours", "first_reply_p90_hours", "partial"]


def threads_sql(con: duckdb.DuckDBPyConnection, only: str = "true") -> str:
    """The query of the threads started in a range and the hours to their first reply (bound
    parameters ``$from_date``, ``$to_date``): the same whatever the grain and the group-by, so a
    caller computing several of them may hold it in a table (``threads`` of :func:`responsiveness`).
    ``only``: a condition on the day of posting ``t.day`` (from the code), the threads of some periods."""
    src = bases.sources(con, "month", None, None)
    return sql("responsiveness_threads").format(bounds=bounds_sql(src.days), thread_posts=src.thread_posts, only=only)


#: How the hours to a first reply are counted (the ``time`` of the result's ``extra``).
TIME = "calendar hours (nights and weekends included)"


def responsiveness(con: duckdb.DuckDBPyConnection, by: str = "department", period: str = "month",
                   start: date | None = None, end: date | None = None,
                   min_group_size: int = 5, *, threads: str | None = None,
                   heads: pl.DataFrame | None = None, attribution: str = bases.AS_IT_WAS,
                   ) -> tuple[pl.DataFrame, int]:
    """Threads, threads answered, unanswered share and time to first reply (hours) per period and
    group; and the number of groups left out.

    ``threads``: a table holding :func:`threads_sql` over ``start``..``end``; ``heads``: the
    participation over them (:func:`metrics.participation.participation_frame` of ``by`` and
    ``period``, under ``attribution``). Computed here when not given.

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute("insert into people (person_key, person_id, department) select i, 'p' || i, 'Ops' from range(1, 6) t(i)")
    >>> _ = con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, thread_ref, run_id) values "
    ...                 "(1, 'x', '2026-03-02 09:00', 1, 'post', 'a', 1), (2, 'x', '2026-03-02 09:00', 1, 'reply', 'a', 1), "
    ...                 "(3, 'x', '2026-03-02 15:00', 2, 'reply', 'a', 1), (4, 'x', '2026-03-03 09:00', 3, 'post', 'b', 1)")
    >>> rows, _ = responsiveness(con, min_group_size=5)
    >>> rows.select("period", "department", "threads", "threads_answered", "unanswered_share", "first_reply_median_hours").rows()
    [('2026-03', 'Ops', 2, 1, 0.5, 6.0)]
    """
    return responsiveness_and_hidden(con, by, period, start, end, min_group_size, threads=threads, heads=heads,
                                     attribution=attribution)[:2]


def responsiveness_and_hidden(con: duckdb.DuckDBPyConnection, by: str, period: str, start: date | None,
                              end: date | None, min_group_size: int, *, threads: str | None = None,
                              heads: pl.DataFrame | None = None, attribution: str = bases.AS_IT_WAS,
                              ) -> tuple[pl.DataFrame, int, pl.DataFrame]:
    """:func:`responsiveness`, and the groups each period left out (``period``, ``by``): each
    period's row stands on its own (the threads started in it, answered up to ``end``)."""
    if heads is None:
        heads = participation_frame(con, [by], period, start, end, attribution=attribution)
    return responsiveness_by(con, [by], period, start, end, min_group_size, threads=threads,
                             heads={by: heads}, attribution=attribution)[by]


def responsiveness_by(con: duckdb.DuckDBPyConnection, bys: list[str], period: str, start: date | None,
                      end: date | None, min_group_size: int, *, threads: str | None = None,
                      heads: dict[str, pl.DataFrame], attribution: str = bases.AS_IT_WAS,
                      shown: dict[str, pl.DataFrame] | None = None,
                      ) -> dict[str, tuple[pl.DataFrame, int, pl.DataFrame]]:
    """:func:`responsiveness_and_hidden` of each attribute of ``bys``, the threads counted in one
    query; ``heads``: the participation over ``start``..``end`` of each attribute under the same
    ``attribution`` (the headcounts the groups shown are decided on); ``shown``: the keys
    (``period``, attribute) of the groups shown on those headcounts under ``min_group_size``,
    when the caller decided them already (participation decides on the same:
    :func:`metrics.suppression.decide_as`)."""
    parts = _thread_counts(con, bys, period, start, end, threads, attribution)
    out = {}
    for by in bys:
        frame = _with_counts(heads[by], parts[by], by)
        rows, left_out, hidden = (decide(frame, by, "headcount", min_group_size, within=["period"]) if shown is None
                                  else decide_as(frame, shown[by], by, within=["period"]))
        out[by] = rows.select("period", by, *COLUMNS[1:]).sort("period", by), left_out, hidden
    return out


def _thread_counts(con: duckdb.DuckDBPyConnection, bys: list[str], period: str, start: date | None,
                   end: date | None, threads: str | None = None,
                   attribution: str = bases.AS_IT_WAS, only: list[date] | None = None) -> dict[str, pl.DataFrame]:
    """The threads, threads answered and time to first reply per period and group of each
    attribute, each thread in the groups its author held on the day it started (or holds now);
    ``only``: the threads started in these periods (their first days) alone."""
    g = _grain(period)
    days = "true" if only is None else " or ".join(
        f"(t.day >= '{p.isoformat()}'::date and t.day < '{shift_period(period, p, 1).isoformat()}'::date)"
        for p in only) or "false"
    # held in a table, the threads' authors alone: every other person's versions are never joined
    people = bases.people_versions_of(attribution, bys, people=threads)
    query = sql("responsiveness").format(people=people_by_attribute(bys, people),
                                         trunc=g.trunc, label=g.label,
                                         threads=threads or f"({threads_sql(con, days)})")
    counts = con.execute(query, None if threads else {"from_date": start, "to_date": end}).pl()
    parts = counts.partition_by("by_attribute", as_dict=True, include_key=False)
    return {by: parts.get((by,), counts.clear().drop("by_attribute")).rename({"g0": by}) for by in bys}


def _with_counts(heads: pl.DataFrame, part: pl.DataFrame, by: str) -> pl.DataFrame:
    frame = heads.select("period", by, "headcount", "partial").join(part, on=["period", by], how="left")
    return frame.with_columns(
        pl.col("threads", "threads_answered").fill_null(0).cast(pl.Int64),
    ).with_columns(
        pl.when(pl.col("threads") > 0)
        .then((pl.col("threads") - pl.col("threads_answered")) / pl.col("threads")).alias("unanswered_share"),
    )


def periods_counted_again(con: duckdb.DuckDBPyConnection, period: str, start: date | None,
                          end: date | None) -> pl.DataFrame:
    """The periods (``period``, ``period_start``) of ``start``..``end`` whose threads or times to
    a first reply over the range are not those of the whole history (:file:`responsiveness_recount.sql`)."""
    g = _grain(period)
    src = bases.sources(con, "month", None, None)
    first, last = data_bounds(con, start, end, src.days)
    return con.execute(
        sql("responsiveness_recount").format(thread_posts=src.thread_posts, trunc=g.trunc, label=g.label),
        {"first_day": first, "last_day": last}).pl()


def responsiveness_of(con: duckdb.DuckDBPyConnection, by: str, period: str, start: date | None, end: date | None,
                      shown: pl.DataFrame, attribution: str = bases.AS_IT_WAS) -> pl.DataFrame:
    """The rows of :func:`responsiveness` for the groups and periods of ``shown`` (``period``,
    ``by``, ``headcount``, ``partial``: the rows the minimum size lets through over the range),
    the threads counted over ``start``..``end``. Over a range of whole periods, the groups shown
    in each are those of the rows stored for the whole range (each period is decided on its own
    headcount): only the threads are counted again, as they are answered up to the end of the
    range (:func:`metrics.results.range_result`).

    ``shown`` holds the whole history's figures too: a period whose threads and times are those of
    the whole history (no author's post in it whose previous day of posting in the thread came
    before the range, no first reply after its end: :file:`responsiveness_recount.sql`) keeps them;
    only the others are counted again."""
    changed = periods_counted_again(con, period, start, end)
    columns = ["period", by, *COLUMNS[1:]]
    if not set(columns) <= set(shown.columns):  # no figures to keep: every period counted
        part = _thread_counts(con, [by], period, start, end, attribution=attribution)[by]
        return _with_counts(shown, part, by).select(columns).sort("period", by)
    again = pl.col("period").is_in(changed["period"].implode())
    # both in one collect (each waits its turn on polars' threads); one row per period and group
    kept, redo = pl.collect_all([shown.lazy().filter(~again).select(columns).sort("period", by),
                                 shown.lazy().filter(again)])
    if redo.height:
        part = _thread_counts(con, [by], period, start, end, attribution=attribution,
                              only=changed["period_start"].to_list())[by]
        kept = pl.concat([kept, _with_counts(redo, part, by).select(columns).cast(kept.schema)]).sort("period", by)
    return kept


@register("responsiveness", N_("threads answered and time to first reply (hours) per period and group of the author"))
def responsiveness_metric(con: duckdb.DuckDBPyConnection, params: MetricParams, *, threads: str | None = None,
                          heads: pl.DataFrame | None = None) -> MetricResult:
    attribution = bases.attribution_of(params)
    rows, left_out = responsiveness(con, params.by, params.period, params.start, params.end, params.min_group_size,
                                    threads=threads, heads=heads, attribution=attribution)
    return MetricResult(rows=rows, suppressed_groups=left_out,
                        extra={**labels(con, EMPLOYED_IN_PERIOD, params.start, params.end, attribution),
                               "time": TIME})
