"""Materialised aggregates: what the metrics read, kept up to date after each load.

Every metric is an aggregate of these bases, computed from ``activities`` and ``usage_snapshots``:

``m_person_day``
    one row per person and day (activities by kind, responses received and replies among them,
    usage-report presence);
``m_person_period``
    the same per person and week, month and quarter (``grain``), with the number of active days,
    the last contribution date and whether the person was active in the period before as well
    (``active_before``, for retention);
``m_thread_reply``
    the first day each person replied in each thread;
``m_thread_start``
    the threads each person started per day, with the first day someone else replied in them;
``m_space_person``
    activities per space and person over the whole history (where insiders and outsiders meet).

Group attributes are *not* in the bases (they are joined from ``people`` when a metric runs), so a
new directory never makes them stale. :func:`refresh` runs after every load, in the write that
follows the load's own (``ingest.refresh_derived``): when the load only added rows, it reads only those rows and recomputes the days
they touch, then, for the people they are about, the periods holding those days and the period
after them (one more day of data re-aggregates one day, then one week, one month and one quarter
and the ones after, of a few thousand people), the threads they posted or replied in (from the
posts already in ``m_thread_start`` and the first replies in ``m_thread_reply``), and replaces the
rows of their spaces and people; otherwise it rebuilds everything. ``m_state`` records what the
bases were built from.

A metric asks :func:`sources` for the relations to read. On a store that was never materialised,
or was changed since, they are the same SQL computed on the fly, so the figures never depend on
whether :func:`refresh` ran.

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
>>> refresh(con)["mode"], sources(con, "month", None, None).materialised
('incremental', True)
>>> con.execute("select period_start, activities, active_days from m_person_period where grain = 'month'").fetchall()
[(datetime.date(2026, 3, 1), 3, 2)]
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import duckdb

from metrics._sql import sql
from metrics.groups import GRAINS, grain, is_aligned, period_start, shift_period
from metrics.population import DATA_DAYS

#: Bumped whenever the shape of the bases changes: a store built by another version is rebuilt.
BASE_VERSION = "8"

#: Above this many touched days, a load is treated as a new history and the bases are rebuilt.
MAX_INCREMENTAL_DAYS = 92


@dataclass(frozen=True)
class Sources:
    """SQL relations a metric query reads (fragments made by this module, never user text).

    All of them use the bound parameters ``$from_date`` and ``$to_date``.
    """

    days: str  # a relation with a ``day`` column: the days holding data (for the range bounds)
    person_day: str  # per person and day, cut to the range
    person_period: str  # per person and period of the grain, cut to the range
    person_range: str  # per person, over the whole range
    person_months: str  # rows adding up, per person, to the range, with the ``month`` each falls in (sums only)
    thread_starts: str  # threads started per person and day, all days (metrics/thread_starts.sql)
    space_people: str  # activities per space and person, over the range
    materialised: bool


def _state_now(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    n_act, run_act = con.execute("select count(*), coalesce(max(run_id), 0) from activities").fetchone()
    n_snap, run_snap = con.execute("select count(*), coalesce(max(run_id), 0) from usage_snapshots").fetchone()
    return {"activities": n_act, "activities_run": run_act, "snapshots": n_snap, "snapshots_run": run_snap}


#: The tables :func:`refresh` builds; a store missing one of them is rebuilt.
BASES = ("m_state", "m_person_day", "m_person_period", "m_thread_reply", "m_thread_start", "m_space_person")


def _state_stored(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    exists = con.execute(
        "select count(*) from information_schema.tables where table_name in ?", [list(BASES)]
    ).fetchone()[0]
    if exists < len(BASES):
        return None
    values = dict(con.execute("select key, value from m_state").fetchall())
    if values.get("version") != BASE_VERSION:
        return None
    return {k: int(v) for k, v in values.items() if k != "version" and k != "refreshed_at"}


def store_state(con: duckdb.DuckDBPyConnection) -> str:
    """What the store holds, in a few counts: the last load, the activities, the people and their
    history, the usage reports, the schema. Tables derived from all of them (the dashboard's
    results, the group ties) record it and are read only while it holds."""
    row = con.execute(
        """
        select (select coalesce(max(run_id), 0) from ingest_runs),
               (select count(*) from activities), (select count(*) from people),
               (select count(*) from people_history), (select count(*) from usage_snapshots),
               (select max(version) from schema_version)
        """
    ).fetchone()
    return json.dumps(row)


def is_fresh(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the bases describe exactly the activities and usage reports in the store."""
    stored = _state_stored(con)
    return stored is not None and stored == _state_now(con)


def _write_state(con: duckdb.DuckDBPyConnection, state: dict[str, int]) -> None:
    con.execute("create or replace table m_state (key varchar primary key, value varchar not null)")
    rows = [(k, str(v)) for k, v in state.items()] + [("version", BASE_VERSION), ("refreshed_at", str(time.time()))]
    con.executemany("insert into m_state values (?, ?)", rows)


NO_PREVIOUS = (
    "(select null::integer as person_key, null::date as period_start, null::boolean as active, "
    "null::integer as posts, null::integer as replies, null::boolean as read where false)"
)


def _person_period_sql(person_day: str, grain_name: str, previous: str = NO_PREVIOUS) -> str:
    g = GRAINS[grain_name]
    return sql("person_period").format(person_day=person_day, trunc=g.trunc, step=g.step, covers=g.covers,
                                       previous=previous)


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


def _threads(name: str, activities: str) -> str:
    """The posts (``name`` 'posts') or first replies ('replies') per thread and person of ``activities``."""
    return "(" + sql(f"thread_{name}").format(activities=activities) + ")"


def _thread_starts_sql(posts: str, repliers: str) -> str:
    return sql("thread_starts").format(posts=posts, repliers=repliers)


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
    and add the new activities per space and person. Reads no activity of an earlier run."""
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
    con.execute("drop table m_new_threads")
    con.execute("drop table m_old_starts")
    # the rows of the pairs the new activities are about are replaced (an update in place would
    # make the commit checkpoint the table): one pass takes them out, then they come back with the new ones
    new = "(select * from activities where run_id > $run)"
    con.execute(
        f"create or replace temp table m_new_space_person as {sql('space_people').format(activities=new)}",
        {**run, "from_date": None, "to_date": None},
    )
    old = con.execute(
        "delete from m_space_person as s using m_new_space_person as n "
        "where s.space_key = n.space_key and s.person_key = n.person_key returning s.*"
    ).pl()
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


def reads_known(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether any source reports reads: a usage report, or ``read`` activities.

    Without reads, a person who only reads is indistinguishable from an inactive one.
    """
    return any(
        con.execute(f"select exists (select 1 from {relation})").fetchone()[0]
        for relation in ("usage_snapshots", "activities where kind = 'read'")
    )


def sources(con: duckdb.DuckDBPyConnection, grain_name: str, start: date | None, end: date | None) -> Sources:
    """The relations a metric over ``start``..``end`` (inclusive; None: open) by ``grain_name`` reads.

    The materialised tables are used when they are fresh; per-period ones only when the range
    covers whole periods (else the periods are re-aggregated from the days of the range).
    """
    grain(grain_name)
    fresh = is_fresh(con)
    if fresh:
        days = "m_person_day"
        person_day = (
            "(select * from m_person_day where ($from_date::date is null or day >= $from_date::date)"
            " and ($to_date::date is null or day <= $to_date::date))"
        )
    else:
        days = DATA_DAYS
        person_day = f"({sql('person_day')})"

    def per_period(g: str) -> str:
        """The relation of grain ``g``: the base's rows when the range holds whole periods."""
        if not fresh or not is_aligned(g, start, end):
            return f"({_person_period_sql(person_day, g)})"
        return (
            f"(select * exclude (grain) from m_person_period where grain = '{g}'"
            " and ($from_date::date is null or period_start >= $from_date::date)"
            " and ($to_date::date is null or period_start <= $to_date::date))"
        )

    # sums over the range: the fewest rows of the bases that add up to it (every column of the
    # bases adds up over periods); computed from the activities when the bases are stale
    rows = _range_sums(start, end) if fresh else per_period("month")
    person_range = "(" + sql("person_range").format(person_period=rows) + ")"
    if fresh and start is None and end is None:
        # only over the whole history: a person's activity in a space is not kept per day
        space_people = "(select * from m_space_person where $from_date::date is null and $to_date::date is null)"
    else:
        space_people = "(" + sql("space_people").format(activities="activities") + ")"
    return Sources(
        days=days,
        person_day=person_day,
        person_period=per_period(grain_name),
        person_range=person_range,
        person_months=(_range_sums(start, end, months_only=True) if fresh
                       else f"(select *, period_start as month from {per_period('month')})"),
        thread_starts="m_thread_start" if fresh else (
            "(" + _thread_starts_sql(_threads("posts", "activities"), _threads("replies", "activities")) + ")"
        ),
        space_people=space_people,
        materialised=fresh,
    )


def last_day(con: duckdb.DuckDBPyConnection) -> date | None:
    """The last day holding data (activities or usage reports), None on an empty store: where a
    figure "as of the end of the data" stands."""
    return con.execute(f"select max(day) from {sources(con, 'month', None, None).days}").fetchone()[0]


_SUMMED = "activities, posts, replies, reactions, received, replies_received, active, active_days, last_contribution"


def _range_sums(start: date | None, end: date | None, months_only: bool = False) -> str:
    """Rows that add up, per person, to the range ``start``..``end`` (None: open), the fewest the
    bases hold: the whole quarters inside it, the whole months around them, the days at its ends
    (each a period of one day). With ``months_only``, no quarters, and each row with the ``month``
    it falls in (the months a person contributed in). Only for sums (:file:`person_range.sql`,
    :file:`champions.sql`): no ``active_before``. The dates are literals, so that DuckDB skips the
    row groups outside them; the bound parameters are referenced as every metric query passes them."""
    start = start or date(1, 1, 1)
    after = (end or date(9999, 11, 30)) + timedelta(days=1)
    first_month = start if start.day == 1 else shift_period("month", period_start("month", start), 1)
    last_month = period_start("month", after)  # the months are [first_month, last_month)
    first_quarter = (first_month if period_start("quarter", first_month) == first_month
                     else shift_period("quarter", period_start("quarter", first_month), 1))
    last_quarter = period_start("quarter", last_month)
    if first_month >= last_month:
        spans = {"day": [(start, after)], "month": [], "quarter": []}
    elif months_only or first_quarter >= last_quarter:
        spans = {"day": [(start, first_month), (last_month, after)], "month": [(first_month, last_month)], "quarter": []}
    else:
        spans = {"day": [(start, first_month), (last_month, after)], "quarter": [(first_quarter, last_quarter)],
                 "month": [(first_month, first_quarter), (last_quarter, last_month)]}

    def within(column: str, grain_spans: list[tuple[date, date]]) -> str:
        return " or ".join(f"({column} >= '{a.isoformat()}'::date and {column} < '{b.isoformat()}'::date)"
                           for a, b in grain_spans if a < b) or "false"

    month = "period_start as month, " if months_only else ""
    parts = [
        f"select person_key, {month}{_SUMMED} from m_person_period where grain = '{g}' and ({within('period_start', spans[g])})"
        for g in ("quarter", "month") if spans[g]
    ]
    parts.append(
        "select person_key, " + ("date_trunc('month', day)::date as month, " if months_only else "")
        + "activities, posts, replies, reactions, received, replies_received, active, "
        "dated_active::integer as active_days, case when posts + replies > 0 then day end as last_contribution "
        f"from m_person_day where ({within('day', spans['day'])})"
        " and ($from_date::date is null or day >= $from_date::date) and ($to_date::date is null or day <= $to_date::date)"
    )
    return "(" + " union all ".join(parts) + ")"
