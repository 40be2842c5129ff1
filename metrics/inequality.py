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
"""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from metrics import materialise
from metrics._sql import sql
from metrics.groups import group_columns, suppress_small_groups
from metrics.participation import reads_extra
from metrics.registry import MetricParams, MetricResult, register

CLASSES_WITH_READS = ["superuser", "contributor", "lurker", "inactive"]
CLASSES_WITHOUT_READS = ["superuser", "contributor", "non-contributor"]


def _split(
    con: duckdb.DuckDBPyConnection, by: str, start: date | None, end: date | None,
    superuser_share: float, reads: bool,
) -> pl.DataFrame:
    src = materialise.sources(con, "month", start, end)
    query = sql("inequality").format(
        group_columns=group_columns([by]), days=src.days, person_range=src.person_range
    )
    params = {
        "from_date": start, "to_date": end, "superuser_share": superuser_share, "reads_known": reads,
    }
    return con.execute(query, params).pl().rename({"g0": by}).drop("ord")


def inequality(
    con: duckdb.DuckDBPyConnection,
    by: str = "department",
    start: date | None = None,
    end: date | None = None,
    min_group_size: int = 5,
    superuser_share: float = 0.01,
) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """The 90/9/1 split of each group over a range.

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
    ...                 "select i, 'x', '2026-01-05', case when i <= 6 then 1 else 2 end, 'post', 1 "
    ...                 "from range(1, 9) t(i) union all select 99, 'x', '2026-01-06', 3, 'read', 1")
    >>> split, figures, left_out = inequality(con, by="department")
    >>> split.select("class", "people", "contributions").rows()
    [('superuser', 1, 6), ('contributor', 1, 2), ('lurker', 1, 0), ('inactive', 7, 0)]
    >>> figures.select("headcount", "contributor_absence_factor").rows()
    [(10, 1)]
    """
    reads = materialise.reads_known(con)
    frame = _split(con, by, start, end, superuser_share, reads)
    visible, left_out = suppress_small_groups(frame, by, "headcount", min_group_size, within=["class"])
    order = CLASSES_WITH_READS if reads else CLASSES_WITHOUT_READS
    visible = visible.sort([pl.col(by), pl.col("class").replace_strict(order, list(range(len(order))))])
    split = visible.select(by, "class", "people", "people_share", "contributions", "contributions_share")
    figures = visible.select(by, "headcount", "gini", "contributor_absence_factor").unique(by, keep="first").sort(by)
    return split, figures, left_out


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
    ...                 "values (1, 'x', '2026-01-05', 2, 'post', 1)")
    >>> lorenz_curve(con).rows()
    [(0.0, 0.0), (0.5, 0.0), (1.0, 1.0)]
    """
    src = materialise.sources(con, "month", start, end)
    query = sql("lorenz").format(days=src.days, person_range=src.person_range)
    return con.execute(query, {"from_date": start, "to_date": end}).pl()


@register("inequality", "the 90/9/1 split (superusers, contributors, lurkers), Gini and Lorenz curve")
def inequality_metric(con: duckdb.DuckDBPyConnection, params: MetricParams) -> MetricResult:
    share = float(params.extra.get("superuser_share", 0.01))
    split, figures, left_out = inequality(
        con, by=params.by, start=params.start, end=params.end,
        min_group_size=params.min_group_size, superuser_share=share,
    )
    org_split, org_figures, org_left_out = inequality(
        con, by="organisation", start=params.start, end=params.end,
        min_group_size=params.min_group_size, superuser_share=share,
    )
    shown = org_left_out == 0 and not org_figures.is_empty()
    extra = {
        "gini": org_figures["gini"][0] if shown else None,
        "contributor_absence_factor": org_figures["contributor_absence_factor"][0] if shown else None,
        "headcount": org_figures["headcount"][0] if shown else None,
        "organisation": org_split.drop("organisation") if shown else org_split.clear().drop("organisation"),
        "groups": figures,
        "lorenz": lorenz_curve(con, params.start, params.end) if shown else pl.DataFrame(
            {"people_share": [], "contributions_share": []}, schema={"people_share": pl.Float64, "contributions_share": pl.Float64}
        ),
        **reads_extra(con),
    }
    return MetricResult(rows=split, suppressed_groups=left_out, extra=extra)
