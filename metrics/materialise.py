"""Materialised aggregates: what the metrics read, kept up to date after each load.

Every metric is an aggregate of these bases, computed from ``activities`` and ``usage_snapshots``:

``m_person_day``
    one row per person and day (activities by kind, responses received and replies among them,
    usage-report presence);
``m_person_period``
    the same per person and week, month and quarter (``grain``), with the number of active days,
    the last contribution date and whether the person was active in the period before as well
    (``active_before``, for retention);
``m_person_month``
    the months each person was active, reacted and contributed in, and the quarters they were
    active in, as bits of a bigint per block of 60 months (read from ``m_person_period``: the
    onboarding funnel over any range);
``m_person_arrival``
    each person's first activity, ever (the cohorts' month of arrival);
``m_thread_reply``
    the first day each person replied in each thread;
``m_thread_start``
    the threads each person started per day, with the first day someone else replied in them;
``m_space_person``
    activities per space and person over the whole history (where insiders and outsiders meet);
``m_thread_post``, ``m_space_thread_post``
    the posts of each person in each thread (per space in the second), one row per day, with the
    first reply by someone else, to the second, and the author's previous day of posting in it
    (responsiveness and the communities over any range);
``m_space_thread_count``
    the threads of each space counted per day of posting, author's previous day of posting, day
    of the first reply and whether it came within a day (the communities' threads over any range:
    sums of its rows);
``m_space_reply_time``
    the answered posts of ``m_space_thread_post`` with their day, previous day, day of the reply
    and seconds to it (the communities' times to a first reply over any range: the quantiles are
    taken over its rows of the range);
``m_space_day``
    activities per space, person and day, with the person's previous day in the space (the
    communities over any range);
``m_space_member``, ``m_space_total``, ``m_space_month``
    each person's first day in each space, the contributions per space and day, and the months
    each person was active and read in each space, as bits of a bigint per block of 62 months
    (read from ``m_space_day``).
``m_space_month_count``
    the people active and reading per space and month, by their previous month in the space (read
    from ``m_space_month``; the communities' active members over a range's whole months: sums of
    its rows). A load takes out the counts of the pairs of space and person it touches and puts
    them back from their new months.

Group attributes are *not* in the bases (they are joined from ``people`` when a metric runs), so a
new directory never makes them stale. :func:`refresh` runs after every load, in the write that
follows the load's own (``ingest.refresh_derived``): when the load only added rows, it reads only those rows and recomputes the days
they touch, then, for the people they are about, the periods holding those days and the period
after them (one more day of data re-aggregates one day, then one week, one month and one quarter
and the ones after, of a few thousand people), the threads they posted or replied in (from the
posts already in ``m_thread_start`` and the first replies in ``m_thread_reply``), and replaces the
rows of their spaces and people (the posts of the threads they posted or replied in, and the days
of their spaces and people, are read again from the activities of those threads, spaces and
people: a post's first reply is kept to the second); otherwise it rebuilds everything. ``m_state`` records what the
bases were built from.

A metric never reads this module: it asks :func:`metrics.bases.sources` for the relations to read,
which are these tables when :func:`metrics.bases.is_fresh` says they describe the store, and the
same SQL (defined in :mod:`metrics.bases`) computed on the fly otherwise, so the figures never
depend on whether :func:`refresh` ran. This module builds the tables from that SQL and depends on
:mod:`metrics.bases`, never the reverse.

>>> from ruche.store import connect
>>> con = connect(":memory:")
>>> _ = con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) "
...                 "values (1, 'x', '2026-03-02 10:00', 1, 'post', 1), (2, 'x', '2026-03-02 11:00', 1, 'read', 1)")
>>> refresh(con)["mode"]
'full'
>>> con.execute("select day, activities, posts, active from m_person_day").fetchall()
[(datetime.date(2026, 3, 2), 2, 1, True)]
>>> _ = con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) "
...                 "values (3, 'x', '2026-03-03 09:00', 1, 'reply', 2)")
>>> from metrics.bases import sources
>>> refresh(con)["mode"], sources(con, "month", None, None).materialised
('incremental', True)
>>> con.execute("select period_start, activities, active_days from m_person_period where grain = 'month'").fetchall()
[(datetime.date(2026, 3, 1), 3, 2)]
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any

import duckdb

from metrics._sql import sql
from metrics.bases import (
    BASE_VERSION,
    NO_PREVIOUS,
    STORED_FAST_HOURS,
    _person_period_sql,
    _state_now,
    _space_days_sql,
    _person_arrivals_sql,
    _person_months_sql,
    _space_members_sql,
    _space_months_sql,
    space_month_counts_sql,
    _space_totals_sql,
    _state_stored,
    _thread_posts_sql,
    _thread_starts_sql,
    _threads,
    space_reply_times_sql,
    space_thread_counts_sql,
)
from metrics.groups import GRAINS, period_start, shift_period

#: Above this many touched days, a load is treated as a new history and the bases are rebuilt.
MAX_INCREMENTAL_DAYS = 92


def _write_state(con: duckdb.DuckDBPyConnection, state: dict[str, int]) -> None:
    con.execute("create or replace table m_state (key varchar not null, value varchar not null)")
    rows = [(k, str(v)) for k, v in state.items()] + [("version", BASE_VERSION), ("refreshed_at", str(time.time()))]
    con.executemany("insert into m_state values (?, ?)", rows)


#: The grains in the order they are built: a quarter adds up the months already built.
BUILD_ORDER = ["week", "month", "quarter"]
ROLLUP = {"quarter": "month"}


def _period_insert(grain_name: str, previous: date | None = None, people: str | None = None) -> str:
    """The statement adding the rows of ``grain_name`` for the periods from ``$from_date`` to
    ``$to_date``; ``previous``: the start of the period before them, whose rows in the base give
    the first period's ``active_before``; ``people``: a relation of the ``person_key`` to compute
    (None: everyone)."""
    g = GRAINS[grain_name]

    def only(relation: str) -> str:
        return relation if people is None else f"(select * from {relation} semi join {people} using (person_key))"

    before = NO_PREVIOUS if previous is None else only(
        f"(select person_key, period_start, active, posts, replies, read from m_person_period where grain = '{grain_name}'"
        f" and period_start = '{previous.isoformat()}'::date)"
    )
    if grain_name in ROLLUP:
        months = only(f"(select * exclude (grain) from m_person_period where grain = '{ROLLUP[grain_name]}')")
        select = sql("person_period_rollup").format(person_period=months, trunc=g.trunc, step=g.step, covers=g.covers,
                                                    previous=before)
    else:
        select = _person_period_sql(only("m_person_day"), grain_name, before)
    # in the order of the periods: a period's rows are together, which the incremental refresh and
    # the metrics' ranges read
    return (
        f"insert into m_person_period by name select '{grain_name}' as grain, * from ({select}) order by period_start"
    )


def _rebuild(con: duckdb.DuckDBPyConnection) -> None:
    # one statement per base and grain: each holds only its own groups in memory
    con.execute(f"create or replace table m_thread_reply as {sql('thread_replies').format(activities='activities')}")
    con.execute(
        "create or replace table m_thread_start as "
        + _thread_starts_sql(_threads("posts", "activities"), "m_thread_reply")
    )
    con.execute(
        f"create or replace table m_space_person as {sql('space_people').format(activities='activities')}",
        {"from_date": None, "to_date": None},
    )
    # in the order of the days: a range reads the row groups of its days only
    con.execute(f"create or replace table m_thread_post as select * from ({_thread_posts_sql('activities', False)}) "
                "order by day")
    con.execute(f"create or replace table m_space_thread_post as select * from "
                f"({_thread_posts_sql('activities', True)}) order by day")
    con.execute(f"create or replace table m_space_thread_count as select * from "
                f"({space_thread_counts_sql('m_space_thread_post')}) order by day", {"fast_hours": STORED_FAST_HOURS})
    con.execute(f"create or replace table m_space_reply_time as select * from "
                f"({space_reply_times_sql('m_space_thread_post')}) order by day")
    con.execute(f"create or replace table m_space_day as select * from ({_space_days_sql('activities')}) order by day")
    con.execute(f"create or replace table m_space_member as select * from ({_space_members_sql('m_space_day')}) "
                "order by first_day")
    con.execute(f"create or replace table m_space_total as select * from ({_space_totals_sql('m_space_day')}) "
                "order by day")
    con.execute(f"create or replace table m_space_month as select * from ({_space_months_sql('m_space_day')}) "
                "order by block, space_key")
    con.execute(f"create or replace table m_space_month_count as select * from "
                f"({space_month_counts_sql('m_space_month')}) order by month, space_key")
    con.execute(
        f"create or replace table m_person_day as select * from ({sql('person_day')}) order by day",
        {"from_date": None, "to_date": None},
    )
    con.execute(
        "create or replace table m_person_period as select '' as grain, * from "
        f"({_person_period_sql('m_person_day', 'month')}) limit 0",
        {"from_date": None, "to_date": None},
    )
    for g in BUILD_ORDER:
        con.execute(_period_insert(g), {"from_date": None, "to_date": None})
    con.execute(f"create or replace table m_person_month as select * from ({_person_months_sql('m_person_period')}) "
                "order by block, person_key")
    con.execute(f"create or replace table m_person_arrival as {_person_arrivals_sql('activities')}")


def _touched_days(con: duckdb.DuckDBPyConnection, stored: dict[str, int]) -> tuple[date | None, date | None, int]:
    return con.execute(
        """
        with touched as (
            select distinct occurred_at::date as day from activities where run_id > $run
            union
            select distinct coalesce(last_activity, report_date) from usage_snapshots where run_id > $snap_run
        )
        select min(day), max(day), count(*) from touched
        """,
        {"run": stored["activities_run"], "snap_run": stored["snapshots_run"]},
    ).fetchone()


def _only_added(con: duckdb.DuckDBPyConnection, stored: dict[str, int]) -> bool:
    """Whether the store changed since the bases were built only by rows of later runs."""
    old_act = con.execute(
        "select count(*) from activities where run_id <= ?", [stored["activities_run"]]
    ).fetchone()[0]
    old_snap = con.execute(
        "select count(*) from usage_snapshots where run_id <= ?", [stored["snapshots_run"]]
    ).fetchone()[0]
    return old_act == stored["activities"] and old_snap == stored["snapshots"]


def _update(con: duckdb.DuckDBPyConnection, first: date, last: date, stored: dict[str, int]) -> None:
    """Recompute the bases for the days ``first`` to ``last`` and, for the people the new rows
    are about, every period touching them; the threads the new activities posted or replied in;
    and add the new activities per space and person. Reads the activities of an earlier run only
    for the threads posted or replied in and the spaces and people active (the first replies to
    the second and the previous days)."""
    run = {"run": stored["activities_run"]}
    # the new posts and replies: their threads are recomputed from the posts already in the base
    # and the first replies per thread and person (the new ones added), never from the activities
    con.execute(
        "create or replace temp table m_new_threads as "
        "select source, thread_ref, person_key, occurred_at, kind from activities "
        "where run_id > $run and kind in ('post', 'reply') and thread_ref is not null",
        run,
    )
    touched = "(select distinct source, thread_ref from m_new_threads)"
    # one row per thread and person, their first reply: the new first replies, merged with the stored ones
    con.execute("create or replace temp table m_new_replies as "
                + sql("thread_replies").format(activities="m_new_threads"))
    con.execute(
        "create or replace temp table m_merged_replies as select source, thread_ref, person_key, "
        "min(first_day) as first_day from (select * from m_thread_reply semi join m_new_replies "
        "using (source, thread_ref, person_key) union all by name select * from m_new_replies) group by all"
    )
    con.execute("delete from m_thread_reply as r using m_new_replies as n where r.source = n.source "
                "and r.thread_ref = n.thread_ref and r.person_key = n.person_key")
    con.execute("insert into m_thread_reply by name select * from m_merged_replies")
    con.execute("drop table m_new_replies")
    con.execute("drop table m_merged_replies")
    con.execute(f"create or replace temp table m_old_starts as select rowid as old_row, * from m_thread_start "
                f"semi join {touched} using (source, thread_ref)")
    con.execute("delete from m_thread_start where rowid in (select old_row from m_old_starts)")
    posts = (f"(select source, thread_ref, person_key, day, threads from m_old_starts "
             f"union all {_threads('posts', 'm_new_threads')})")
    repliers = f"(select * from m_thread_reply semi join {touched} using (source, thread_ref))"
    con.execute(f"insert into m_thread_start by name {_thread_starts_sql(posts, repliers)}")
    # the posts of those threads with their first reply, to the second: read again from their activities
    thread_acts = f"(select * from activities semi join {touched} using (source, thread_ref))"
    # the spaces and days those threads' posts were counted on, before and after: counted again
    con.execute("create or replace temp table m_touched_thread_days as select distinct p.space_key, p.day "
                f"from m_space_thread_post as p semi join {touched} using (source, thread_ref)")
    for table, per_space in (("m_thread_post", False), ("m_space_thread_post", True)):
        con.execute(f"delete from {table} as p using {touched} as t "
                    "where p.source = t.source and p.thread_ref = t.thread_ref")
        con.execute(f"insert into {table} by name {_thread_posts_sql(thread_acts, per_space)}")
    con.execute("insert into m_touched_thread_days select distinct p.space_key, p.day "
                f"from m_space_thread_post as p semi join {touched} using (source, thread_ref)")
    con.execute("delete from m_space_thread_count as c using m_touched_thread_days as t "
                "where c.space_key = t.space_key and c.day = t.day")
    con.execute("insert into m_space_thread_count by name " + space_thread_counts_sql(
        "(select * from m_space_thread_post semi join m_touched_thread_days using (space_key, day))"),
        {"fast_hours": STORED_FAST_HOURS})
    con.execute("delete from m_space_reply_time as c using m_touched_thread_days as t "
                "where c.space_key = t.space_key and c.day = t.day")
    con.execute("insert into m_space_reply_time by name " + space_reply_times_sql(
        "(select * from m_space_thread_post semi join m_touched_thread_days using (space_key, day))"))
    con.execute("drop table m_touched_thread_days")
    con.execute("drop table m_new_threads")
    con.execute("drop table m_old_starts")
    # the days of the spaces and people the new activities are about, read again (a day's previous day)
    pairs = ("(select distinct space_key, person_key from activities where run_id > $run "
             "and space_key is not null)")
    con.execute(f"create or replace temp table m_touched_pairs as {pairs}", run)
    con.execute("delete from m_space_day as d using m_touched_pairs as t "
                "where d.space_key = t.space_key and d.person_key = t.person_key")
    con.execute("insert into m_space_day by name " + _space_days_sql(
        "(select * from activities semi join m_touched_pairs using (space_key, person_key))"))
    con.execute("delete from m_space_member as m using m_touched_pairs as t "
                "where m.space_key = t.space_key and m.person_key = t.person_key")
    con.execute("insert into m_space_member by name " + _space_members_sql(
        "(select * from m_space_day semi join m_touched_pairs using (space_key, person_key))"))
    # the counts per space and month: those of the pairs' rows before taken out, those after put in
    # (a pair's months are counted in its own space only)
    pair_months = "(select * from m_space_month semi join m_touched_pairs using (space_key, person_key))"
    con.execute("create or replace temp table m_month_count_change as select space_key, read, month, prev_month, "
                f"-people as people from ({space_month_counts_sql(pair_months)})")
    con.execute("delete from m_space_month as m using m_touched_pairs as t "
                "where m.space_key = t.space_key and m.person_key = t.person_key")
    con.execute("insert into m_space_month by name " + _space_months_sql(
        "(select * from m_space_day semi join m_touched_pairs using (space_key, person_key))"))
    con.execute("insert into m_month_count_change by name " + space_month_counts_sql(pair_months))
    con.execute("create or replace temp table m_month_count_new as select space_key, read, month, prev_month, "
                "sum(people)::bigint as people from (select * from m_space_month_count "
                "semi join (select distinct space_key from m_touched_pairs) using (space_key) "
                "union all by name select * from m_month_count_change) group by all having sum(people) <> 0")
    con.execute("delete from m_space_month_count as c using (select distinct space_key from m_touched_pairs) as t "
                "where c.space_key = t.space_key")
    con.execute("insert into m_space_month_count by name select * from m_month_count_new")
    con.execute("drop table m_month_count_change")
    con.execute("drop table m_month_count_new")
    con.execute("drop table m_touched_pairs")
    # the contributions of the spaces and days the new activities are in, added up again
    con.execute("create or replace temp table m_touched_space_days as select distinct space_key, occurred_at::date as day "
                "from activities where run_id > $run and space_key is not null", run)
    con.execute("delete from m_space_total as m using m_touched_space_days as t "
                "where m.space_key = t.space_key and m.day = t.day")
    con.execute("insert into m_space_total by name " + _space_totals_sql(
        "(select * from m_space_day semi join m_touched_space_days using (space_key, day))"))
    con.execute("drop table m_touched_space_days")
    # the rows of the pairs the new activities are about are replaced (an update in place would
    # make the commit checkpoint the table): one pass takes them out, then they come back with the new ones
    new = "(select * from activities where run_id > $run)"
    con.execute(
        f"create or replace temp table m_new_space_person as {sql('space_people').format(activities=new)}",
        {**run, "from_date": None, "to_date": None},
    )
    # (read, then deleted: a store on DuckLake has no delete … returning)
    old = con.execute(
        "select s.* from m_space_person as s semi join m_new_space_person as n using (space_key, person_key)"
    ).pl()
    con.execute(
        "delete from m_space_person as s using m_new_space_person as n "
        "where s.space_key = n.space_key and s.person_key = n.person_key"
    )
    con.register("m_old_space_person", old)
    con.execute(
        "insert into m_space_person by name select space_key, person_key, sum(activities)::integer as activities "
        "from (select * from m_old_space_person union all by name select * from m_new_space_person) group by all"
    )
    con.unregister("m_old_space_person")
    con.execute("drop table m_new_space_person")
    con.execute("delete from m_person_day where day between $from_date and $to_date", {"from_date": first, "to_date": last})
    con.execute(
        f"insert into m_person_day by name select * from ({sql('person_day')})",
        {"from_date": first, "to_date": last},
    )
    # only the rows of the people the new rows are about can change in the periods
    con.execute(
        "create or replace temp table m_touched_people as "
        "select person_key from activities where run_id > $run "
        "union select target_key from activities where run_id > $run and target_key is not null "
        "union select person_key from usage_snapshots where run_id > $snap_run",
        {**run, "snap_run": stored["snapshots_run"]},
    )
    for g in BUILD_ORDER:
        # the periods touched, and the one after them (its active_before depends on the last one)
        start = period_start(g, first)
        end = shift_period(g, period_start(g, last), 2) - timedelta(days=1)
        con.execute(
            "delete from m_person_period where grain = $grain and period_start between $from_date and $to_date "
            "and person_key in (select person_key from m_touched_people)",
            {"grain": g, "from_date": start, "to_date": end},
        )
        con.execute(
            _period_insert(g, shift_period(g, start, -1), "m_touched_people"), {"from_date": start, "to_date": end}
        )
    # the first activity of the people the new activities are about: the earlier of theirs and the stored one
    con.execute(
        "create or replace temp table m_new_arrivals as select n.person_key, "
        "least(n.first_at, coalesce(o.first_at, n.first_at)) as first_at from ("
        + _person_arrivals_sql("(select * from activities where run_id > $run)")
        + ") as n left join m_person_arrival as o using (person_key)", run)
    con.execute("delete from m_person_arrival where person_key in (select person_key from m_new_arrivals)")
    con.execute("insert into m_person_arrival by name select * from m_new_arrivals")
    con.execute("drop table m_new_arrivals")
    # the months and quarters of those people, as bits, read again from their periods
    con.execute("delete from m_person_month where person_key in (select person_key from m_touched_people)")
    con.execute("insert into m_person_month by name " + _person_months_sql(
        "(select * from m_person_period semi join m_touched_people using (person_key))"))
    con.execute("drop table m_touched_people")


def refresh(con: duckdb.DuckDBPyConnection, settings: Any = None) -> dict[str, Any]:
    """Bring the materialised bases up to date with the store; return what was done.

    Runs in the caller's transaction (the load's). ``mode`` is ``unchanged`` when nothing was
    loaded since the last refresh, ``incremental`` when the load only added rows of a new run
    touching at most :data:`MAX_INCREMENTAL_DAYS` days, ``full`` otherwise. ``settings``
    (:class:`ruche.config.Settings`) is accepted for symmetry with the other steps of a load;
    the bases depend on no setting.
    """
    started = time.perf_counter()
    now = _state_now(con)
    stored = _state_stored(con)
    mode = "full"
    days = None
    if stored is not None and stored == now:
        mode = "unchanged"
    elif stored is not None and _only_added(con, stored):
        first, last, days = _touched_days(con, stored)
        if first is not None and days <= MAX_INCREMENTAL_DAYS and (last - first).days < 2 * MAX_INCREMENTAL_DAYS:
            _update(con, first, last, stored)
            mode = "incremental"
    if mode == "full":
        _rebuild(con)
    if mode != "unchanged":
        _write_state(con, now)
    return {"mode": mode, "days": days, "seconds": round(time.perf_counter() - started, 3)}
