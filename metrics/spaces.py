"""Communities: the spaces where people meet (Viva Engage groups, Slack and Mattermost channels,
events spaces), their activity, responsiveness, idleness and a health score whose parts are shown
(docs/metrics.md, "Communities").

Over a range, per space: members (the people the exports show in it, any activity, joins
included, up to the end of the range: no export lists a space's members), active members (an
activity in the range), posts, replies, replies per thread, readers (people with a read of it,
where a source reports reads per space), the threads started in the range, the share answered by
someone other than the author (up to the end of the range), the median and 90th percentile of the
time to that first reply in calendar hours, and the contributions of the last ``idle_days`` days
against the as many days before (the trend).

- **Idle**: a community with no post or reply over the last ``idle_days`` (30) days of the range
  (Viva Engage's community insights call a community active over a window when someone
  contributed in it).
- **Health score** (0-100): the weighted sum of five parts, each between 0 and 1
  (:data:`HEALTH_PARTS`): active members / members, threads answered / threads, threads answered
  within ``fast_hours`` (24) / threads, replies per thread / 2 (at most 1), and momentum (the
  recent contributions / those before, at most 1; 1 when both are nought is no momentum: 0).
  A community with no thread in the range scores 0 on the three thread parts.

Private spaces and direct conversations are pooled into one row (``private conversations``),
never listed one by one; a community with fewer than k members is not shown one by one either
(counted in ``suppressed_groups``), nor the pool when it holds fewer than k people. The
organisation's figures (``extra``) count every thread and every community, shown or not: a count of
spaces and a time over all threads name nobody.

The metric has no figure per group: a space is not part of a department; its rows are the
organisation's whatever the group-by attribute (:data:`metrics.figures.ORGANISATION_ONLY`).
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import polars as pl

from metrics._sql import sql
from metrics.measure import MetricParams, MetricResult, register
from metrics.participation import labels
from metrics.population import KNOWN, data_bounds
from metrics import bases
from ruche.i18n import N_

POOLED = "private conversations (pooled)"

#: The parts of the health score: (column, weight, what it is).
HEALTH_PARTS: list[tuple[str, float, str]] = [
    ("part_active", 0.25, N_("active members / members")),
    ("part_answered", 0.25, N_("threads answered / threads started")),
    ("part_quick", 0.20, N_("threads answered within a day / threads started")),
    ("part_depth", 0.15, N_("replies per thread / 2, at most 1")),
    ("part_momentum", 0.15, N_("contributions of the last 30 days / the 30 before, at most 1")),
]

COLUMNS = [
    "community", "source", "kind", "members", "active_members", "posts", "replies", "replies_per_thread",
    "readers", "threads", "threads_answered", "answered_share", "first_reply_median_hours",
    "first_reply_p90_hours", "last_contribution", "recent_contributions", "previous_contributions", "trend",
    "idle", "health", *[name for name, _, _ in HEALTH_PARTS], "members_reported", "reads_reported",
]


def _ratio(a: str, b: str) -> pl.Expr:
    return pl.when(pl.col(b) > 0).then(pl.col(a) / pl.col(b)).otherwise(None)


def range_parameters(first: date | None, last: date | None) -> dict:
    """The bound parameters of :file:`spaces.sql` for the range ``first``..``last`` (cut to the
    data; None: no data): the range, its whole months (from the first beginning on or after
    ``first`` to the last ending on or before ``last``; the first after the second when it holds
    none) and their month numbers (``year * 12 + month - 1``, as :file:`space_months.sql` numbers
    them).

    >>> p = range_parameters(date(2026, 1, 5), date(2026, 3, 31))
    >>> p["months_from"], p["months_to"], p["first_month"], p["last_month"]
    (datetime.date(2026, 2, 1), datetime.date(2026, 3, 31), 24313, 24314)
    >>> p = range_parameters(date(2026, 1, 5), date(2026, 1, 11))   # no whole month: every day one by one
    >>> p["months_from"] > p["months_to"]
    True
    """
    if first is None or last is None:
        return {"first_day": None, "last_day": None, "months_from": None, "months_to": None,
                "first_month": None, "last_month": None}
    months_from = first if first.day == 1 else (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    months_to = last if (last + timedelta(days=1)).day == 1 else last.replace(day=1) - timedelta(days=1)
    return {"first_day": first, "last_day": last, "months_from": months_from, "months_to": months_to,
            "first_month": months_from.year * 12 + months_from.month - 1,
            "last_month": months_to.year * 12 + months_to.month - 1}


def communities(con: duckdb.DuckDBPyConnection, start: date | None = None, end: date | None = None,
                min_group_size: int = 5, idle_days: int = 30,
                fast_hours: float = 24.0) -> tuple[pl.DataFrame, int, dict]:
    """The communities over ``start``..``end``: the rows shown (:data:`COLUMNS`, most members
    first), the number of communities not shown one by one, and the organisation's figures
    (``communities``, ``idle``, ``threads``, ``threads_answered``, ``unanswered_share``,
    ``first_reply_median_hours``, ``first_reply_p90_hours``).

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute("insert into spaces (space_key, source, space_ref, name, kind) values (1, 'x', 'a', 'Cafe', 'group')")
    >>> _ = con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, space_key, thread_ref, run_id) "
    ...                 "values (1, 'x', '2026-03-02 09:00', 1, 'post', 1, 't1', 1), (2, 'x', '2026-03-02 12:00', 2, 'reply', 1, 't1', 1), "
    ...                 "(3, 'x', '2026-03-03 09:00', 3, 'post', 1, 't2', 1)")
    >>> rows, hidden, org = communities(con, min_group_size=3)
    >>> rows.select("community", "members", "threads", "threads_answered", "first_reply_median_hours", "idle", "health").rows()
    [('Cafe', 3, 2, 1, 3.0, False, 66)]
    >>> org["unanswered_share"], org["idle"]
    (0.5, 0)
    """
    src = bases.sources(con, "month", None, None)
    # the threads counted per space and day, as the load stores them for the default quick reply;
    # else counted from the posts of the query's own CTE (``thread_posts``: read once), as are
    # the times to a first reply on bases not brought up to date
    counts = ("m_space_thread_count" if src.materialised and fast_hours == bases.STORED_FAST_HOURS
              else f"({bases.space_thread_counts_sql('thread_posts')})")
    # the times to a first reply of the answered posts only, as the load stores them
    times = "m_space_reply_time" if src.materialised else f"({bases.space_reply_times_sql('thread_posts')})"
    frame = con.execute(
        sql("spaces").format(space_days=src.space_days, space_members=src.space_members, space_months=src.space_months,
                             space_month_counts=src.space_month_counts,
                             space_totals=src.space_totals, space_thread_posts=src.space_thread_posts,
                             space_thread_counts=counts, space_reply_times=times),
        {**range_parameters(*data_bounds(con, start, end, src.days)), "idle_days": idle_days, "fast_hours": fast_hours},
    ).pl()
    read_sources = {s for (s,) in con.execute("select distinct source from activities where kind = 'read'").fetchall()}
    # every step below in one plan, collected at once (each collect of a small frame waits its
    # turn on polars' threads, which DuckDB's keep busy beside it on the Communities page)
    spaces = frame.lazy().filter(pl.col("kind") != "all").with_columns(
        # a space without a name (an events file's) told apart by the store's own number for it
        pl.when(pl.col("pooled")).then(pl.lit(POOLED))
        .otherwise(pl.col("name").fill_null(pl.lit("(unnamed space ") + pl.col("space_key").cast(pl.Utf8) + ")"))
        .alias("community"),
        # a source that reports no reads says nothing of readers
        pl.when(pl.col("source").is_in(list(read_sources))).then(pl.col("readers")).otherwise(None).alias("readers"),
        _ratio("replies", "threads").alias("replies_per_thread"),
        _ratio("threads_answered", "threads").alias("answered_share"),
        pl.col("recent").alias("recent_contributions"),
        pl.col("before").alias("previous_contributions"),
        (pl.col("recent") - pl.col("before")).alias("trend"),
        pl.when(pl.col("pooled")).then(None).otherwise(pl.col("recent") == 0).alias("idle"),
        _ratio("active_members", "members").fill_null(0.0).alias("part_active"),
        _ratio("threads_answered", "threads").fill_null(0.0).alias("part_answered"),
        _ratio("answered_fast", "threads").fill_null(0.0).alias("part_quick"),
        (_ratio("replies", "threads") / 2).clip(upper_bound=1.0).fill_null(0.0).alias("part_depth"),
        pl.when(pl.col("recent") == 0).then(0.0)
        .when(pl.col("before") == 0).then(1.0)
        .otherwise((pl.col("recent") / pl.col("before")).clip(upper_bound=1.0)).alias("part_momentum"),
    )
    score = sum(pl.col(name) * weight for name, weight, _ in HEALTH_PARTS)
    # half up: 74.5 (74.4999... in binary) is 75
    spaces = spaces.with_columns(((score * 100).round(9) + 0.5).floor().cast(pl.Int64).alias("health"))
    overall, counts, shown = pl.collect_all([
        frame.lazy().filter(pl.col("kind") == "all"),
        spaces.select(pl.len().alias("spaces"), (~pl.col("pooled")).sum().alias("public"),
                      pl.col("idle").filter(~pl.col("pooled")).sum().alias("idle")),
        spaces.filter(pl.col("members") >= min_group_size).select(COLUMNS)
        .sort(["members", "community"], descending=[True, False]),
    ])
    hidden = counts["spaces"][0] - shown.height
    threads = overall["threads"][0] if overall.height else 0
    answered = overall["threads_answered"][0] if overall.height else 0
    org = {
        "communities": int(counts["public"][0]),
        "idle": int(counts["idle"][0]),
        "threads": int(threads),
        "threads_answered": int(answered),
        "unanswered_share": (threads - answered) / threads if threads else None,
        "first_reply_median_hours": overall["first_reply_median_hours"][0] if overall.height else None,
        "first_reply_p90_hours": overall["first_reply_p90_hours"][0] if overall.height else None,
        "idle_days": idle_days,
        "fast_hours": fast_hours,
        "health_parts": [{"part": n, "weight": w, "is": what} for n, w, what in HEALTH_PARTS],
        "hidden_unit": ("community", "communities", "members"),
    }
    return shown, hidden, org


@register("communities", N_("communities (groups, channels): members, activity, time to first reply, idle, health score"),
          default_by="organisation")
def communities_metric(con: duckdb.DuckDBPyConnection, params: MetricParams) -> MetricResult:
    with bases.freshness_held(con):  # the bases' freshness read once for the figures and their labels
        rows, hidden, org = communities(
            con, params.start, params.end, params.min_group_size,
            idle_days=int(params.extra.get("idle_days", 30)), fast_hours=float(params.extra.get("fast_hours", 24.0)),
        )
        # members are whoever the exports show in a space, internal or external; no group of
        # people, so no organisation (as it was or today's) to name
        extra = {**org, **labels(con, KNOWN, params.start, params.end, attribution=None)}
    return MetricResult(rows=rows, suppressed_groups=hidden, extra=extra)
