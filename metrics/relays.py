"""Managers as relays (METRICS.md, "Hierarchy"): do teams whose manager takes part adopt more?

A *team* is a manager and the people employed in the period who report straight to them, read
from the reporting tree (:mod:`metrics.hierarchy`) on the last day of the period inside the
window; the manager themselves is not counted in it. The manager *took part* when they posted or
replied in the period. Per period, the teams of each side (manager took part, or not) are pooled:
their participation is the active people of those teams over their headcount.

The gap (took part less did not) comes with a 95% interval from the teams, not the people: people
of one team are alike (same manager, same work), so counting them as independent draws would make
the interval too narrow. Each side's rate is a ratio of sums over its teams, whose variance is
estimated by linearisation over the teams (the cluster-robust variance of a ratio):
``n / (n - 1) * sum((a_i - r * h_i)^2) / H^2`` with ``a_i`` and ``h_i`` a team's active people and
headcount, ``H`` their sum and ``r`` the side's rate; the gap's variance is the sum of the two
sides'; the interval is the gap plus or minus 1.96 standard errors (null with fewer than two
teams on a side).

Privacy: a team under the minimum group size is not counted (``teams_left_out``); a side is
shown only when its teams hold at least the hierarchy's floor (:func:`metrics.hierarchy.floor`),
since a side of one team is that team. No team is ever named, and no side's headcount is shown:
with it, the company's headcount and active people less both sides' would tell how many of the
people in no team counted (the top, the small teams) were active.
"""

from __future__ import annotations

from datetime import date
from types import EllipsisType

import duckdb
import polars as pl

from metrics import hierarchy
from metrics.groups import grain
from metrics.measure import MetricParams, MetricResult, register
from metrics.population import EMPLOYED_IN_PERIOD
from ruche.i18n import N_

COLUMNS = ["period", "teams_with", "teams_without", "participation_with", "participation_without", "gap", "gap_low",
           "gap_high", "teams_left_out", "partial"]

Z95 = 1.959963984540054


def teams(con: duckdb.DuckDBPyConnection, period: str = "month", start: date | None = None, end: date | None = None,
          tree: hierarchy.Tree | None = None) -> pl.DataFrame:
    """Every team per period, unsuppressed: ``period_start``, ``period``, ``partial``, ``manager_key``,
    ``took_part``, ``headcount``, ``active``, from ``tree`` when given, else as stored
    (:func:`metrics.hierarchy.figures_at`). Only :func:`managers_as_relays` reads it."""
    return hierarchy.figures_at(con, tree, period, start, end, "relays")


def sides(frame: pl.DataFrame, min_group_size: int) -> pl.DataFrame:
    """The comparison per period from the teams of :func:`teams` (or any frame with ``period``,
    ``partial``, ``took_part``, ``headcount``, ``active``).

    >>> t = pl.DataFrame({"period": ["m"] * 5, "partial": [False] * 5,
    ...                   "took_part": [True, True, False, False, False],
    ...                   "headcount": [5, 6, 5, 10, 2], "active": [4, 3, 1, 4, 2]})
    >>> r = sides(t, 5).row(0, named=True)
    >>> r["teams_with"], r["teams_without"], r["teams_left_out"], r["participation_with"], r["participation_without"]
    (2, 2, 1, 0.6363636363636364, 0.3333333333333333)
    >>> round(r["gap"], 4), round(r["gap_low"], 4), round(r["gap_high"], 4)
    (0.303, -0.0366, 0.6427)
    """
    k = hierarchy.floor(min_group_size)
    small = pl.col("headcount") < min_group_size
    left_out = frame.group_by("period").agg(small.sum().alias("teams_left_out"))
    counted = frame.filter(~small)
    rates = counted.group_by("period", "took_part").agg(
        pl.len().alias("teams"), pl.col("headcount").sum().alias("h"), pl.col("active").sum().alias("a"))
    rates = rates.with_columns((pl.col("a") / pl.col("h")).alias("rate"))
    spread = counted.join(rates.select("period", "took_part", "rate", "h", "teams"), on=["period", "took_part"])
    spread = spread.group_by("period", "took_part").agg(
        ((pl.col("active") - pl.col("rate") * pl.col("headcount")) ** 2).sum().alias("ss"))
    rates = rates.join(spread, on=["period", "took_part"]).with_columns(
        pl.when(pl.col("h") >= k).then(pl.col("rate")).alias("rate"),
        pl.when((pl.col("h") >= k) & (pl.col("teams") > 1))
        .then(pl.col("teams") / (pl.col("teams") - 1) * pl.col("ss") / pl.col("h") ** 2).alias("var"))
    side = {True: "with", False: "without"}
    periods = frame.select("period", "partial").unique("period")
    out = periods.join(left_out, on="period", how="left")
    for took, name in side.items():
        one = rates.filter(pl.col("took_part") == took).select(
            "period", pl.col("teams").alias(f"teams_{name}"), pl.col("h").alias(f"headcount_{name}"),
            pl.col("rate").alias(f"participation_{name}"), pl.col("var").alias(f"var_{name}"))
        out = out.join(one, on="period", how="left")
    se = (pl.col("var_with") + pl.col("var_without")).sqrt()
    gap = pl.col("participation_with") - pl.col("participation_without")
    out = out.with_columns(
        pl.col("teams_with").fill_null(0).cast(pl.Int64), pl.col("teams_without").fill_null(0).cast(pl.Int64),
        pl.col("teams_left_out").fill_null(0).cast(pl.Int64),
        gap.alias("gap"), (gap - Z95 * se).alias("gap_low"), (gap + Z95 * se).alias("gap_high"))
    return out.sort("period").select(COLUMNS)


def managers_as_relays(con: duckdb.DuckDBPyConnection, period: str = "month", start: date | None = None,
                       end: date | None = None, min_group_size: int = 5,
                       tree: hierarchy.Tree | None = None) -> tuple[pl.DataFrame, int]:
    """Participation of the teams whose manager took part against the teams whose manager did not,
    per period: ``period``, ``teams_with``, ``teams_without`` (teams counted each side),
    ``participation_with``, ``participation_without``
    (null for a side under the floor), ``gap`` and its 95% interval ``gap_low``, ``gap_high``,
    ``teams_left_out`` (under the minimum group size), ``partial``. Also the most teams left out
    in a period.

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute("insert into people (person_key, person_id, manager_key) "
    ...                 "select i, 'p' || i, case when i > 2 then 1 + i % 2 end from range(1, 25) t(i)")
    >>> _ = con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) "
    ...                 "select i, 'x', '2026-03-02', i, case when i = 1 then 'post' else 'reaction' end, 1 "
    ...                 "from range(1, 10) t(i)")
    >>> rows, _ = managers_as_relays(con)
    >>> rows.select("teams_with", "participation_with", "teams_without", "participation_without").rows()
    [(1, 0.2727272727272727, 1, 0.36363636363636365)]
    """
    rows = sides(teams(con, period, start, end, tree), min_group_size)
    return rows, int(rows["teams_left_out"].max() or 0) if rows.height else 0


@register("managers-as-relays", N_("participation of teams whose manager took part against teams whose manager "
          "did not, with the gap and its 95% interval"), default_by="organisation")
def relays_metric(con: duckdb.DuckDBPyConnection, params: MetricParams) -> MetricResult:
    return result(con, params)


def stored_sides(con: duckdb.DuckDBPyConnection, facts: dict | None, period: str, start: date | None,
                 end: date | None, min_group_size: int, starts: bool = False) -> pl.DataFrame | None:
    """:func:`sides` of the teams of the range as stored (:func:`metrics.hierarchy.store_periods`,
    ``facts``: :func:`metrics.hierarchy.periods_current`), pooled in the store in one pass: the
    same rows but for the intervals' last digits (each side's sum of squares from exact integer
    sums rather than added term by term). With ``starts``, each period's first day too
    (``period_start``, first: what :func:`slice_sides` cuts a range by). None when the stored
    teams do not answer the range (a range that cuts a period, none stored)."""
    if not hierarchy.answers(facts, period, start, end):
        return None
    text = hierarchy.query_text("sides").format(sizes=hierarchy.TEAM_SIZES_TABLE)
    rows = con.execute(text, {"grain": period, "trunc": grain(period).trunc, "from_date": start, "to_date": end,
                              "k": min_group_size, "floor": hierarchy.floor(min_group_size), "z": Z95}).pl()
    rows = rows.cast({"teams_with": pl.Int64, "teams_without": pl.Int64, "teams_left_out": pl.Int64})
    return rows if starts else rows.drop("period_start")


def slice_sides(rows: pl.DataFrame, period: str, start: date | None, end: date | None) -> pl.DataFrame:
    """The rows of :func:`stored_sides` (with ``starts``) of the whole periods of ``start``..``end``:
    each period's sides stand on their own (its teams, the floor decided within it), so a range's
    are the whole range's rows of its periods."""
    return hierarchy.slice_organisations(rows, period, start, end).drop("period_start")


def result(con: duckdb.DuckDBPyConnection, params: MetricParams, teams_found: pl.DataFrame | None = None,
           facts: dict | None | EllipsisType = ..., rows: pl.DataFrame | None = None,
           labelled: dict | None = None) -> MetricResult:
    """The measure's result under ``params`` (option ``tree``: the tree, when the caller keeps it):
    its ``rows`` when the caller has them (:func:`slice_sides`), else from the teams of :func:`teams`
    over the range when the caller keeps them (``teams_found``), else pooled from the stored teams
    while they answer (:func:`stored_sides`; ``facts``: :func:`metrics.hierarchy.periods_current`,
    when the caller keeps them), else from :func:`teams`. ``labelled``: what the figure covers
    (:func:`metrics.participation.labels` over the range), when the caller keeps it."""
    from metrics.participation import labels

    if rows is None and teams_found is None and params.extra.get("tree") is None:
        rows = stored_sides(con, hierarchy.periods_current(con) if facts is ... else facts, params.period,
                            params.start, params.end, params.min_group_size)
    if rows is None and teams_found is None:
        rows, left_out = managers_as_relays(con, params.period, params.start, params.end, params.min_group_size,
                                            params.extra.get("tree"))
    else:
        rows = sides(teams_found, params.min_group_size) if rows is None else rows
        left_out = int(rows["teams_left_out"].max() or 0) if rows.height else 0
    covers = labelled if labelled is not None else labels(con, EMPLOYED_IN_PERIOD, params.start, params.end)
    return MetricResult(rows=rows, suppressed_groups=left_out,
                        extra={**covers, "side_floor": hierarchy.floor(params.min_group_size),
                               "hidden_unit": ("team", "teams", "people")})
