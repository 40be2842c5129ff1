"""Participation inequality: the 90/9/1 split, the Gini coefficient and the Lorenz curve.

Over a range and a group of N internal people (employed at some time during the range), each
person's contributions c(p) (posts and replies) rank them (METRICS.md):

- ``superuser``: c(p) >= c*, the count of the person ranked ceil(share * N) (share 1% by default,
  ``superuser_share``), with c* >= 1; everybody tied at c* is a superuser;
- ``contributor``: the other people with c(p) >= 1;
- ``lurker``: no contribution, but active (read, reacted, joined, mentioned, a usage report);
- ``inactive``: no activity at all.

When no source reports reads, lurkers cannot be told from inactive people: the split then has one
class ``non-contributor`` instead of the two (and the result says ``reads_known: false``).
The Gini coefficient is over all N people, zeros included (null when nobody contributed); the
contributor absence factor is the smallest number of people who together made at least half of
the contributions.

A group's N people are those employed in the range who held the group on at least one day of it,
each with the contributions (and activity) of the days they held it: someone who moved is in both
groups, ranked in each by their part there. Restated (the ``attribution`` today), everyone is in
the group they hold now with their whole range (docs/metrics.md, "Group attribution over time").
The organisation's split, Gini and Lorenz curve count each person once, with their whole range.
"""

from __future__ import annotations

from datetime import date

import duckdb
import numpy as np
import polars as pl

from metrics import bases
from metrics._sql import sql
from metrics.participation import labels, reads_extra
from metrics.population import EMPLOYED_IN_RANGE, bounds_sql
from metrics.suppression import decide_once
from metrics.measure import MetricParams, MetricResult, register
from ruche.i18n import N_

def _ratio(numerator: pl.Series, denominator: pl.Series) -> pl.Series:
    """``numerator / denominator`` as floats, null where the denominator is null or 0.

    Divided by NumPy, element by element: polars divides a column by a constant one (what a join
    to a single group gives) as a product by its inverse, which can differ in the last bit from
    the quotient, so figures would depend on how many groups a call asked for.
    """
    num = numerator.cast(pl.Float64).to_numpy()
    den = denominator.cast(pl.Float64).fill_null(0).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.divide(num, den)
    return pl.Series(values).set(pl.Series(den == 0), None)


CLASSES_WITH_READS = ["superuser", "contributor", "lurker", "inactive"]
CLASSES_WITHOUT_READS = ["superuser", "contributor", "non-contributor"]


def histogram(con: duckdb.DuckDBPyConnection, by: str, start: date | None, end: date | None,
              attribution: str = bases.AS_IT_WAS) -> pl.DataFrame:
    """How many internal people of each group (column ``g0``) made ``c`` contributions over the
    range, with ``active`` telling, for those without any, whether they did something else:
    ``g0``, ``c``, ``active``, ``people``. One small frame (a row per group and distinct count)
    from which :func:`split_of` and :func:`lorenz_of` compute every figure exactly."""
    return histograms(con, [by], start, end, attribution)[by]


def histograms(con: duckdb.DuckDBPyConnection, bys: list[str], start: date | None, end: date | None,
               attribution: str = bases.AS_IT_WAS, groups: str | None = None) -> dict[str, pl.DataFrame]:
    """:func:`histogram` of each attribute of ``bys``, in one query (people counted under
    ``attribution``); ``groups``: a table holding :func:`metrics.bases.person_range_groups` of
    ``bys`` over the range, when the caller made one (a load: personas read it too)."""
    src = bases.sources(con, "month", start, end)
    query = histogram_sql(src, groups or bases.person_range_groups(src, bys, attribution))
    return histograms_of(con.execute(query, {"from_date": start, "to_date": end}).pl(), bys)


#: The columns of :file:`inequality.sql`'s rows.
HISTOGRAM = ["by_attribute", "g0", "c", "active", "people"]


def histogram_sql(src: bases.Sources, groups: str) -> str:
    """:file:`inequality.sql` over ``groups`` (a relation of :func:`metrics.bases.person_range_groups`)."""
    return sql("inequality").format(bounds=bounds_sql(src.days), groups=groups)


def histograms_of(frame: pl.DataFrame, bys: list[str]) -> dict[str, pl.DataFrame]:
    """The rows of :file:`inequality.sql` (``frame``) as :func:`histograms` gives them: per attribute."""
    parts = frame.partition_by("by_attribute", as_dict=True, include_key=False)
    return {by: parts.get((by,), frame.clear().drop("by_attribute")) for by in bys}


def _blocks(hist: pl.DataFrame) -> pl.DataFrame:
    """:func:`_blocks_plan` collected."""
    return _blocks_plan(hist).collect()


def _blocks_plan(hist: pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
    """People per group and contribution count (``m``), with each block's place in the ranking:
    the people and contributions ranked before it, fewest first (``asc_people``, ``asc_sum``)
    and most first (``desc_people``, ``desc_sum``), and the group's ``n`` and ``total``.

    The blocks are sorted by group and count, so the sums before a block are running sums over
    the whole frame less those of the groups before its own: one aggregation per group instead of
    a window per column (thousands of teams: a window partitions by name each time).
    """
    blocks = (
        hist.lazy().group_by("g0", "c").agg(pl.col("people").sum().alias("m"))
        .with_columns((pl.col("c") * pl.col("m")).alias("cm"))
        .sort("g0", "c")
    )
    groups = (
        blocks.group_by("g0", maintain_order=True)
        .agg(pl.col("m").sum().alias("n"), pl.col("cm").sum().alias("total"))
        .with_columns(
            (pl.col("n").cum_sum() - pl.col("n")).alias("__people_before"),
            (pl.col("total").cum_sum() - pl.col("total")).alias("__sum_before"),
        )
    )
    return (
        blocks.join(groups, on="g0", how="left", maintain_order="left")
        .with_columns(
            (pl.col("m").cum_sum() - pl.col("m") - pl.col("__people_before")).alias("asc_people"),
            (pl.col("cm").cum_sum() - pl.col("cm") - pl.col("__sum_before")).alias("asc_sum"),
        )
        .with_columns(
            (pl.col("n") - pl.col("asc_people") - pl.col("m")).alias("desc_people"),
            (pl.col("total") - pl.col("asc_sum") - pl.col("cm")).alias("desc_sum"),
        )
        .select("g0", "c", "m", "cm", "asc_people", "asc_sum", "desc_people", "desc_sum", "n", "total")
    )


def split_of(hist: pl.DataFrame, superuser_share: float, reads: bool) -> pl.DataFrame:
    """The split of every group of ``hist`` (:func:`histogram`): ``g0``, ``class``, ``people``,
    ``people_share``, ``contributions``, ``contributions_share``, ``headcount``, ``gini``,
    ``contributor_absence_factor``; every class of every group, in order.

    People tied on a count share a block of ranks, so sums over ranks are sums over blocks: the
    Gini numerator sum(rank_asc * c) adds c * (m * before + m (m + 1) / 2) per block; c* is the
    count of the block holding rank ceil(share * N); the absence factor is the rank, inside the
    first block (most first) where the running sum reaches half the total, at which it does.
    """
    # two plans, each collected once (every eager step waits its turn on polars' threads, which
    # DuckDB's keep busy beside a page); the quotients by NumPy between them (see :func:`_ratio`)
    blocks = _blocks_plan(hist)
    rank = (pl.lit(superuser_share) * pl.col("n")).round(9).ceil()
    half = (pl.col("total") - 2 * pl.col("desc_sum"))
    figures = blocks.group_by("g0").agg(
        pl.col("n").first(),
        pl.col("total").first(),
        pl.col("c").filter((pl.col("desc_people") < rank) & (rank <= pl.col("desc_people") + pl.col("m")))
        .max().alias("c_star"),
        (pl.col("c") * (pl.col("m") * pl.col("asc_people") + pl.col("m") * (pl.col("m") + 1) // 2)).sum()
        .alias("rank_sum"),
        (pl.col("desc_people") + pl.max_horizontal(pl.lit(1), (half + 2 * pl.col("c") - 1) // (2 * pl.col("c"))))
        .filter((2 * (pl.col("desc_sum") + pl.col("cm")) >= pl.col("total")) & (pl.col("total") > 0)
                & (pl.col("c") > 0))
        .min().alias("contributor_absence_factor"),
    ).with_columns(
        pl.max_horizontal(pl.lit(1), pl.col("c_star").fill_null(1)).alias("c_star"),
    ).collect()
    figures = figures.with_columns(
        (_ratio(2 * figures["rank_sum"], figures["n"] * figures["total"]) - _ratio(figures["n"] + 1, figures["n"]))
        .alias("gini"),
    )
    classes = CLASSES_WITH_READS if reads else CLASSES_WITHOUT_READS
    c_star = pl.col("c_star")
    klass = (
        pl.when(pl.col("c") >= c_star).then(pl.lit("superuser"))
        .when(pl.col("c") >= 1).then(pl.lit("contributor"))
        .when(not reads).then(pl.lit("non-contributor"))
        .when(pl.col("active")).then(pl.lit("lurker"))
        .otherwise(pl.lit("inactive"))
    )
    counted = (
        hist.lazy().join(figures.lazy().select("g0", "c_star"), on="g0")
        .with_columns(klass.alias("class"))
        .group_by("g0", "class")
        .agg(pl.col("people").sum(), (pl.col("c") * pl.col("people")).sum().alias("contributions"))
    )
    grid = figures.lazy().join(pl.LazyFrame({"class": classes, "ord": list(range(len(classes)))}), how="cross")
    # sorted before the shares, each a row's own quotient
    split = (
        grid.join(counted, on=["g0", "class"], how="left")
        .with_columns(pl.col("people").fill_null(0).cast(pl.Int64), pl.col("contributions").fill_null(0).cast(pl.Int64))
        .sort("g0", "ord")
    ).collect()
    return pl.DataFrame([
        split["g0"], split["class"], split["people"],
        _ratio(split["people"], split["n"]).alias("people_share"),
        split["contributions"],
        _ratio(split["contributions"], split["total"]).alias("contributions_share"),
        split["n"].cast(pl.Int64).alias("headcount"),
        split["gini"],
        split["contributor_absence_factor"].cast(pl.Int64),
    ])


def lorenz_of(hist: pl.DataFrame) -> pl.DataFrame:
    """The Lorenz curve of everybody in ``hist`` (:func:`histogram`), as :func:`lorenz_curve` gives it."""
    blocks = _blocks(hist.with_columns(pl.lit("all").alias("g0")))
    origin = pl.DataFrame({"people_share": [0.0], "contributions_share": [0.0]})
    if blocks.is_empty() or blocks["total"][0] == 0:
        return origin
    n, total = blocks["n"][0], blocks["total"][0]
    ranks = range(1, n + 1) if n <= 100 else sorted({(j * n + 99) // 100 for j in range(1, 101)})
    points = (
        pl.DataFrame({"i": list(ranks)}, schema={"i": pl.Int64})
        .with_columns((pl.col("i") - 1).alias("key"))
        .join_asof(blocks.select(pl.col("asc_people").cast(pl.Int64), "asc_sum", "c").sort("asc_people"),
                   left_on="key", right_on="asc_people", strategy="backward")
        .select("i", (pl.col("asc_sum") + (pl.col("i") - pl.col("asc_people")) * pl.col("c")).alias("cumulated"))
    )
    shares = pl.DataFrame({
        "people_share": _ratio(points["i"], pl.Series([n] * points.height)),
        "contributions_share": _ratio(points["cumulated"], pl.Series([total] * points.height)),
    })
    return pl.concat([origin, shares])


def _visible(split: pl.DataFrame, by: str, min_group_size: int) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    # every group has a row per class, each with its headcount; the split comes sorted by group
    # and class, and the suppression keeps its order
    visible, left_out, _ = decide_once(split.rename({"g0": by}), by, "headcount", min_group_size)
    rows, figures = pl.collect_all([
        visible.lazy().select(by, "class", "people", "people_share", "contributions", "contributions_share"),
        visible.lazy().select(by, "headcount", "gini", "contributor_absence_factor").unique(
            by, keep="first", maintain_order=True),
    ])
    return rows, figures, left_out


def inequality(
    con: duckdb.DuckDBPyConnection,
    by: str = "department",
    start: date | None = None,
    end: date | None = None,
    min_group_size: int = 5,
    superuser_share: float = 0.01,
    attribution: str = bases.AS_IT_WAS,
) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """The 90/9/1 split of each group over a range (people counted under ``attribution``).

    Returns three things: the split (the group column named ``by``, ``class``, ``people``,
    ``people_share``, ``contributions``, ``contributions_share``; every class of every visible
    group, zeros included, ``contributions_share`` null when the group made no contribution), the
    figures of each visible group (``by``, ``headcount``, ``gini``,
    ``contributor_absence_factor``) and the number of groups left out.

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute("insert into people (person_key, person_id, department) "
    ...                 "select i, 'p' || i, 'Ops' from range(1, 11) t(i)")
    >>> _ = con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) "
    ...                 "select i, 'x', '2026-01-05', case when i <= 6 then 1 when i <= 8 then 2 else 3 end, "
    ...                 "case when i <= 8 then 'post' else 'read' end, 1 from range(1, 10) t(i)")
    >>> rows, figures, left_out = inequality(con)
    >>> rows.select("class", "people", "contributions").rows()
    [('superuser', 1, 6), ('contributor', 1, 2), ('lurker', 1, 0), ('inactive', 7, 0)]
    >>> figures.select("headcount", "contributor_absence_factor").rows()
    [(10, 1)]
    """
    reads = bases.reads_known(con)
    split = split_of(histogram(con, by, start, end, attribution), superuser_share, reads)
    return _visible(split, by, min_group_size)


def lorenz_curve(
    con: duckdb.DuckDBPyConnection, start: date | None = None, end: date | None = None
) -> pl.DataFrame:
    """Points (``people_share``, ``contributions_share``) of the organisation's Lorenz curve.

    People are ranked by contributions, fewest first. Every person's point is given up to 100
    people, else one point per percent of people. Only (0, 0) when nobody contributed.

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute("insert into people (person_key, person_id) values (1, 'a'), (2, 'b')")
    >>> _ = con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) "
    ...                 "values (1, 'x', '2026-01-05', 1, 'post', 1)")
    >>> lorenz_curve(con).rows()
    [(0.0, 0.0), (0.5, 0.0), (1.0, 1.0)]
    """
    return lorenz_of(histogram(con, "organisation", start, end))


@register("inequality", N_("the 90/9/1 split (superusers, contributors, lurkers), Gini and Lorenz curve"))
def inequality_metric(con: duckdb.DuckDBPyConnection, params: MetricParams) -> MetricResult:
    attribution = bases.attribution_of(params)
    # one read of the range's people, grouped by the attribute and as one organisation (a person
    # who moved is in two groups, once in the organisation)
    found = histograms(con, list(dict.fromkeys([params.by, "organisation"])), params.start, params.end, attribution)
    return inequality_result(con, params, found)


def inequality_result(con: duckdb.DuckDBPyConnection, params: MetricParams, found: dict[str, pl.DataFrame],
                      common: dict | None = None) -> MetricResult:
    """The registry's result of ``inequality`` from the :func:`histograms` ``found`` (``params.by``'s
    and the organisation's at least: a load reads every attribute's at once); ``common``: the
    figures of the range that are the same for every attribute, kept across calls by the caller."""
    share = float(params.extra.get("superuser_share", 0.01))
    attribution = bases.attribution_of(params)
    common = {} if common is None else common
    shared = ("inequality", params.start, params.end, attribution)
    if shared not in common:
        common[shared] = (bases.reads_known(con), reads_extra(con),
                          labels(con, EMPLOYED_IN_RANGE, params.start, params.end, attribution))
    reads, reads_figures, range_labels = common[shared]
    hist = found[params.by]
    split, figures, left_out = _visible(split_of(hist, share, reads), params.by, params.min_group_size)
    everybody = found["organisation"]
    org_split, org_figures, org_left_out = _visible(split_of(everybody, share, reads), "organisation",
                                                    params.min_group_size)
    shown = org_left_out == 0 and not org_figures.is_empty()
    extra = {
        "gini": org_figures["gini"][0] if shown else None,
        "contributor_absence_factor": org_figures["contributor_absence_factor"][0] if shown else None,
        "headcount": org_figures["headcount"][0] if shown else None,
        "organisation": org_split.drop("organisation") if shown else org_split.clear().drop("organisation"),
        "groups": figures,
        "lorenz": lorenz_of(everybody) if shown else pl.DataFrame(
            {"people_share": [], "contributions_share": []}, schema={"people_share": pl.Float64, "contributions_share": pl.Float64}
        ),
        **reads_figures,
        **range_labels,
    }
    return MetricResult(rows=split, suppressed_groups=left_out, extra=extra)
