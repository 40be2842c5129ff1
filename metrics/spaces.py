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

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import numpy as np
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


#: The group of the threads of the pool of private conversations, of those of no known space, and
#: of every thread, in :class:`KeptReplies` and :func:`reply_quantiles` (a public space's: its key).
POOL, NO_SPACE, EVERY = -1, -2, -3
#: The fractions :file:`spaces.sql` takes of the times to a first reply: the median, the 90th percentile.
FRACTIONS = (0.5, 0.9)
_EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class KeptReplies:
    """The times to a first reply of every answered thread (``m_space_reply_time``), kept in memory
    in the order their quantiles are read in: by the row they are shown under, then by time. A
    range's quantiles are then picked from the threads it holds (:func:`reply_quantiles`), with no
    sort; DuckDB's sorts them at every range (its ``quantile_cont``, most of the Communities query
    over a year). Days as numbers of days from 1970-01-01; 28 bytes a thread (10 MB for the 368,506
    answered threads of a year of 100,000 people)."""

    group: np.ndarray  # the row: a public space's key, POOL, NO_SPACE
    hours: np.ndarray  # seconds / 3600.0, as spaces.sql takes them
    day: np.ndarray  # the thread's first post
    prev_day: np.ndarray  # the author's previous day of posting in it (none: far before any day)
    reply_day: np.ndarray  # the first reply
    starts: np.ndarray  # where each row's threads begin, one more at the end: where they end
    keys: np.ndarray  # the row of each start
    by_hours: np.ndarray  # the threads' positions in the order of their times alone


def keep_replies(con: duckdb.DuckDBPyConnection) -> KeptReplies:
    """:class:`KeptReplies` of the store of ``con``, its bases fresh (the times are
    ``m_space_reply_time``'s). A space is pooled as :file:`spaces.sql` pools it."""
    found = con.execute(f"""
        select
            case when r.pooled then {POOL} else coalesce(t.space_key, {NO_SPACE}) end::integer as grp,
            t.seconds / 3600.0 as hours,
            (t.day - date '1970-01-01')::integer as day,
            coalesce(t.prev_day - date '1970-01-01', -1000000000)::integer as prev_day,
            (t.reply_day - date '1970-01-01')::integer as reply_day
        from m_space_reply_time as t
        left join (
            select space_key, coalesce(is_private, false) or kind in ('direct', 'private-channel') as pooled
            from spaces
        ) as r using (space_key)
        order by grp, hours
    """).fetchnumpy()
    group = np.asarray(found["grp"], dtype=np.int32)
    hours = np.asarray(found["hours"], dtype=np.float64)
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]]) if len(group) else np.zeros(0, dtype=np.int64)
    return KeptReplies(
        group=group, hours=hours, day=np.asarray(found["day"], dtype=np.int32),
        prev_day=np.asarray(found["prev_day"], dtype=np.int32),
        reply_day=np.asarray(found["reply_day"], dtype=np.int32),
        starts=np.r_[starts, len(group)].astype(np.int64), keys=group[starts],
        by_hours=np.argsort(hours, kind="stable").astype(np.int32),
    )


def _picked(values: np.ndarray, counted: np.ndarray, before: np.ndarray, n: np.ndarray) -> list[np.ndarray]:
    """The quantiles of :data:`FRACTIONS` of the ``n`` values counted (``counted``: the running
    count of the values kept, in the order of ``values``) after the ``before`` kept ahead of each
    group, as DuckDB's ``quantile_cont`` interpolates them: at ``(n - 1) * q``, the two values
    around it weighted as ``lo * (1 - d) + hi * d`` (the same operations on the same doubles)."""
    out = []
    for q in FRACTIONS:
        rn = (n - 1).astype(np.float64) * q
        lo_rank, hi_rank = np.floor(rn).astype(np.int64), np.ceil(rn).astype(np.int64)
        lo = values[np.searchsorted(counted, before + lo_rank + 1)]
        hi = values[np.searchsorted(counted, before + hi_rank + 1)]
        d = rn - lo_rank
        out.append(np.where(lo_rank == hi_rank, lo, lo * (1.0 - d) + hi * d))
    return out


def reply_quantiles(kept: KeptReplies, first: date | None, last: date | None) -> pl.DataFrame:
    """The median and 90th percentile of the times to a first reply (hours) of the threads
    started in ``first``..``last`` and answered by its end, as :file:`spaces.sql` takes them
    (``thread_quantiles``), from ``kept``: per row shown (``group``: a public space's key,
    :data:`POOL`, :data:`NO_SPACE`) and over every thread (:data:`EVERY`); a row without such a
    thread has none. ``tests/test_communities.py`` compares the two over many ranges."""
    schema = {"group": pl.Int64, "median": pl.Float64, "p90": pl.Float64}
    if first is None or last is None or not len(kept.group):
        return pl.DataFrame(schema=schema)
    lo, hi = (first - _EPOCH).days, (last - _EPOCH).days
    held = (kept.day >= lo) & (kept.day <= hi) & (kept.prev_day < lo) & (kept.reply_day <= hi)
    counted = np.cumsum(held, dtype=np.int64)
    ahead = np.r_[0, counted][kept.starts]  # the threads held before each row's first one
    before, n = ahead[:-1], np.diff(ahead)
    some = n > 0
    rows = _picked(kept.hours, counted, before[some], n[some])
    every = np.cumsum(held[kept.by_hours], dtype=np.int64)
    total = np.array([every[-1]], dtype=np.int64)
    overall = _picked(kept.hours[kept.by_hours], every, np.zeros(1, dtype=np.int64), total) if total[0] else [[], []]
    return pl.DataFrame({
        "group": np.r_[kept.keys[some], [EVERY] * (1 if total[0] else 0)].astype(np.int64),
        "median": np.r_[rows[0], overall[0]], "p90": np.r_[rows[1], overall[1]],
    }, schema=schema)


def communities(con: duckdb.DuckDBPyConnection, start: date | None = None, end: date | None = None,
                min_group_size: int = 5, idle_days: int = 30, fast_hours: float = 24.0,
                kept: KeptReplies | None = None) -> tuple[pl.DataFrame, int, dict]:
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
    kept = kept if src.materialised else None  # the times kept are the bases'
    bounds = range_parameters(*data_bounds(con, start, end, src.days))
    frame = con.execute(
        sql("spaces").format(space_days=src.space_days, space_members=src.space_members, space_months=src.space_months,
                             space_month_counts=src.space_month_counts,
                             space_totals=src.space_totals, space_thread_posts=src.space_thread_posts,
                             space_thread_counts=counts, space_reply_times=times),
        {**bounds, "idle_days": idle_days, "fast_hours": fast_hours, "quantiles": kept is None},
    ).pl()
    if kept is not None:  # the quantiles picked from the times kept sorted, for the same threads
        frame = _with_quantiles(frame, reply_quantiles(kept, bounds["first_day"], bounds["last_day"]))
    # the sources reporting reads per space: from the counts of people reading per space and month
    # (a few thousand rows) on fresh bases, else from the activities
    read_sources = {s for (s,) in con.execute(
        "select distinct s.source from spaces as s semi join (select space_key from m_space_month_count where read) "
        "using (space_key)" if src.materialised else
        "select distinct s.source from activities as a join spaces as s using (space_key) where a.kind = 'read'"
    ).fetchall()}
    # every step below in one plan, collected at once (each collect of a small frame waits its
    # turn on polars' threads, which DuckDB's keep busy beside it on the Communities page)
    spaces = frame.lazy().filter(pl.col("kind") != "all").with_columns(
        # a space without a name (an events file's) told apart by the store's own number for it
        pl.when(pl.col("pooled")).then(pl.lit(POOLED))
        .otherwise(pl.col("name").fill_null(pl.lit("(unnamed space ") + pl.col("space_key").cast(pl.Utf8) + ")"))
        .alias("community"),
        # a source that reports no reads per space says nothing of a space's readers
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


def _with_quantiles(frame: pl.DataFrame, quantiles: pl.DataFrame) -> pl.DataFrame:
    """The rows of :file:`spaces.sql` with their times to a first reply from ``quantiles``
    (:func:`reply_quantiles`): a public space's by its key, the pool's, every thread's."""
    group = (pl.when(pl.col("kind") == "all").then(pl.lit(EVERY))
             .when(pl.col("pooled")).then(pl.lit(POOL))
             .otherwise(pl.col("space_key").cast(pl.Int64)))
    return (frame.with_columns(group.alias("_group"))
            .join(quantiles.rename({"group": "_group"}), on="_group", how="left")
            .with_columns(pl.col("median").alias("first_reply_median_hours"),
                          pl.col("p90").alias("first_reply_p90_hours"))
            .select(frame.columns))


@register("communities", N_("communities (groups, channels): members, activity, time to first reply, idle, health score"),
          default_by="organisation")
def communities_metric(con: duckdb.DuckDBPyConnection, params: MetricParams,
                       kept: KeptReplies | None = None) -> MetricResult:
    """The communities metric; ``kept``: the times to a first reply kept sorted
    (:func:`keep_replies`), when the caller keeps them (the dashboard, once per published store)."""
    with bases.freshness_held(con):  # the bases' freshness read once for the figures and their labels
        rows, hidden, org = communities(
            con, params.start, params.end, params.min_group_size,
            idle_days=int(params.extra.get("idle_days", 30)), fast_hours=float(params.extra.get("fast_hours", 24.0)),
            kept=kept,
        )
        # members are whoever the exports show in a space, internal or external; no group of
        # people, so no organisation (as it was or today's) to name
        extra = {**org, **labels(con, KNOWN, params.start, params.end, attribution=None)}
    return MetricResult(rows=rows, suppressed_groups=hidden, extra=extra)
