"""Participation: who is active, who contributes, per period and group.

Definitions (METRICS.md): *active* in a period means at least one activity of any kind, or a
usage report vouching for activity on a day of the period (its last activity date); a
*contributor* posted or replied. Rates divide by the *headcount*: internal people employed during
the period (hired before its end, not left before its start), in the groups they held during it
(each activity in the group its author held on its day), or, restated, in the groups they hold
now (``attribution``; docs/metrics.md, "Group attribution over time").
External people are never counted in a headcount.

*Stickiness* is the mean number of active people per day of the period (days inside the range)
divided by the people active in the period: DAU/MAU for months. *Retention* is the share of the
people active in the previous period (and still employed in this one) who are active again in this
one; it is null for the first period of the range.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import duckdb
import polars as pl

from metrics import bases
from metrics._sql import sql
from metrics.groups import grain as _grain
from metrics.groups import UNKNOWN, group_columns, group_expression, people_by_attribute, period_start, shift_period
from metrics.population import EMPLOYED_IN_PERIOD, bounds_sql, labelled
from metrics.suppression import decide
from metrics.measure import MetricParams, MetricResult, register
from ruche.i18n import N_

COLUMNS = [
    "period", "headcount", "active", "contributors", "participation_rate", "contribution_rate",
    "stickiness", "retention", "contributors_retained", "readers_retained", "days", "partial",
]


#: The prefix of the tables of people's stays in their groups a load keeps (:func:`shared_stays`).
STAYS_PREFIX = "m_stays_"

#: The tables :func:`shared_stays` reads, per connection (its ``id``): whether those already in the
#: store may be read, their names, and the names read so far.
_SHARED: dict[int, tuple[bool, set[str], set[str]]] = {}


@contextmanager
def shared_stays(con: duckdb.DuckDBPyConnection, reuse: bool) -> Iterator[None]:
    """While the block runs, the participation queries on ``con`` read the people's stays in their
    groups (``participation.sql``'s links from ``staff`` to ``held``: the part that reads every
    person and every version of their attributes, whatever the range) from tables of the store,
    ``m_stays_<digest>_staff`` and ``..._held``, one pair per query text (grain, attribution, set of
    attributes), computed the first time it is read; and the headcounts' arrivals and departures
    per group and period (``participation_moves.sql``, from ``held`` alone) from ``..._moves``
    beside them, computed from the ``held`` read when the store holds none (stays kept before the
    moves were). With ``reuse``, those the store already holds are read as they are: the caller
    knows that the people and their history are those they were computed from
    (:func:`metrics.results.first_touched`); without, every one read is computed again. When the
    block ends, those it did not read are dropped.

    A load computes its results so (:func:`metrics.results.precompute`): a day's load, which
    changes no one, reads the stays its previous load computed, and the participation queries
    cost what the periods they recompute hold, their headcounts a row per group and period of
    arrival or departure rather than one per stay. The figures are those of the same queries computed
    whole (``tests/test_refresh_periods.py``)."""
    if id(con) in _SHARED:  # nested: the outer block holds them
        yield
        return
    found = {name for (name,) in con.execute(
        f"select table_name from information_schema.tables where table_name like '{STAYS_PREFIX}%'").fetchall()}
    read: set[str] = set()
    _SHARED[id(con)] = (reuse, found, read)
    try:
        yield
    finally:
        del _SHARED[id(con)]
    for name in sorted(found - read):
        con.execute(f"drop table {name}")


@contextmanager
def stays_shared_with(con: duckdb.DuckDBPyConnection, outer: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """While the block runs, the participation queries on ``con`` (a cursor of ``outer``'s store)
    read the stays of the :func:`shared_stays` block running on ``outer``, and what they read
    counts as read there: that block drops, when it ends, the stays neither read (the stored
    results computed in two streams, :func:`metrics.results.precompute`)."""
    _SHARED[id(con)] = _SHARED[id(outer)]
    try:
        yield
    finally:
        del _SHARED[id(con)]


def _query(con: duckdb.DuckDBPyConnection, g, names: list[str], columns: str, people: str, person: str,
           first_read: str = "(select min(period_start) from calendar)", **relations: str) -> str:
    """``participation.sql`` grouped by ``names`` (``columns``: their select list over ``people p``),
    a person's stays followed per ``person``; its people's stays read from the tables of
    :func:`shared_stays` when the block runs on ``con``. ``first_read``: the first period
    ``person_period`` holds (by default the range's first)."""
    staff = sql("participation_staff").format(group_columns=columns, trunc=g.trunc, people=people)
    stays = sql("participation_stays").format(
        groups=", ".join(names), person=person, trunc=g.trunc, step=g.step,
        lag_same=" and ".join(f"lag({n}) over w is not distinct from {n}" for n in names),
    )
    moves = sql("participation_moves").format(groups=", ".join(names), step=g.step)
    shared = _SHARED.get(id(con))
    if shared is not None:
        reuse, found, read = shared
        name = STAYS_PREFIX + hashlib.sha256(f"{staff}\n{stays}".encode()).hexdigest()[:16]
        if f"{name}_held" not in read:
            if not (reuse and {f"{name}_staff", f"{name}_held"} <= found):
                con.execute(f"create or replace table {name}_staff as {staff}")
                con.execute(f"create or replace table {name}_held as with staff as (select * from {name}_staff), "
                            f"{stays.rstrip().removesuffix(',')} select * from held")
            if not (reuse and {f"{name}_staff", f"{name}_held", f"{name}_moves"} <= found):
                con.execute(f"create or replace table {name}_moves as with held as (select * from {name}_held), "
                            f"{moves.rstrip().removesuffix(',')} select * from held_moves")
        read.update((f"{name}_staff", f"{name}_held", f"{name}_moves"))
        staff, stays = f"select * from {name}_staff", f"held as (select * from {name}_held),"
        moves = f"held_moves as (select * from {name}_moves),"
    return sql("participation").format(
        staff=staff, stays=stays + "\n\n" + moves, groups=", ".join(names), s_groups=", ".join(f"s.{n}" for n in names),
        trunc=g.trunc, step=g.step, label=g.label, covers=g.covers, first_read=first_read, **relations,
    )


def participation_frame(
    con: duckdb.DuckDBPyConnection,
    groups: list[str],
    period: str = "month",
    start: date | None = None,
    end: date | None = None,
    counted: str | None = None,
    attribution: str = bases.AS_IT_WAS,
) -> pl.DataFrame:
    """Participation per period and combination of ``groups`` (allow-listed attributes), unsuppressed.

    The building block of :func:`participation` and of the metrics comparing levels, frontline
    and targets; callers apply :func:`metrics.suppression.decide` themselves.

    ``counted``: a condition on ``people p`` (SQL from the code, never user text) restricting the
    activity read to those people; every row keeps its headcount (what suppression reads), and
    the rows of groups holding only such people are exactly the ones without it.

    ``attribution``: :data:`metrics.bases.AS_IT_WAS` (each activity in the groups its author
    held on its day, each period's headcount in the groups held during it) or
    :data:`metrics.bases.TODAY` (everything in the groups people hold now).
    """
    g = _grain(period)
    src = bases.sources(con, period, start, end)
    person_period = src.person_period
    if counted is not None:
        # the people who met the condition in any version of their attributes
        person_period = (f"(select * from {person_period} semi join (select person_key from "
                         f"{bases.people_versions(attribution)} as p where {counted}) using (person_key))")
    names = [f"g{i}" for i in range(len(groups))]
    query = _query(con, g, names, group_columns(groups),
                   bases.people_versions_of(attribution, groups, reads=counted is not None), "person_key",
                   bounds=bounds_sql(src.days), person_period=person_period, person_day=src.person_day)
    frame = con.execute(query, {"from_date": start, "to_date": end}).pl()
    frame = frame.rename({f"g{i}": name for i, name in enumerate(groups)})
    return frame.select("period", *groups, *COLUMNS[1:])


def participation_frames(
    con: duckdb.DuckDBPyConnection,
    bys: list[str],
    period: str = "month",
    start: date | None = None,
    end: date | None = None,
    counted: str | None = None,
    inner: list[str] | None = None,
    attribution: str = bases.AS_IT_WAS,
    retained: bool = False,
) -> dict[str, pl.DataFrame]:
    """:func:`participation_frame` of ``[by, *inner]`` for each ``by`` of ``bys``, in one query
    (the people unpivoted by attribute: :func:`metrics.groups.people_by_attribute`): frame by
    frame the rows :func:`participation_frame` gives, in the same order (``tests/test_results.py``).
    What a load stores for every attribute costs one query per grain rather than one per
    attribute and grain. People are read through ``attribution``'s versions
    (:func:`metrics.bases.people_versions`), their stays followed attribute by attribute.

    ``retained``: the retention of the first period from ``start`` on counted too, as the rows
    read from the period before give it (those rows dropped), the other figures of each row being
    its own period's: a load computing the periods from the first one it touched again
    (:func:`metrics.results.precompute`). On fresh bases, with ``start`` a period's first day, of
    the period before only its active people are read (who retention counts back to), not its
    figures (``tests/test_refresh_periods.py``)."""
    inner = list(inner or [])
    g = _grain(period)
    src = bases.sources(con, period, start, end)
    person_period, first_read, params = src.person_period, {}, {"from_date": start, "to_date": end}
    if retained:
        if not retains_before(con, period, start):
            raise ValueError(f"retention read back from {start} by {period}: fresh bases and a period's first day only")
        # the bases' rows from the period before on (their bound renamed: the range's bounds
        # stay those of $from_date); the period before is the first read
        person_period = bases.sources(con, period, shift_period(period, start, -1), end).person_period.replace(
            "$from_date", "$read_from")
        first_read = {"first_read": f"(select (min(period_start) - {g.step})::date from calendar)"}
        params["read_from"] = shift_period(period, start, -1)
    if counted is not None:
        # the people who met the condition in any version of their attributes
        person_period = (f"(select * from {person_period} semi join (select person_key from "
                         f"{bases.people_versions(attribution)} as p where {counted}) using (person_key))")
    columns = ", ".join(["p.by_attribute as by_attribute", "p.by_group as g0"]
                        + [f"coalesce(cast({group_expression(a)} as varchar), '{UNKNOWN}') as g{i + 1}"
                           for i, a in enumerate(inner)])
    names = ["by_attribute"] + [f"g{i}" for i in range(len(inner) + 1)]
    query = _query(con, g, names, columns, people_by_attribute(
                       bys, bases.people_versions_of(attribution, [*bys, *inner], reads=counted is not None)),
                   "person_key, by_attribute", **first_read,
                   bounds=bounds_sql(src.days), person_period=person_period, person_day=src.person_day)
    frame = con.execute(query, params).pl()
    parts = frame.partition_by("by_attribute", as_dict=True, include_key=False, maintain_order=True)
    out = {}
    for by in bys:
        part = parts.get((by,))
        if part is None:
            part = frame.clear().drop("by_attribute")
        names = [by, *inner]
        part = part.rename({f"g{i}": name for i, name in enumerate(names)})
        out[by] = part.select("period", *names, *COLUMNS[1:])
    return out


def retains_before(con: duckdb.DuckDBPyConnection, period: str, start: date | None) -> bool:
    """Whether :func:`participation_frames` can count the retention of the period from ``start``
    on from the active people of the period before alone (``retained``): on fresh bases, from a
    period's first day."""
    return start is not None and period_start(period, start) == start and bases.is_fresh(con)


def participation(
    con: duckdb.DuckDBPyConnection,
    by: str = "department",
    period: str = "month",
    start: date | None = None,
    end: date | None = None,
    min_group_size: int = 5,
    attribution: str = bases.AS_IT_WAS,
) -> tuple[pl.DataFrame, int]:
    """Participation and contribution rates per period and group.

    Returns the tidy frame (``period``, the group column named ``by``, ``headcount``,
    ``active``, ``contributors``, ``participation_rate``, ``contribution_rate``, ``stickiness``,
    ``retention``) and the number of groups left out because they hold fewer than
    ``min_group_size`` people (or could be recovered from those shown). A period with no people
    yields no row; a group with people but no activity has rates of 0 and a null stickiness.
    Periods run from the first to the last day of the data unless ``start``/``end`` cut them.

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
    >>> frame["stickiness"].item()   # 2 person-days of activity over 4 days, 2 active people
    0.25
    """
    frame = participation_frame(con, [by], period, start, end, attribution=attribution)
    rows, left_out, _ = decide(frame, by, "headcount", min_group_size, within=["period"])
    return rows, left_out


def whole_periods(frame: pl.DataFrame) -> pl.DataFrame:
    """The rows of the periods the range holds whole: what a delta between two periods, a trend
    or a target compares (a partial period's rate over a few days is no rate of the period).

    >>> f = pl.DataFrame({"period": ["2025-W44", "2025-W45", "2025-W46"], "participation_rate": [0.03, 0.14, 0.15],
    ...                   "partial": [True, False, False]})
    >>> whole_periods(f)["period"].to_list()
    ['2025-W45', '2025-W46']
    """
    return frame.filter(~pl.col("partial").fill_null(False)) if "partial" in frame.columns else frame


def labels(con: duckdb.DuckDBPyConnection, population: str, start: date | None, end: date | None,
           attribution: str | None = bases.TODAY) -> dict:
    """:func:`metrics.population.labelled` over the days the bases hold (the same as the data's),
    with the ``attribution`` the figure's groups follow (None: a figure of no group of people)."""
    return labelled(con, population, start, end, bases.sources(con, "month", None, None).days, attribution)


def reads_extra(con: duckdb.DuckDBPyConnection) -> dict:
    """The ``reads_known`` flag (and a note when false) every activity-based metric reports."""
    if bases.reads_known(con):
        return {"reads_known": True}
    return {
        "reads_known": False,
        "note": N_("no source reports reads: people who only read are counted as inactive"),
    }


@register("participation", N_("participation and contribution rates, stickiness and retention per period and group"))
def participation_metric(con: duckdb.DuckDBPyConnection, params: MetricParams) -> MetricResult:
    attribution = bases.attribution_of(params)
    rows, left_out = participation(
        con, by=params.by, period=params.period, start=params.start, end=params.end,
        min_group_size=params.min_group_size, attribution=attribution,
    )
    return MetricResult(rows=rows, suppressed_groups=left_out,
                        extra={**reads_extra(con),
                               **labels(con, EMPLOYED_IN_PERIOD, params.start, params.end, attribution)})
