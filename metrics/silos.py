"""Silos: how far each group keeps its interactions to itself.

Definitions (METRICS.md, "Interactions and silos"), over the interaction graph of
:mod:`metrics.graph` and a partition of people into groups (External people form the group
``External``):

- **E-I index** of a group (Krackhardt & Stern) = (E - I) / (E + I), E the weight of ties with
  one end in the group, I of ties with both; null when the group has no tie.
- **Organisation E-I index**: the same over all ties, each counted once.
- **Cross-silo share**: weight of ties between different groups / total weight.
- **Modularity** (Newman; weighted, resolution 1) of the partition into groups.
- A **silo** is a group whose E-I index is below a threshold (setting ``silo_threshold``, -0.5).
- **Volume**: a group with fewer ties than ``silo_min_ties`` (50), or fewer per member than
  ``silo_min_ties_per_person`` (1), over the window or period has no E-I index: a handful of
  ties, two of them outward, would make a group that barely interacts look open. Its ``status`` is
  ``disconnected`` (too few ties to tell), never ``open``; otherwise ``silo`` or ``open``.

The organisation's E-I index can be below every group's: a tie between two groups is outward for
both (it counts in the E of each), but once in the organisation's E, while a tie inside a group
counts once in both. ``ei_index_as_groups`` is the organisation's figure counted as the groups
count it (each tie between groups at both ends): (2E - I) / (2E + I), the tie-weighted mean of
the groups' E-I, always between the lowest and the highest group's.

All of it is computed exactly in DuckDB from tie weights summed per pair of groups
(``silos.sql``): with m the total weight and a group's degree 2I + E, the modularity of the
partition is sum over groups of I/m - ((2I + E) / 2m)^2, which is what networkx's
``modularity`` computes on the person graph (the tests check both agree).
"""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from metrics._sql import sql
from metrics.bases import AS_IT_WAS, attribution_of, people_versions
from metrics.groups import EXTERNAL, grain, group_expression
from metrics.population import (EMPLOYED_IN_PERIOD, EMPLOYED_IN_RANGE, EXTERNAL_ACTIVE, bounds_sql, data_bounds,
                                held_bounds)
from metrics.suppression import decide
from metrics.graph import group_graph_frames, stored_ties
from metrics.ties import (WHOLE_WINDOW_CALENDAR, data_days, network_query, per_period_calendar, whole_months,
                          window)
from metrics.measure import MetricParams, MetricResult, register
from ruche.i18n import N_

DEFAULT_SILO_THRESHOLD = -0.5
#: Fewest ties, in all and per member, for a group's E-I index to be told (settings
#: ``silo_min_ties``, ``silo_min_ties_per_person``).
DEFAULT_MIN_TIES = 50
DEFAULT_MIN_TIES_PER_PERSON = 1.0

_ORG_COLUMNS = ["org_people", "org_ties", "org_internal_ties", "org_between_ties", "org_ei_index",
                "org_cross_silo_share", "org_modularity"]


def silos(
    con: duckdb.DuckDBPyConnection,
    by: str = "department",
    period: str | None = None,
    start: date | None = None,
    end: date | None = None,
    min_group_size: int = 5,
    silo_threshold: float = DEFAULT_SILO_THRESHOLD,
    min_ties: int = DEFAULT_MIN_TIES,
    min_ties_per_person: float = DEFAULT_MIN_TIES_PER_PERSON,
    attribution: str = AS_IT_WAS,
) -> tuple[pl.DataFrame, int, pl.DataFrame]:
    """E-I index of each group, and the organisation's figures, over a window or per period.

    ``attribution`` (:data:`metrics.bases.ATTRIBUTIONS`): each tie in the groups both its ends held
    on its day and each group's headcount the people who held it on a day of the window or period
    (as it was, the default: read from the stored group ties when they are current), or
    everything in the groups people hold now (today: read from the stored group ties of today's
    organisation when they hold ``by``, else computed from the activities).

    Returns three things:

    - the tidy frame of groups: ``period`` (only when ``period`` is given: ``week``, ``month``,
      ``quarter``), the group column named ``by``, ``headcount`` (for ``External``: the external
      people active in the period), ``internal_ties``, ``external_ties``, ``ei_index`` (null for
      a group with fewer than ``min_ties`` ties, or fewer than ``min_ties_per_person`` per member)
      and ``is_silo`` (``ei_index < silo_threshold``;
      null with it); then ``ties`` (internal + external), ``ties_per_person``,
      ``cross_silo_share`` (the share of the group's ties that leave it, E / (E + I); null when
      ``ei_index`` is), ``status``
      (``silo``, ``open``, ``disconnected``: too few ties to tell), ``population`` (who
      ``headcount`` counts: :mod:`metrics.population`) and, per period, ``days`` and ``partial``
      (the window holds only part of the period);
    - the number of groups left out because they are under ``min_group_size`` people (and, so
      that none can be recovered by difference, the next smallest as needed);
    - the organisation's figures, one row per period: ``ties`` (total weight), ``ei_index``,
      ``cross_silo_share`` and ``modularity``, then ``internal_ties`` and ``between_ties`` (ties
      inside a group, between two), ``ei_index_as_groups`` (see above) and, per period, ``days``
      and ``partial``; null when the period has no tie, or when the whole organisation holds
      fewer than ``min_group_size`` people.

    The organisation's figures count every group, the suppressed ones included: those always hold
    at least ``min_group_size`` people together, so no small group can be told from them.

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute(
    ...     "insert into people (person_key, person_id, department) "
    ...     "select i, 'p' || i, case when i <= 5 then 'Sales' else 'Legal' end from range(1, 11) t(i)")
    >>> _ = con.execute(   # Sales: 3 ties inside, 1 to Legal; Legal: no tie inside
    ...     "insert into activities (activity_uid, source, occurred_at, person_key, kind, target_key, run_id) "
    ...     "values (1, 'x', '2026-03-02', 1, 'reply', 2, 1), (2, 'x', '2026-03-03', 2, 'mention', 3, 1), "
    ...     "(3, 'x', '2026-03-04', 3, 'reaction', 1, 1), (4, 'x', '2026-03-05', 4, 'mention', 6, 1), "
    ...     "(5, 'x', '2026-03-05', 4, 'mention', 4, 1)")
    >>> groups, left_out, org = silos(con, min_ties=1, min_ties_per_person=0)
    >>> groups.select("department", "headcount", "internal_ties", "external_ties", "ei_index", "status").rows()
    [('Legal', 5, 0, 1, 1.0, 'open'), ('Sales', 5, 3, 1, -0.5, 'open')]
    >>> silos(con, min_ties=2, min_ties_per_person=0)[0].select("department", "ties", "ei_index", "status").rows()
    [('Legal', 1, None, 'disconnected'), ('Sales', 4, -0.5, 'open')]
    >>> org.select("ties", "ei_index", "cross_silo_share").rows()
    [(4, -0.5, 0.25)]
    >>> round(org["modularity"][0], 4)   # 3/4 - (7/8)^2 + 0/4 - (1/8)^2
    -0.0312
    """
    groups, left_out, org, _ = silos_and_hidden(con, by, period, start, end, min_group_size, silo_threshold,
                                                min_ties, min_ties_per_person, attribution)
    return groups, left_out, org


def silos_and_hidden(
    con: duckdb.DuckDBPyConnection, by: str, period: str | None, start: date | None, end: date | None,
    min_group_size: int, silo_threshold: float, min_ties: int = DEFAULT_MIN_TIES,
    min_ties_per_person: float = DEFAULT_MIN_TIES_PER_PERSON, attribution: str = AS_IT_WAS,
    totals: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, int, pl.DataFrame, pl.DataFrame]:
    """:func:`silos`, and the groups it left out (``period`` if any, ``by``): kept by a load to count
    those of a sub-range (:mod:`metrics.results`), never shown. ``totals``: :func:`totals` of the
    same arguments read before (the same figures under another minimum group size need no other
    query)."""
    if totals is None:
        totals = _totals(con, by, period, start, end, stored_ties(con, attribution, by), attribution)
    return _shaped(totals, by, period, min_group_size, silo_threshold, min_ties, min_ties_per_person)


def totals(con: duckdb.DuckDBPyConnection, by: str, period: str | None, start: date | None, end: date | None,
           attribution: str = AS_IT_WAS) -> pl.DataFrame:
    """Every group of ``by``'s people and ties per ``period`` (None: over the window), before any
    suppression, with the organisation's figures on every row: what :func:`silos_and_hidden`
    decides under a minimum group size, from the stored group ties when they answer
    ``attribution`` (:func:`stored_ties`), else from the interactions."""
    return _totals(con, by, period, start, end, stored_ties(con, attribution, by), attribution)


def totals_by(
    con: duckdb.DuckDBPyConnection, bys: list[str], period: str | None, start: date | None,
    end: date | None = None,
) -> dict[str, pl.DataFrame]:
    """Every group's people and ties per ``period`` from ``start`` on, as it was, before any
    suppression, with the organisation's figures on every row, for every attribute of ``bys``
    (allow-listed) in one query (``silos_by.sql``, from the stored group ties): what
    :func:`silos_by` decides under a minimum group size. ``period`` None: the whole window from
    ``start`` to the end of the data as one period (``all``), what :func:`silos_metric` reads.
    ``end``: the last day of a span of whole periods (the same rows of those periods). The data's
    first and last day read once within :func:`metrics.population.days_held` (a load's results,
    :func:`metrics.bases.freshness_held`), not scanned again by each query."""
    if period is None:
        calendar = WHOLE_WINDOW_CALENDAR
        day_of = "(select first_day from bounds)"
        months = True
    else:
        g = grain(period)
        calendar, _ = per_period_calendar(g)
        day_of = f"date_trunc('{g.trunc}', {{day}})::date"
        # a month or a quarter holds whole months: those are summed from the groups' month totals
        months = g.name in ("month", "quarter")
    # the days of the pairs read, as literal dates (those of bounds: the data's first and last day
    # held), so that the scan of m_group_ties skips the storage blocks of the other days
    first, last = data_bounds(con, start, end)
    if first is None or first > last:
        tie_days = "false"
    elif months:
        full_from, full_to = whole_months(first, last)
        tie_days = (f"((g.day >= date '{first}' and g.day < date '{full_from}') "
                    f"or (g.day >= date '{full_to}' and g.day <= date '{last}'))")
    else:
        tie_days = f"g.day >= date '{first}' and g.day <= date '{last}'"
    query = sql("silos_by").format(
        bounds=bounds_sql(held_bounds(con)), calendar=calendar, attribution=AS_IT_WAS, tie_days=tie_days,
        attributes=", ".join(f"'{b}'" for b in bys if group_expression(b)),
        external_period=day_of.format(day="d.day"), ties_period=day_of.format(day="g.day"),
        ends_period=day_of.format(day="e.month"),
        days_summed="(day < whole.full_from or day >= whole.full_to)" if months else "true",
        months_summed="true" if months else "false",
        whole_months="by month or quarter, the whole months from the groups' month totals" if months
        else "by week, every day from the pairs",
    )
    frame = _typed(con.execute(query, {"from_date": start, "to_date": end}).pl())
    return {by: frame.filter(pl.col("by_attribute") == by).drop("by_attribute") for by in bys}


def silos_by(
    con: duckdb.DuckDBPyConnection, bys: list[str], period: str, start: date | None, min_group_size: int,
    silo_threshold: float, min_ties: int = DEFAULT_MIN_TIES, min_ties_per_person: float = DEFAULT_MIN_TIES_PER_PERSON,
    totals: dict[str, pl.DataFrame] | None = None,
) -> dict[str, tuple[pl.DataFrame, int, pl.DataFrame, pl.DataFrame]]:
    """:func:`silos_and_hidden` per ``period`` from ``start`` on, as it was, for every attribute of
    ``bys`` (allow-listed) in one query (:func:`totals_by`, from the stored group ties: the caller
    checked they describe the store, :func:`metrics.graph.stored_ties`): each attribute's figures
    those a query by it alone gives, row for row. ``totals``: :func:`totals_by`'s frames of ``bys``
    read before (the same figures under another minimum group size need no other query)."""
    totals = totals_by(con, bys, period, start) if totals is None else totals
    return {by: _shaped(totals[by], by, period, min_group_size, silo_threshold, min_ties, min_ties_per_person)
            for by in bys}


def _typed(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        pl.col("headcount", "internal_ties", "external_ties", "org_people", "org_ties", "org_internal_ties",
               "org_between_ties", "days").cast(pl.Int64),
        pl.col("ei_index", "org_ei_index", "org_cross_silo_share", "org_modularity").cast(pl.Float64),
    )


def _totals(con: duckdb.DuckDBPyConnection, by: str, period: str | None, start: date | None,
            end: date | None, stored: bool, attribution: str = AS_IT_WAS) -> pl.DataFrame:
    """Every group's people and ties, before any suppression, with the organisation's figures on
    every row (``silos.sql``); ``stored``: whether the stored group ties answer (:func:`stored_ties`)."""
    whole = window(con, start, end) if stored and period is None else None
    query = network_query("silos", by, period, stored_ties=stored, whole=whole, people=people_versions(attribution),
                          days=data_days(con))
    return _typed(con.execute(query, {"from_date": start, "to_date": end}).pl())


def _shaped(frame: pl.DataFrame, by: str, period: str | None, min_group_size: int,
            silo_threshold: float, min_ties: int = DEFAULT_MIN_TIES,
            min_ties_per_person: float = DEFAULT_MIN_TIES_PER_PERSON,
            ) -> tuple[pl.DataFrame, int, pl.DataFrame, pl.DataFrame]:
    too_few = pl.col("org_people") < min_group_size
    between, inside = pl.col("org_between_ties"), pl.col("org_internal_ties")
    org = (
        frame.group_by("period", maintain_order=True)
        .agg(*(pl.col(c).first() for c in _ORG_COLUMNS), pl.col("days").first(), pl.col("partial").first())
        .with_columns(((2 * between - inside) / (2 * between + inside).replace(0, None)).alias("org_ei_index_as_groups"))
        .select(
            "period",
            pl.when(too_few).then(None).otherwise(pl.col("org_ties")).alias("ties"),
            *(
                pl.when(too_few).then(None).otherwise(pl.col(f"org_{c}")).alias(c)
                for c in ("ei_index", "cross_silo_share", "modularity", "internal_ties", "between_ties",
                          "ei_index_as_groups")
            ),
            "days", "partial",
        )
        .sort("period")
    )
    ties = pl.col("internal_ties") + pl.col("external_ties")
    # below the minimum, a few outward ties would make a group that barely talks look open
    told = (ties >= min_ties) & (ties >= min_ties_per_person * pl.col("headcount"))
    groups = frame.drop(_ORG_COLUMNS).with_columns(
        pl.when(told).then(pl.col("ei_index")).otherwise(None).alias("ei_index"),
    ).with_columns(
        (pl.col("ei_index") < silo_threshold).alias("is_silo"),
        ties.alias("ties"),
        (ties / pl.col("headcount").replace(0, None)).alias("ties_per_person"),
        # the share of the group's ties that leave it, E / (E + I) = (E-I + 1) / 2: told as E-I is
        pl.when(pl.col("ei_index").is_not_null() & (ties > 0)).then(pl.col("external_ties") / ties)
        .alias("cross_silo_share"),
        pl.when(~told).then(pl.lit("disconnected"))
        .when(pl.col("ei_index") < silo_threshold).then(pl.lit("silo")).otherwise(pl.lit("open")).alias("status"),
        pl.when(pl.col("grp") == EXTERNAL).then(pl.lit(EXTERNAL_ACTIVE))
        .otherwise(pl.lit(EMPLOYED_IN_PERIOD if period is not None else EMPLOYED_IN_RANGE)).alias("population"),
    ).select(pl.exclude("days", "partial"), "days", "partial")
    # a group no one held while employed in the window (only the ties of people who had left, or
    # not yet come, reach it) is in no population: neither shown nor hidden, as every other metric
    # has it (tests/test_suppression_across_metrics.py); hiding it would hide another group with it
    groups = groups.filter(pl.col("headcount") > 0)
    # one period: its groups are the partition (a partition per period costs a window per column)
    visible, left_out, hidden = decide(groups, "grp", "headcount", min_group_size,
                                       within=["period"] if period is not None else None)
    if period is None:
        hidden = groups.select("period", "grp").join(hidden, on="grp", how="semi")
    groups, hidden = visible.rename({"grp": by}), hidden.rename({"grp": by})
    if period is None:
        groups, hidden = groups.drop("period", "days", "partial"), hidden.drop("period")
        org = org.drop("period", "days", "partial")
    return groups, left_out, org, hidden


def min_ties(extra: dict) -> tuple[int, float]:
    """The ``silo_min_ties`` and ``silo_min_ties_per_person`` a metric's parameters ask for, else
    the defaults."""
    total, per_person = extra.get("silo_min_ties"), extra.get("silo_min_ties_per_person")
    return (DEFAULT_MIN_TIES if total is None else int(total),
            DEFAULT_MIN_TIES_PER_PERSON if per_person is None else float(per_person))


def covers(con: duckdb.DuckDBPyConnection, start: date | None, end: date | None) -> dict | None:
    """The first and last day of the window cut to the data (``from``, ``to``), None without data."""
    covered = window(con, start, end)
    return {"from": covered[0], "to": covered[1]} if covered and covered[0] <= covered[1] else None


def silos_result(groups: pl.DataFrame, left_out: int, org: pl.DataFrame, per_period: bool,
                 covered: dict | None = None, attribution: str = AS_IT_WAS) -> MetricResult:
    """The registry's result of :func:`silos`; ``covered``: :func:`covers`; ``attribution``: the
    groups its ties were counted in."""
    if not per_period:
        extra = org.to_dicts()[0] if org.height else {
            "ties": None, "ei_index": None, "cross_silo_share": None, "modularity": None, "internal_ties": None,
            "between_ties": None, "ei_index_as_groups": None,
        }
    else:
        extra = {"periods": org.to_dicts()}
    extra["covers"] = covered
    extra["attribution"] = attribution
    return MetricResult(rows=groups, suppressed_groups=left_out, extra=extra)


@register("silos", N_("E-I index of each group (silos), organisation E-I index, cross-silo share, modularity"))
def silos_metric(con: duckdb.DuckDBPyConnection, params: MetricParams) -> MetricResult:
    """Over the window, or per period when the caller asks for one (``extra["per_period"]``).

    Over the window, ``extra["graph_top"]`` = N also gives the group graph's N most tied nodes
    and the edges between them (:func:`metrics.graph.group_graph_frames`) in ``extra["graph"]``
    (``nodes``, ``edges``, ``groups``: the number of nodes of the whole graph), from the same
    totals of the groups: what the dashboard's Network page draws beside the E-I index.
    """
    period = params.period if params.extra.get("per_period") else None
    attribution = attribution_of(params)
    stored = stored_ties(con, attribution, params.by)
    return silos_from_totals(con, params, _totals(con, params.by, period, params.start, params.end, stored,
                                                  attribution), stored)


def silos_from_totals(con: duckdb.DuckDBPyConnection, params: MetricParams, totals: pl.DataFrame,
                      stored: bool, covered: dict | None = None) -> MetricResult:
    """:func:`silos_metric`'s result from the groups' totals before any suppression (:func:`_totals`,
    or :func:`totals_by`'s frame of ``params.by`` over the whole window); ``stored``: whether the
    stored group ties answer (:func:`stored_ties`); ``covered``: :func:`covers` of the window, read
    here when not given."""
    period = params.period if params.extra.get("per_period") else None
    threshold = params.extra.get("silo_threshold")
    attribution = attribution_of(params)
    groups, left_out, org, _ = _shaped(
        totals, params.by, period, params.min_group_size,
        DEFAULT_SILO_THRESHOLD if threshold is None else float(threshold), *min_ties(params.extra),
    )
    result = silos_result(groups, left_out, org, period is not None,
                          covers(con, params.start, params.end) if covered is None else covered, attribution)
    top = params.extra.get("graph_top")
    if top is not None and period is None:
        nodes, edges, _, count = group_graph_frames(
            con, params.by, params.start, params.end, params.min_group_size, top=int(top),
            per_group=totals.select("grp", "headcount", "internal_ties", "external_ties"), stored=stored,
            attribution=attribution,
        )
        result.extra["graph"] = {"nodes": nodes, "edges": edges, "groups": count}
    return result
