"""Who a figure counts: the populations and the window every metric shares, written once.

Every metric counts one of these populations, over a window that never reaches beyond the data:

``employed in the period``
    internal people employed during the period (hired before its end, not left before its
    start), in the groups they held during it (or hold now: the ``attribution``,
    docs/metrics.md "Group attribution over time"): the headcount of a period of ``participation``,
    ``leadership``, ``leaders``, ``frontline``, ``inactive-teams``, ``targets``, ``lifecycle``,
    ``responsiveness`` and the silos per period. What the Overview's last period shows.
``employed in the range``
    internal people employed at some time during the range, in the groups they held during it
    (or hold now: the ``attribution``): the headcount of ``inequality``, ``personas``,
    ``external``, the lifecycle's funnel, the silos over the window and the group graph (these two
    in the groups held now). A group's figure over a year is therefore larger than its last month's (its
    leavers and hires of the year are in it).
``external, active``
    the people the directory does not know who did something in the period or range: the group
    ``External`` of ``personas``, ``silos`` and the group graph; never in a headcount, never
    decided with the internal groups (:mod:`metrics.suppression`).
``known``
    every person of the store, internal or external, employed or not, active or not: what the
    Data page counts (``metrics.status``). No rate divides by it.

The *window* (:func:`bounds_sql`, :func:`data_bounds`) is the range asked for, cut to the first
and last day of the data (a day with an activity or a usage report vouching for it): a period is
never counted beyond the data, and one the window holds only part of is partial.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime

import duckdb
import polars as pl

from metrics.groups import group_columns

#: The label of each population, as every output that counts people carries it (``population``).
EMPLOYED_IN_PERIOD = "employed in the period"
EMPLOYED_IN_RANGE = "employed in the range"
EXTERNAL_ACTIVE = "external, active"
KNOWN = "known"

POPULATIONS: dict[str, str] = {
    EMPLOYED_IN_PERIOD: "internal people employed during the period (hired before its end, not left before its "
                        "start), in the groups they held during it (or hold now, as the figure says)",
    EMPLOYED_IN_RANGE: "internal people employed at some time during the range, in the groups they held during it "
                       "(or hold now, as the figure says)",
    EXTERNAL_ACTIVE: "people the directory does not know, active in the period or range (group External)",
    KNOWN: "every person in the store, internal and external, employed or not",
}

#: The days holding data when the bases are not materialised: the activities and the days the
#: usage reports vouch for (``metrics.bases.Sources.days`` otherwise).
DATA_DAYS = (
    "(select occurred_at::date as day from activities"
    " union all select coalesce(last_activity, report_date) from usage_snapshots)"
)


def bounds_sql(days: str) -> str:
    """The body of the ``bounds`` link of a metric query: ``first_day`` and ``last_day`` of the
    range (bound parameters ``$from_date``, ``$to_date``; null: the data's), cut to the data
    held in ``days`` (a relation with a ``day`` column, from the code)."""
    return (
        "select greatest(coalesce($from_date::date, min(day)), min(day)) as first_day, "
        f"least(coalesce($to_date::date, max(day)), max(day)) as last_day from {days}"
    )


def data_bounds(con: duckdb.DuckDBPyConnection, start: date | None, end: date | None,
                days: str = DATA_DAYS) -> tuple[date | None, date | None]:
    """The first and last day of the window ``start``..``end`` cut to the data (None, None: no data).

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) "
    ...                 "values (1, 'x', '2026-03-02', 1, 'post', 1), (2, 'x', '2026-03-20', 1, 'post', 1)")
    >>> data_bounds(con, date(2026, 1, 1), None)
    (datetime.date(2026, 3, 2), datetime.date(2026, 3, 20))

    Within :func:`days_held`, the first and last day of ``days`` are read once and the window is
    cut to them here, as :func:`bounds_sql` cuts it (``greatest`` and ``least`` pass over a null):

    >>> with days_held(con):
    ...     data_bounds(con, date(2026, 1, 1), None), data_bounds(con, None, date(2026, 3, 10))
    ((datetime.date(2026, 3, 2), datetime.date(2026, 3, 20)), (datetime.date(2026, 3, 2), datetime.date(2026, 3, 10)))
    """
    held = _DAYS_HELD.get(id(con))
    if held is None:
        return con.execute(bounds_sql(days), {"from_date": start, "to_date": end}).fetchone()
    if days not in held:
        held[days] = con.execute(f"select min(day), max(day) from {days}").fetchone()
    first, last = held[days]
    start, end = _day(start), _day(end)
    return (_extreme(max, start if start is not None else first, first),
            _extreme(min, end if end is not None else last, last))


def held_bounds(con: duckdb.DuckDBPyConnection, days: str = DATA_DAYS) -> str:
    """``days`` as :func:`bounds_sql` reads it: within :func:`days_held`, a relation of its first
    and last day as held (two rows: the same bounds, without scanning ``days`` again in every
    query: the activities take a tenth of a second to scan at 100,000 people); else ``days``.

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) "
    ...                 "values (1, 'x', '2026-03-02', 1, 'post', 1), (2, 'x', '2026-03-20', 1, 'post', 1)")
    >>> held_bounds(con) == DATA_DAYS
    True
    >>> with days_held(con):
    ...     held_bounds(con)
    "(select unnest([date '2026-03-02', date '2026-03-20']) as day)"
    """
    if id(con) not in _DAYS_HELD:
        return days
    first, last = data_bounds(con, None, None, days)
    return "(select unnest([{}]) as day)".format(
        ", ".join("null::date" if d is None else f"date '{d.isoformat()}'" for d in (first, last)))


def _day(value: date | None) -> date | None:
    """A bound as ``$from_date::date`` casts it: a time's day."""
    return value.date() if isinstance(value, datetime) else value


def _extreme(pick, a: date | None, b: date | None) -> date | None:
    """``greatest`` (``pick``: max) or ``least`` (min) of two days as DuckDB takes them: a null
    is passed over, two nulls are null."""
    known = [d for d in (a, b) if d is not None]
    return pick(known) if known else None


#: The first and last day of each relation of days read within :func:`days_held`, per connection
#: (by ``id``).
_DAYS_HELD: dict[int, dict[str, tuple[date | None, date | None]]] = {}


@contextmanager
def days_held(con: duckdb.DuckDBPyConnection, known: dict | None = None) -> Iterator[None]:
    """Within: :func:`data_bounds` of ``con`` reads the first and last day of a relation once, for
    a caller that changes neither the activities, the usage reports nor the bases meanwhile
    (:func:`metrics.bases.freshness_held` holds them with the freshness). ``known``: those of a
    store that does not change at all (a published store the dashboard reads), kept by the caller
    across calls and filled here as they are read."""
    if id(con) in _DAYS_HELD:
        yield
        return
    _DAYS_HELD[id(con)] = {} if known is None else known
    try:
        yield
    finally:
        _DAYS_HELD.pop(id(con), None)


def range_headcounts(con: duckdb.DuckDBPyConnection, by: str, start: date | None, end: date | None,
                     days: str = DATA_DAYS) -> pl.DataFrame:
    """The headcount of each group (``by``; a missing attribute is ``(not set)``) of the people
    employed in the window: the population of every metric over a range (:data:`EMPLOYED_IN_RANGE`).

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute("insert into people (person_key, person_id, department, left_on) values "
    ...                 "(1, 'a', 'Ops', null), (2, 'b', 'Ops', '2026-01-31'), (3, 'c', null, null)")
    >>> _ = con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) "
    ...                 "values (1, 'x', '2026-03-02', 1, 'post', 1)")
    >>> range_headcounts(con, "department", None, None).rows()
    [('(not set)', 1), ('Ops', 1)]
    """
    query = (
        f"with bounds as ({bounds_sql(days)}) "
        f"select {group_columns([by])}, count(*) as headcount from people as p, bounds "
        "where not p.is_external and first_day is not null "
        "and (p.hired_on is null or p.hired_on <= last_day) and (p.left_on is null or p.left_on >= first_day) "
        "group by all order by all"
    )
    frame = con.execute(query, {"from_date": start, "to_date": end}).pl()
    return frame.rename({"g0": by}).with_columns(pl.col("headcount").cast(pl.Int64))


def labelled(con: duckdb.DuckDBPyConnection, population: str, start: date | None, end: date | None,
             days: str = DATA_DAYS, attribution: str | None = None) -> dict:
    """What a result carries about who it counts: ``population`` (a key of :data:`POPULATIONS`)
    and ``covers``, the first and last day of the window cut to the data (``from``, ``to``;
    None without data), so that a page can say "140 people employed in October" beside "155
    employed from November to October" rather than two unexplained headcounts; and, given
    ``attribution``, the groups people were counted in (``metrics.bases.ATTRIBUTIONS``).

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) "
    ...                 "values (1, 'x', '2026-03-02', 1, 'post', 1)")
    >>> labelled(con, EMPLOYED_IN_RANGE, None, date(2026, 12, 31))
    {'population': 'employed in the range', 'covers': {'from': datetime.date(2026, 3, 2), 'to': datetime.date(2026, 3, 2)}}
    """
    if population not in POPULATIONS:
        raise ValueError(f"unknown population {population!r}")
    first, last = data_bounds(con, start, end, days)
    covers = {"from": first, "to": last} if first is not None and last is not None and first <= last else None
    labels = {"population": population, "covers": covers}
    if attribution is not None:
        labels["attribution"] = attribution
    return labels
