"""Lifecycle: new, continuing, returning and lapsed contributors per period, the onboarding funnel
and cohort curves by month of arrival, by any group-by (docs/metrics.md, "Lifecycle"; CHAOSS
"new contributors", "inactive contributors").

Per period and group (internal people; a contribution in the groups its author held on its day,
or, restated, in the groups they hold now: the ``attribution``, docs/metrics.md "Group
attribution over time"):

- **new**: contributed (posted or replied) in the group in the period, for the first time in the
  data (anywhere);
- **continuing**: contributed in the group in the period, and (anywhere) in the period before;
- **returning**: contributed in the group in the period, not in the period before, but in an
  earlier one;
- **lapsed**: held the group during the period, contributed (anywhere) in the period before, not
  in this one;
- **lapsed_newcomers**: of the lapsed, those whose first contribution ever was in the period
  before: newcomers who did not come back.

new + continuing + returning = contributors. The period before the first of the range is read too
(a lapse or a return is never an artefact of where the range starts); the first period of the data
has no period before it: everybody contributing then is new.

The **funnel** over the range, per group of the people employed in it who held the group on at
least one day of it, from the activities of the days they held it: in the directory → seen (any
activity, or a usage report vouching for one) → reacted (a reaction or a contribution) → posted (a
contribution) → contributes regularly (contributions in at least ``regular_months`` (3) distinct
months of the range). Each step holds the people of the next.

The **cohorts**: the people who arrived in a month of the range (their first activity in any
export), in the group they held on the day of that activity, and the share of them active
(anywhere) each month after (0: the month they arrived, always 1).

Groups shown: per period, those participation shows (one decision per population and period);
the funnel, those every measure over the range shows (its headcount: the funnel's ``in_directory``);
a group's cohort only when the group is shown over the range and the cohort is shown by the shared
rule among the groups' cohorts of the same month (:func:`metrics.suppression.decide` within each
cohort: no hidden group's cohort is the organisation's less the others).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import numpy as np
import polars as pl

from metrics import bases
from metrics._sql import sql
from metrics.groups import grain as _grain
from metrics.groups import UNKNOWN, group_expression, people_by_attribute
from metrics.measure import MetricParams, MetricResult, register
from metrics.participation import labels, participation_frame
from metrics.population import EMPLOYED_IN_PERIOD, bounds_sql, data_bounds
from metrics.suppression import decide, decide_as
from ruche.i18n import N_

COLUMNS = ["period", "headcount", "contributors", "new", "continuing", "returning", "lapsed", "lapsed_newcomers",
           "partial"]
FUNNEL = ["in_directory", "seen", "reacted", "posted", "regular"]


def lifecycle(con: duckdb.DuckDBPyConnection, by: str = "department", period: str = "month",
              start: date | None = None, end: date | None = None, min_group_size: int = 5,
              regular_months: int = 3, *, heads: pl.DataFrame | None = None,
              over_range: tuple[pl.DataFrame, pl.DataFrame] | None = None,
              attribution: str = bases.AS_IT_WAS,
              ) -> tuple[pl.DataFrame, int, pl.DataFrame, pl.DataFrame]:
    """The contributors per period and group (:data:`COLUMNS`), the groups left out, the funnel
    per group (:data:`FUNNEL`) and the cohort curves (``cohort``, ``months_after``,
    ``cohort_size``, ``active``, ``share``).

    ``heads``: the participation over ``start``..``end``
    (:func:`metrics.participation.participation_frame` of ``by`` and ``period``);
    ``over_range``: the funnel and the cohorts (:func:`funnel_and_cohorts`, the same whatever the
    grain). Computed here when not given. ``attribution``: the groups people are counted in
    (:data:`metrics.bases.ATTRIBUTIONS`).

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute("insert into people (person_key, person_id, department) select i, 'p' || i, 'Ops' from range(1, 6) t(i)")
    >>> _ = con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) values "
    ...                 "(1, 'x', '2026-01-05', 1, 'post', 1), (2, 'x', '2026-01-06', 2, 'post', 1), "
    ...                 "(3, 'x', '2026-02-05', 1, 'post', 1), (4, 'x', '2026-02-06', 3, 'reaction', 1), "
    ...                 "(5, 'x', '2026-03-05', 2, 'reply', 1), (6, 'x', '2026-03-06', 4, 'post', 1)")
    >>> rows, _, funnel, cohorts = lifecycle(con, min_group_size=5)
    >>> rows.select("period", "contributors", "new", "continuing", "returning", "lapsed", "lapsed_newcomers").rows()
    [('2026-01', 2, 2, 0, 0, 0, 0), ('2026-02', 1, 0, 1, 0, 1, 1), ('2026-03', 2, 1, 0, 1, 1, 0)]
    >>> funnel.select(FUNNEL).row(0)
    (5, 4, 4, 3, 0)
    """
    rows, left_out, _ = lifecycle_rows(con, by, period, start, end, min_group_size, heads=heads,
                                       attribution=attribution)
    return (rows, left_out, *(over_range or funnel_and_cohorts(con, by, start, end, min_group_size, regular_months,
                                                               attribution)))


def lifecycle_rows(con: duckdb.DuckDBPyConnection, by: str, period: str, start: date | None, end: date | None,
                   min_group_size: int, *, heads: pl.DataFrame | None = None,
                   attribution: str = bases.AS_IT_WAS) -> tuple[pl.DataFrame, int, pl.DataFrame]:
    """The contributors per period and group of :func:`lifecycle`, the groups left out, and those
    each period left out (``period``, ``by``): a period's row reads that period, the one before
    and the first period each person contributed in, nothing after it."""
    if heads is None:
        heads = participation_frame(con, [by], period, start, end, attribution=attribution)
    return lifecycle_rows_by(con, [by], period, start, end, min_group_size, heads={by: heads},
                             attribution=attribution)[by]


def lifecycle_rows_by(con: duckdb.DuckDBPyConnection, bys: list[str], period: str, start: date | None,
                      end: date | None, min_group_size: int, *, heads: dict[str, pl.DataFrame],
                      attribution: str = bases.AS_IT_WAS, shown: dict[str, pl.DataFrame] | None = None,
                      ) -> dict[str, tuple[pl.DataFrame, int, pl.DataFrame]]:
    """:func:`lifecycle_rows` of each attribute of ``bys``, the contributors counted in one query;
    ``heads``: the participation over ``start``..``end`` of each attribute under the same
    ``attribution`` (the headcounts the groups shown are decided on); ``shown``: the keys
    (``period``, attribute) of the groups shown on those headcounts under ``min_group_size``,
    when the caller decided them already (participation decides on the same:
    :func:`metrics.suppression.decide_as`)."""
    g = _grain(period)
    first, last = data_bounds(con, start, end, bases.sources(con, "month", None, None).days)
    if first is None or first > last:  # no data in the range: no period, no funnel, no cohort
        return {by: (pl.DataFrame(schema={"period": pl.Utf8, by: pl.Utf8, "headcount": pl.Int64,
                                          **{c: pl.Int64 for c in COLUMNS[2:-1]}, "partial": pl.Boolean}),
                     0, pl.DataFrame(schema={"period": pl.Utf8, by: pl.Utf8})) for by in bys}
    history = bases.sources(con, period, None, end)
    query = sql("lifecycle").format(people=people_by_attribute(bys, bases.people_versions_of(attribution, bys)),
                                    trunc=g.trunc, step=g.step, label=g.label,
                                    person_period=history.person_period, person_day=history.person_day)
    counts = con.execute(query, {"from_date": None, "to_date": last, "first_day": first, "last_day": last}).pl()
    parts = counts.partition_by("by_attribute", as_dict=True, include_key=False)
    out = {}
    for by in bys:
        part = parts.get((by,), counts.clear().drop("by_attribute")).rename({"g0": by})
        frame = heads[by].select("period", by, "headcount", "partial").join(part, on=["period", by], how="left")
        frame = frame.with_columns(
            pl.col(COLUMNS[2:-1]).fill_null(0).cast(pl.Int64))
        rows, left_out, hidden = (decide(frame, by, "headcount", min_group_size, within=["period"]) if shown is None
                                  else decide_as(frame, shown[by], by, within=["period"]))
        out[by] = rows.select("period", by, *COLUMNS[1:]).sort("period", by), left_out, hidden
    return out


def funnel_and_cohorts(con: duckdb.DuckDBPyConnection, by: str = "department", start: date | None = None,
                       end: date | None = None, min_group_size: int = 5, regular_months: int = 3,
                       attribution: str = bases.AS_IT_WAS) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The funnel per group (:data:`FUNNEL`) and the cohort curves over ``start``..``end`` of
    :func:`lifecycle`: the same whatever its period grain."""
    return funnel_and_cohorts_by(con, [by], start, end, min_group_size, regular_months, attribution)[by]


_EPOCH = date(1970, 1, 1)
_NEVER = (-10**9, 10**9)  # a day no range reaches, before and after: a date not set


@dataclass(frozen=True)
class KeptBits:
    """The bits of the months and quarters each person was active, reacted and contributed in
    (``m_person_month``, one row per person and block of 60 months, by person) and the people's
    own columns the onboarding funnel reads, kept in memory (the dashboard's, once per published
    store): the funnel of the whole organisation over a range is counted from them
    (:func:`organisation_funnel`), its days at the ends alone read from the store. Days as
    numbers of days from 1970-01-01."""

    person: np.ndarray  # each row's person_key
    block: np.ndarray
    active_months: np.ndarray
    reacted_months: np.ndarray
    contributed_months: np.ndarray
    active_quarters: np.ndarray
    starts: np.ndarray  # where each person's rows begin
    people: np.ndarray  # every person's key, sorted
    counted: np.ndarray  # not external
    hired_on: np.ndarray
    left_on: np.ndarray
    label: str  # the organisation's group, as the queries name it


def keep_bits(con: duckdb.DuckDBPyConnection) -> KeptBits:
    """:class:`KeptBits` of the store of ``con``, its bases fresh (the bits are ``m_person_month``)."""
    bits = con.execute("select person_key, block, active_months, reacted_months, contributed_months, active_quarters "
                       "from m_person_month order by person_key, block").fetchnumpy()
    people = con.execute(
        f"select person_key, not is_external as counted, "
        f"coalesce(hired_on - date '1970-01-01', {_NEVER[0]})::integer as hired_on, "
        f"coalesce(left_on - date '1970-01-01', {_NEVER[1]})::integer as left_on "
        f"from people order by person_key").fetchnumpy()
    person = np.asarray(bits["person_key"], dtype=np.int64)
    label = con.execute(f"select coalesce(cast({group_expression('organisation')} as varchar), '{UNKNOWN}')").fetchone()[0]
    return KeptBits(
        person=person, block=np.asarray(bits["block"], dtype=np.int64),
        **{c: np.asarray(bits[c], dtype=np.int64) for c in ("active_months", "reacted_months", "contributed_months",
                                                             "active_quarters")},
        starts=np.flatnonzero(np.r_[True, person[1:] != person[:-1]]) if len(person) else np.zeros(0, dtype=np.int64),
        people=np.asarray(people["person_key"], dtype=np.int64), counted=np.asarray(people["counted"], dtype=bool),
        hired_on=np.asarray(people["hired_on"], dtype=np.int64), left_on=np.asarray(people["left_on"], dtype=np.int64),
        label=label,
    )


def _bits(block: np.ndarray, lo: int, hi: int, width: int = 1) -> np.ndarray:
    """Per row, the mask of the months ``lo``..``hi`` (month numbers, inclusive) within its
    block of 60 months: one bit a month, or, with ``width`` 3, one a quarter (``lo``, ``hi``:
    the first and last month of whole quarters)."""
    base = 60 * block
    first = np.maximum(lo - base, 0) // width
    last = (np.minimum(hi - base, 59) + 1) // width - 1
    n = np.maximum(last - first + 1, 0)
    return np.where(n > 0, ((np.int64(1) << n) - 1) << first, 0)


def organisation_funnel(con: duckdb.DuckDBPyConnection, kept: KeptBits, start: date | None, end: date | None,
                        regular_months: int = 3) -> pl.DataFrame:
    """The onboarding funnel of the whole organisation over ``start``..``end`` as
    :file:`lifecycle_funnel.sql` counts it from :file:`person_range_bits.sql` (``by_attribute``,
    ``g0``, the steps), from the bits ``kept`` and the days at the range's ends: one version per
    person (the whole organisation reads none: :func:`metrics.bases.people_versions_of`), the
    same bits read over the same months. ``tests/test_communities.py`` compares the two."""
    out = {"by_attribute": [], "g0": [], **{c: [] for c in FUNNEL}}
    schema = {"by_attribute": pl.Utf8, "g0": pl.Utf8, **{c: pl.Int64 for c in FUNNEL}}
    src = bases.sources(con, "month", start, end)
    first, last = data_bounds(con, start, end, src.days)
    if first is None or first > last:
        return pl.DataFrame(out, schema=schema)
    p = bases.bits_parameters(start, end)
    fm, lm, fq, lq = p["first_month"], p["last_month"], p["first_quarter"], p["last_quarter"]
    n = len(kept.people)
    active, reacted, contributed = (np.zeros(n, dtype=bool) for _ in range(3))
    months = np.zeros(n, dtype=np.int64)
    if fm <= lm and len(kept.person):
        rows = (kept.block >= fm // 60) & (kept.block <= lm // 60)
        block = kept.block[rows]
        span = _bits(block, fm, lm)
        outside = _bits(block, fm, min(fq - 1, lm)) | _bits(block, max(lq + 1, fm), lm)
        row_active = (kept.active_months[rows] & outside) != 0
        if fq <= lq:
            row_active |= (kept.active_quarters[rows] & _bits(block, fq, lq, 3)) != 0
        at = np.searchsorted(kept.people, kept.person[rows])
        np.logical_or.at(active, at, row_active)
        np.logical_or.at(reacted, at, (kept.reacted_months[rows] & span) != 0)
        np.logical_or.at(contributed, at, (kept.contributed_months[rows] & span) != 0)
        np.add.at(months, at, np.bitwise_count(kept.contributed_months[rows] & span).astype(np.int64))
    edges = con.execute(sql("funnel_end_days").format(person_day=src.person_day),
                        {"from_date": start, "to_date": end, **{k: p[k] for k in (
                            "days_from", "days_to", "more_days_from", "more_days_to", "second_month")}}).fetchnumpy()
    keys = np.asarray(edges["person_key"], dtype=np.int64)
    at = np.minimum(np.searchsorted(kept.people, keys), max(n - 1, 0))
    known = (kept.people[at] == keys) if n else np.zeros(len(keys), dtype=bool)  # a person of the directory's
    at = at[known]
    for target, column in ((active, "active"), (reacted, "reacted"), (contributed, "contributed")):
        flags = edges[column]
        target[at] |= np.ma.filled(flags, False).astype(bool)[known]
    months[at] += np.ma.filled(edges["months_contributed"], 0).astype(np.int64)[known]
    lo, hi = (first - _EPOCH).days, (last - _EPOCH).days
    employed = kept.counted & (kept.hired_on <= hi) & (kept.left_on >= lo)
    if employed.any():
        out = {"by_attribute": ["organisation"], "g0": [kept.label],
               "in_directory": [int(employed.sum())], "seen": [int((employed & active).sum())],
               "reacted": [int((employed & (reacted | contributed)).sum())],
               "posted": [int((employed & contributed).sum())],
               "regular": [int((employed & (months >= regular_months)).sum())]}
    return pl.DataFrame(out, schema=schema)


def funnel_and_cohorts_by(con: duckdb.DuckDBPyConnection, bys: list[str], start: date | None = None,
                          end: date | None = None, min_group_size: int = 5, regular_months: int = 3,
                          attribution: str = bases.AS_IT_WAS, cells: dict[str, pl.DataFrame] | None = None,
                          kept: KeptBits | None = None) -> dict[str, tuple[pl.DataFrame, pl.DataFrame]]:
    """:func:`funnel_and_cohorts` by each attribute of ``bys``: the funnel in one query, the
    cohorts in another (the activities read once for every attribute). ``cells``: the cohorts'
    cells over the range before any is left out (:func:`cohort_cells_by`), when the caller has
    them (:func:`cells_within` of the whole history's, over whole months). ``kept``: the bits kept
    in memory (:func:`keep_bits`), the whole organisation's funnel counted from them."""
    first, last = data_bounds(con, start, end, bases.sources(con, "month", None, None).days)
    if first is None or first > last:
        return {by: (pl.DataFrame(schema={by: pl.Utf8, **{c: pl.Int64 for c in FUNNEL}}), _no_cohorts(by))
                for by in bys}
    src = bases.sources(con, "month", start, end)
    params = {"from_date": start, "to_date": end, "regular_months": regular_months}
    if kept is not None and src.materialised and bys == ["organisation"]:  # the bits kept in memory
        funnels = organisation_funnel(con, kept, start, end, regular_months)
    else:
        if src.materialised:  # the months and quarters as bits, the days at the ends: no sum over the range's rows
            groups = bases.person_bits_groups(src, bys, attribution)
            params.update(bases.bits_parameters(start, end))
        else:
            groups = bases.person_range_groups(src, bys, attribution, months=True)
        funnels = con.execute(sql("lifecycle_funnel").format(bounds=bounds_sql(src.days), groups=groups), params).pl()
    if cells is None:
        cells = cohort_cells_by(con, bys, start, end, attribution)
    out = {}
    for by in bys:
        # the range's headcount of each group: its people in the directory (the frames lazy, then
        # collected at once: each collect of a small frame waits its turn on polars' threads)
        funnel = _of_attribute(funnels.lazy(), by)
        heads = funnel.select(by, pl.col("in_directory").cast(pl.Int64).alias("headcount")).collect()
        shown_groups = decide(heads, by, "headcount", min_group_size)[0].lazy().select(by)
        by_cells = cells[by]
        shown_cells = _cohorts_shown(by_cells.select(by, "cohort", "cohort_size").unique(), by, shown_groups,
                                     min_group_size)
        funnel, cohorts = pl.collect_all([
            funnel.join(shown_groups, on=by, how="semi").with_columns(pl.col(FUNNEL).cast(pl.Int64)).sort(by),
            by_cells.lazy()
            .join(shown_cells.lazy().select(by, "cohort"), on=[by, "cohort"], how="semi")
            .with_columns((pl.col("active") / pl.col("cohort_size")).alias("share"))
            .select(_no_cohorts(by).columns)
            .sort(by, "cohort", "months_after"),
        ])
        out[by] = funnel, cohorts
    return out


def _of_attribute(frame: pl.DataFrame | pl.LazyFrame, by: str) -> pl.DataFrame | pl.LazyFrame:
    """The rows of attribute ``by`` of a frame of several (``by_attribute``, the group ``g0``),
    the group named after the attribute (a lazy frame's lazily: one collect for the steps after).

    >>> f = pl.DataFrame({"by_attribute": ["site", "team"], "g0": ["Lyon", "Ops"], "n": [1, 2]})
    >>> _of_attribute(f, "team").rows(), _of_attribute(f, "level").columns
    ([('Ops', 2)], ['level', 'n'])
    """
    return frame.filter(pl.col("by_attribute") == by).drop("by_attribute").rename({"g0": by})


def _no_cohorts(by: str) -> pl.DataFrame:
    return pl.DataFrame(schema={by: pl.Utf8, "cohort": pl.Utf8, "months_after": pl.Int64,
                                "cohort_size": pl.Int64, "active": pl.Int64, "share": pl.Float64})


CELLS = {"cohort": pl.Utf8, "months_after": pl.Int64, "cohort_size": pl.Int64, "active": pl.Int64}


def cohort_cells_by(con: duckdb.DuckDBPyConnection, bys: list[str], start: date | None = None,
                    end: date | None = None, attribution: str = bases.AS_IT_WAS,
                    person_months: str | None = None) -> dict[str, pl.DataFrame]:
    """The cells of the cohort curves over ``start``..``end`` by each attribute of ``bys``, none
    left out yet: the group (named after the attribute), ``cohort`` (the month of arrival),
    ``months_after``, ``cohort_size`` and ``active`` (:file:`lifecycle_cohorts.sql`).
    ``person_months``: the activity to count the cells from, when only some of the range's months
    are wanted (:func:`edge_cells`); by default all of them."""
    first, last = data_bounds(con, start, end, bases.sources(con, "month", None, None).days)
    if first is None or first > last:
        return {by: pl.DataFrame(schema={by: pl.Utf8, **CELLS}) for by in bys}
    src = bases.sources(con, "month", start, end)
    people = people_by_attribute(bys, bases.people_versions_of(attribution, bys))
    found = con.execute(sql("lifecycle_cohorts").format(people=people, person_months=person_months or src.person_months,
                                                        arrivals=src.arrivals),
                        {"from_date": start, "to_date": end, "first_day": first, "last_day": last}).pl()
    out = {}
    for by in bys:
        cells = _of_attribute(found.lazy(), by)
        out[by] = cells.select(pl.col(by).cast(pl.Utf8), *(pl.col(c).cast(t) for c, t in CELLS.items())).sort(
            by, "cohort", "months_after", nulls_last=True).collect()
    return out


def cells_within(cells: pl.DataFrame, first: date, last: date) -> pl.DataFrame:
    """The cells of the cohort curves over a range of whole months ``first``..``last`` (its first
    and last days) from those of the whole history (:func:`cohort_cells_by` without a range): the
    cohorts of the range's months, each month after them in the range. A person's month of arrival
    is that of their first activity ever and a month's activity is the whole month's, so each such
    cell is the whole history's.

    >>> cells = pl.DataFrame({"d": ["a"] * 4, "cohort": ["2026-01", "2026-01", "2026-02", "2026-03"],
    ...                       "months_after": [0, 2, 0, 0], "cohort_size": [3, 3, 2, 1], "active": [3, 1, 2, 1]})
    >>> cells_within(cells, date(2026, 1, 1), date(2026, 2, 28))["cohort"].to_list()
    ['2026-01', '2026-02']
    """
    index = (pl.col("cohort").str.slice(0, 4).cast(pl.Int64) * 12 + pl.col("cohort").str.slice(5, 2).cast(pl.Int64))
    lo, hi = first.year * 12 + first.month, last.year * 12 + last.month
    return cells.filter(index.is_between(lo, hi), (index + pl.col("months_after")) <= hi)


def cells_around(cells: pl.DataFrame, con: duckdb.DuckDBPyConnection, by: str, start: date, end: date,
                 attribution: str = bases.AS_IT_WAS) -> pl.DataFrame:
    """The cells of the cohort curves over ``start``..``end``, a range cutting months, from those
    of the whole history (``cells``: :func:`cohort_cells_by` without a range) and the days at its
    ends: a cohort's people are the same over the range as over the history (those who arrived in
    its month), so a cell of a whole month of the range is the history's; a cell of a month the
    range cuts is counted from the days of it the range holds (:func:`cohort_cells_by` over
    them). Only on fresh bases (the days are read from ``m_person_day``).

    >>> from ruche.store import connect
    >>> from metrics.materialise import refresh
    >>> con = connect(":memory:")
    >>> _ = con.execute("insert into people (person_key, person_id, department) select i, 'p' || i, 'Ops' from range(1, 4) t(i)")
    >>> _ = con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) values "
    ...                 "(1, 'x', '2026-01-05', 1, 'post', 1), (2, 'x', '2026-01-20', 2, 'post', 1), "
    ...                 "(3, 'x', '2026-02-25', 1, 'post', 1), (4, 'x', '2026-03-02', 2, 'post', 1)")
    >>> _ = refresh(con)
    >>> history = cohort_cells_by(con, ["department"])["department"]
    >>> cut = cells_around(history, con, "department", date(2026, 1, 10), date(2026, 3, 1))
    >>> cut.equals(cohort_cells_by(con, ["department"], date(2026, 1, 10), date(2026, 3, 1))["department"])
    True
    >>> cut.select("cohort", "months_after", "active").rows()   # 2 on 20 January, 1 on 25 February
    [('2026-01', 0, 1), ('2026-01', 1, 1)]
    """
    first = start if start.day == 1 else (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    after = end + timedelta(days=1)
    last = after if after.day == 1 else after.replace(day=1)   # the whole months are [first, last)
    spans = [(start, first), (last, after)] if first < last else [(start, after)]
    days = " or ".join(f"(day >= '{a.isoformat()}'::date and day < '{b.isoformat()}'::date)" for a, b in spans if a < b)
    edges = ("(select person_key, date_trunc('month', day)::date as month, active from m_person_day "
             f"where ({days or 'false'}) and day between $from_date::date and $to_date::date)")
    at_edges = cohort_cells_by(con, [by], start, end, attribution, person_months=edges)[by]
    index = (pl.col("cohort").str.slice(0, 4).cast(pl.Int64) * 12 + pl.col("cohort").str.slice(5, 2).cast(pl.Int64))
    lo, hi = start.year * 12 + start.month, end.year * 12 + end.month
    whole_lo, whole_hi = first.year * 12 + first.month, (last - timedelta(days=1)).year * 12 + (last - timedelta(days=1)).month
    inside = cells.lazy().filter(index.is_between(lo, hi), (index + pl.col("months_after")).is_between(whole_lo, whole_hi))
    return (pl.concat([inside.select(at_edges.columns), at_edges.lazy()])
            .sort(by, "cohort", "months_after", nulls_last=True).collect())


def _cohorts_shown(sizes: pl.DataFrame, by: str, groups: pl.DataFrame | pl.LazyFrame, k: int) -> pl.DataFrame:
    """The (group, cohort) cells shown: decided per cohort across the groups by the shared rule,
    only in the groups shown over the range; then, in each cohort, while the cells hidden (those
    of hidden groups included) hold between 1 and k - 1 people, the smallest shown one goes too,
    so that the organisation's cohort less the cells shown never tells a hidden one.

    >>> sizes = pl.DataFrame({"d": ["a", "b", "c"], "cohort": ["2026-01"] * 3, "cohort_size": [2, 10, 6]})
    >>> _cohorts_shown(sizes, "d", pl.DataFrame({"d": ["b", "c"]}), k=5)["d"].to_list()   # a's 2 hidden with c's 6
    ['b']
    """
    decided, _, _ = decide(sizes, by, "cohort_size", k, within=["cohort"])
    size = pl.col("cohort_size").fill_null(0)
    totals = sizes.lazy().group_by("cohort").agg(size.sum().alias("__total"))
    # In each cohort the shown cells smallest first (by size, then name): a cell goes while the
    # people hidden before it, those of the cells gone before it included, number 1 to k - 1. The
    # people hidden only grow as cells go, so a cell stays when none are hidden at first, or when
    # they and the cells before it hold at least k. (A cohort of no month, null, shows nothing.)
    return (
        decided.lazy()
        .join(groups.lazy(), on=by, how="semi")
        .join(totals, on="cohort")
        .sort("cohort", "cohort_size", by)
        .with_columns(
            (pl.col("__total") - size.sum().over("cohort")).alias("__hidden"),
            (size.cum_sum().over("cohort") - size).alias("__before"),
        )
        .filter((pl.col("__hidden") == 0) | (pl.col("__hidden") + pl.col("__before") >= k))
        .select(sizes.columns)
        .collect()
    )


@register("lifecycle", N_("new, continuing, returning and lapsed contributors per period and group; funnel; cohorts"))
def lifecycle_metric(con: duckdb.DuckDBPyConnection, params: MetricParams, *, heads: pl.DataFrame | None = None,
                     over_range: tuple[pl.DataFrame, pl.DataFrame] | None = None) -> MetricResult:
    attribution = bases.attribution_of(params)
    rows, left_out, funnel, cohorts = lifecycle(con, params.by, params.period, params.start, params.end,
                                                params.min_group_size, int(params.extra.get("regular_months", 3)),
                                                heads=heads, over_range=over_range, attribution=attribution)
    return MetricResult(rows=rows, suppressed_groups=left_out,
                        extra={"funnel": funnel, "cohorts": cohorts,
                               **labels(con, EMPLOYED_IN_PERIOD, params.start, params.end, attribution)})
