"""The reporting tree (METRICS.md, "Hierarchy"): organisations, their sub-organisations, levels.

The tree comes from the directory's ``manager_id`` (``people_history.manager_key``, version by
version: a person's manager on a day is the one of the version holding that day). A link is
refused, the person kept (at the top of their own branch), when it names the person themselves,
a person the store does not hold as internal, or closes a cycle; :attr:`Tree.anomalies` lists the
refused links with the reason. :func:`build` walks it once into ``ancestors`` (person, ancestor,
distance, over the days the links hold): what every view of this module reads, built once per
store by a caller that keeps it (the dashboard, per published store).

An *organisation* is a person with at least one person employed under them in the period (its
*head*): its people are the head and everybody under them, read on the last day of the period
inside the window. Its *level* is its head's distance from the top (0: the top, 1: the N-1
organisations...). The *company* is every internal person employed in the period.

Privacy: views by the hierarchy describe small, nameable teams. Their floor is
:data:`MIN_GROUP_SIZE` (never below the minimum group size). Each organisation's people split
into its sub-organisations and its *remainder* (the head and those reporting to the head without
anyone under them); that split is decided like any breakdown (:func:`metrics.groups.suppress_small_groups`:
the parts under the floor hidden, then the smallest shown ones until the hidden part holds no one or
at least the floor). An organisation is shown only when it and every organisation above it are
shown in their parent's split, so that no shown figure less the shown figures below it, at any
level and in any view (drill-down, level), leaves fewer people than the floor.

>>> from ruche.store import connect
>>> con = connect(":memory:")
>>> _ = con.execute("insert into people (person_key, person_id, manager_key) values "
...                 "(1, 'a', null), (2, 'b', 1), (3, 'c', 3), (4, 'd', 5), (5, 'e', 4), (6, 'f', 99)")
>>> t = build(con)
>>> t.anomalies.select("person_key", "reason").rows()
[(3, 'self-manager: the person is their own manager'), (4, 'cycle: following the managers leads back to the person'), (5, 'cycle: following the managers leads back to the person'), (6, 'unknown manager: the manager is not an internal person of the store')]
>>> t.ancestors.filter(pl.col("distance") > 0).select("person_key", "ancestor_key", "distance").rows()
[(2, 1, 1)]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache

import duckdb
import polars as pl

from metrics import bases
from metrics._sql import sql
from metrics.groups import MetricError, grain as _grain, suppress_small_groups
from metrics.measure import MetricParams, MetricResult, register
from metrics.population import EMPLOYED_IN_PERIOD, bounds_sql
from ruche.inventory import MANAGER_HIERARCHY_MIN_GROUP_SIZE
from ruche.i18n import N_

#: The floor of every view by the hierarchy (never below the minimum group size).
MIN_GROUP_SIZE = MANAGER_HIERARCHY_MIN_GROUP_SIZE

#: The group-bys of the hierarchy: an organisation and its sub-organisations (the whole subtree
#: of a leader, "reports to"), or every organisation of one level.
BY = ("reports_to", "hierarchy_level")

WHOLE, SUB, REMAINDER = "whole", "sub-organisation", "remainder"
COMPANY = "The company"


def floor(k: int) -> int:
    """The smallest group a hierarchy view may show under minimum group size ``k``.

    >>> floor(5), floor(12)
    (10, 12)
    """
    return max(MIN_GROUP_SIZE, k)


@cache
def _queries() -> dict[str, str]:
    parts = re.split(r"^-- name: (\w+)\n", sql("hierarchy"), flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


@dataclass(frozen=True)
class Tree:
    """The links of the directory (``person_key``, ``valid_from``, ``valid_to`` exclusive, 9999-12-31
    while current, ``manager_key``, ``reason``: why the link is refused, null when kept) and every
    person's ancestors (``person_key``, ``ancestor_key``, ``distance``, ``valid_from``, ``valid_to``)."""

    links: pl.DataFrame
    ancestors: pl.DataFrame

    @property
    def anomalies(self) -> pl.DataFrame:
        """The links refused, with the reason, by person and version."""
        return self.links.filter(pl.col("reason").is_not_null()).sort("person_key", "valid_from")


def build(con: duckdb.DuckDBPyConnection) -> Tree:
    """The tree of the store: its links checked, and every person's ancestors over time."""
    links = con.execute(_queries()["links"]).pl().sort("person_key", "valid_from")
    con.register("h_links", links)
    try:
        ancestors = con.execute(_queries()["ancestors"]).pl()
    finally:
        con.unregister("h_links")
    return Tree(links, ancestors.sort("person_key", "distance", "valid_from"))


def tree_at(con: duckdb.DuckDBPyConnection, tree: Tree, period: str, start: date | None, end: date | None,
            queries: dict[str, str]) -> dict[str, pl.DataFrame]:
    """Each of ``queries`` (SQL reading ``h_tree``: the tree on the last day of each period of the
    window, ``period_start``, ``period``, ``partial``, ``person_key``, ``ancestor_key``,
    ``distance``, ``employed`` in the period) run on ``con``. The tree per period stays in DuckDB (a
    temporary table of this connection, dropped after): millions of rows at 100,000 people."""
    g = _grain(period)
    src = bases.sources(con, period, start, end)
    tree_sql = _queries()["tree"].format(bounds=bounds_sql(src.days), trunc=g.trunc, step=g.step, label=g.label)
    params = {"from_date": start, "to_date": end}
    con.register("h_ancestors", tree.ancestors)
    try:
        con.execute(f"create or replace temp table h_tree as {tree_sql}", params)
        texts = {name: q.format(person_period=src.person_period) for name, q in queries.items()}
        return {name: con.execute(q, params if "$from_date" in q else {}).pl() for name, q in texts.items()}
    finally:
        con.execute("drop table if exists h_tree")
        con.unregister("h_ancestors")


#: The chain above every organisation's head: what decides whether it may be shown.
HEAD_CHAINS = """
select c.period_start, c.person_key as head_key, c.ancestor_key
from h_tree as c
semi join (select distinct period_start, ancestor_key as person_key from h_tree where distance = 1) as h
    using (period_start, person_key)
where c.distance >= 1
"""


def organisations(con: duckdb.DuckDBPyConnection, period: str = "month", start: date | None = None,
                  end: date | None = None, min_group_size: int = 5, tree: Tree | None = None) -> pl.DataFrame:
    """Every organisation per period, and the company (``head_key`` null, ``level`` -1), with its
    figures and whether it may be shown: ``period``, ``partial``, ``head_key``, ``parent_key``
    (null at the top), ``level``, ``headcount``, ``active``, ``contributors``, ``remainder`` (the
    people of the organisation in none of its sub-organisations), ``shown`` (the organisation may
    be shown), ``remainder_shown``, and ``leader`` and ``organisation`` (the head's pseudonym and
    a label: their department and the pseudonym's first characters). Unsuppressed figures: only
    the views below read them."""
    tree = tree if tree is not None else build(con)
    k = floor(min_group_size)
    found = tree_at(con, tree, period, start, end, {"organisations": _queries()["organisations"],
                                                    "chains": HEAD_CHAINS})
    orgs, chains = found["organisations"], found["chains"]
    if orgs.is_empty():
        return orgs
    orgs = orgs.with_columns(
        pl.when(pl.col("level") < 0).then(None).otherwise(pl.col("parent_key").fill_null(-1)).alias("part"))
    children = (orgs.filter(pl.col("part").is_not_null()).group_by("period_start", "part")
                .agg(pl.col("headcount").sum().alias("in_children")))
    owners = orgs.with_columns(pl.col("head_key").fill_null(-1).alias("part"))
    owners = owners.join(children, on=["period_start", "part"], how="left").with_columns(
        (pl.col("headcount") - pl.col("in_children").fill_null(0)).alias("remainder"))
    # each organisation's split: its sub-organisations and its remainder (when it holds anyone)
    split = pl.concat([
        orgs.filter(pl.col("part").is_not_null()).select("period_start", "part",
                                                         pl.col("head_key").cast(pl.Utf8).alias("key"), "headcount"),
        owners.filter(pl.col("remainder") > 0).select("period_start", "part", pl.lit("remainder").alias("key"),
                                                      pl.col("remainder").alias("headcount")),
    ])
    kept, _ = suppress_small_groups(split, "key", "headcount", k, within=["period_start", "part"])
    kept = kept.select("period_start", "part", "key", pl.lit(True).alias("kept"))
    local = (orgs.filter(pl.col("part").is_not_null())
             .with_columns(pl.col("head_key").cast(pl.Utf8).alias("key"))
             .join(kept, on=["period_start", "part", "key"], how="left")
             .select("period_start", "head_key", pl.col("kept").fill_null(False)))
    company_kept = orgs.filter(pl.col("level") < 0).select("period_start", (pl.col("headcount") >= k).alias("company"))
    # shown: kept in its parent's split, as every organisation above it, and the company large enough
    above = (chains.join(local.rename({"head_key": "ancestor_key", "kept": "above_kept"}),
                         on=["period_start", "ancestor_key"])
             .group_by("period_start", "head_key").agg(pl.col("above_kept").all()))
    orgs = (owners.join(local, on=["period_start", "head_key"], how="left")
            .join(above, on=["period_start", "head_key"], how="left")
            .join(company_kept, on="period_start", how="left")
            .join(kept.filter(pl.col("key") == "remainder").select("period_start", "part", "kept")
                  .rename({"kept": "remainder_kept"}), on=["period_start", "part"], how="left"))
    shown = pl.col("company") & pl.when(pl.col("level") < 0).then(True).otherwise(
        pl.col("kept").fill_null(False) & pl.col("above_kept").fill_null(True))
    orgs = orgs.with_columns(shown.alias("shown")).with_columns(
        (pl.col("shown") & pl.col("remainder_kept").fill_null(False)).alias("remainder_shown"))
    heads = con.execute("select person_key as head_key, person_id, department from people").pl()
    orgs = orgs.join(heads, on="head_key", how="left").with_columns(
        pl.col("person_id").alias("leader"),
        pl.when(pl.col("head_key").is_null()).then(pl.lit(COMPANY))
        .otherwise(pl.col("department").fill_null("(not set)") + " · " + pl.col("person_id").str.slice(0, 6))
        .alias("organisation"))
    return orgs.select("period_start", "period", "partial", "head_key", "parent_key", "level", "leader",
                       "organisation", "headcount", "active", "contributors", "remainder", "shown",
                       "remainder_shown").sort("period_start", "level", "head_key", nulls_last=False)


def _rates(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns((pl.col("active") / pl.col("headcount")).alias("participation_rate"),
                              (pl.col("contributors") / pl.col("headcount")).alias("contribution_rate"))


COLUMNS = ["period", "part", "organisation", "leader", "level", "headcount", "active", "contributors",
           "participation_rate", "contribution_rate", "partial"]


def leader_key(con: duckdb.DuckDBPyConnection, leader: str) -> int | None:
    """The person of pseudonym ``leader`` (a ``person_id``), None when nobody internal has it."""
    row = con.execute("select person_key from people where person_id = ? and not is_external", [leader]).fetchone()
    return row[0] if row else None


def reports_to(orgs: pl.DataFrame, head: int | None) -> tuple[pl.DataFrame, int]:
    """The view of one organisation (``head``; None: the company) from :func:`organisations`: per
    period its whole (``part`` 'whole'), its sub-organisations shown and its remainder when shown,
    and the number of distinct parts left out. No row in a period the organisation is not shown in.

    >>> orgs = pl.DataFrame({"period_start": [1] * 4, "period": ["p"] * 4, "partial": [False] * 4,
    ...     "head_key": [None, 1, 2, 3], "parent_key": [None, None, 1, 1], "level": [-1, 0, 1, 1],
    ...     "leader": [None, "a", "b", "c"], "organisation": ["The company", "A", "B", "C"],
    ...     "headcount": [40, 40, 25, 4], "active": [20, 20, 10, 2], "contributors": [5, 5, 2, 1],
    ...     "remainder": [0, 11, 24, 3], "shown": [True, True, True, False],
    ...     "remainder_shown": [False, True, True, False]})
    >>> rows, left_out = reports_to(orgs, 1)
    >>> rows.select("part", "organisation", "headcount").rows(), left_out
    ([('whole', 'A', 40), ('sub-organisation', 'B', 25), ('remainder', 'A', 11)], 1)
    """
    if head is None:
        whole = orgs.filter(pl.col("head_key").is_null() & pl.col("shown"))
        subs = orgs.filter((pl.col("level") == 0) & pl.col("shown"))
        hidden_subs = orgs.filter((pl.col("level") == 0) & ~pl.col("shown"))
    else:
        whole = orgs.filter((pl.col("head_key") == head) & pl.col("shown"))
        subs = orgs.filter((pl.col("parent_key") == head) & pl.col("shown") & (pl.col("level") >= 0))
        hidden_subs = orgs.filter((pl.col("parent_key") == head) & ~pl.col("shown") & (pl.col("level") >= 0))
    subs = subs.join(whole.select("period_start"), on="period_start", how="semi")
    hidden_subs = hidden_subs.join(whole.select("period_start"), on="period_start", how="semi")
    # a remainder that is the whole organisation (nobody under anyone in it) says nothing more
    remainder = whole.filter(pl.col("remainder_shown") & (pl.col("remainder") < pl.col("headcount"))).with_columns(
        pl.col("remainder").alias("headcount"), pl.lit(None, pl.Int64).alias("active"),
        pl.lit(None, pl.Int64).alias("contributors"))
    hidden_remainders = whole.filter(~pl.col("remainder_shown") & (pl.col("remainder") > 0)).height
    rows = pl.concat([
        whole.with_columns(pl.lit(WHOLE).alias("part")),
        subs.with_columns(pl.lit(SUB).alias("part")),
        remainder.with_columns(pl.lit(REMAINDER).alias("part")),
    ], how="diagonal_relaxed")
    left_out = hidden_subs["head_key"].n_unique() + (1 if hidden_remainders else 0)
    return _finish(rows), left_out


def _finish(rows: pl.DataFrame) -> pl.DataFrame:
    rows = rows.with_columns(pl.when((pl.col("level") >= 0) & (pl.col("part") != REMAINDER))
                             .then(pl.col("level")).alias("level"))
    order = pl.col("part").replace_strict([WHOLE, SUB, REMAINDER], [0, 1, 2], return_dtype=pl.Int8)
    rows = _rates(rows.with_columns(pl.col("headcount").cast(pl.Int64), pl.col("active").cast(pl.Int64),
                                    pl.col("contributors").cast(pl.Int64)))
    return rows.sort(pl.col("period_start"), order, pl.col("headcount"), pl.col("organisation"),
                     descending=[False, False, True, False]).select(COLUMNS)


def at_level(orgs: pl.DataFrame, level: int, min_group_size: int) -> tuple[pl.DataFrame, int]:
    """Every organisation of ``level`` (1: the N-1 organisations under the top) from
    :func:`organisations`, per period, with the company (``part`` 'whole') and the people in none
    of them (``remainder``: above the level, or at it with nobody under them) when that holds at
    least the floor; and the number of organisations left out."""
    if level < 0:
        raise MetricError("the hierarchy level is 0 (the top) or more")
    k = floor(min_group_size)
    whole = orgs.filter(pl.col("head_key").is_null() & pl.col("shown"))
    at = orgs.filter(pl.col("level") == level).join(whole.select("period_start"), on="period_start", how="semi")
    hidden = at.filter(~pl.col("shown"))
    subs = at.filter(pl.col("shown"))
    # what the company less the organisations shown leaves is decided too, like any remainder
    rest = whole.join(subs.group_by("period_start").agg(pl.col("headcount").sum().alias("in_subs")),
                      on="period_start", how="left").with_columns(
        (pl.col("headcount") - pl.col("in_subs").fill_null(0)).alias("remainder"))
    split = pl.concat([
        subs.select("period_start", pl.col("head_key").cast(pl.Utf8).alias("key"), "headcount"),
        rest.filter(pl.col("remainder") > 0).select("period_start", pl.lit("remainder").alias("key"),
                                                    pl.col("remainder").alias("headcount")),
    ])
    kept, _ = suppress_small_groups(split, "key", "headcount", k, within=["period_start"])
    subs = subs.join(kept.select("period_start", pl.col("key").cast(pl.Int64, strict=False).alias("head_key")),
                     on=["period_start", "head_key"], how="semi")
    remainder = rest.join(kept.filter(pl.col("key") == "remainder").select("period_start"), on="period_start",
                          how="semi").filter(pl.col("remainder") < pl.col("headcount")).with_columns(pl.col("remainder").alias("headcount"),
                                                   pl.lit(None, pl.Int64).alias("active"),
                                                   pl.lit(None, pl.Int64).alias("contributors"),
                                                   pl.lit(f"(in no organisation of level {level})").alias("organisation"))
    rows = pl.concat([whole.with_columns(pl.lit(WHOLE).alias("part")),
                      subs.with_columns(pl.lit(SUB).alias("part")),
                      remainder.with_columns(pl.lit(REMAINDER).alias("part"))], how="diagonal_relaxed")
    left_out = at["head_key"].n_unique() - subs["head_key"].n_unique()
    return _finish(rows), max(left_out, hidden["head_key"].n_unique())


def hierarchy(con: duckdb.DuckDBPyConnection, by: str = "reports_to", leader: str | None = None,
              level: int = 1, period: str = "month", start: date | None = None, end: date | None = None,
              min_group_size: int = 5, tree: Tree | None = None) -> tuple[pl.DataFrame, int]:
    """Participation by the hierarchy: one organisation and its parts (``by`` 'reports_to', the
    organisation of ``leader``, a ``person_id``; None: the company), or every organisation of one
    level (``by`` 'hierarchy_level'). Returns the rows (``period``, ``part``, ``organisation``,
    ``leader``, ``level``, ``headcount``, ``active``, ``contributors``, ``participation_rate``,
    ``contribution_rate``, ``partial``; a remainder's only figure is its headcount) and the number
    of parts left out under the floor (:func:`floor`). A leader nobody holds, or whose
    organisation is not shown, has no row.

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute("insert into people (person_key, person_id, department, manager_key) "
    ...                 "select i, 'p' || lpad(i::varchar, 5, '0'), 'Ops', case when i = 1 then null "
    ...                 "when i <= 3 then 1 when i <= 14 then 2 else 3 end from range(1, 27) t(i)")
    >>> _ = con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) "
    ...                 "select i, 'x', '2026-03-02', i, 'post', 1 from range(1, 9) t(i)")
    >>> rows, left_out = hierarchy(con)
    >>> rows.select("part", "organisation", "headcount", "active").rows()
    [('whole', 'The company', 26, 8), ('sub-organisation', 'Ops · p00001', 26, 8)]
    >>> rows, left_out = hierarchy(con, leader="p00001")
    >>> rows.select("part", "organisation", "headcount", "active").rows(), left_out
    ([('whole', 'Ops · p00001', 26, 8), ('sub-organisation', 'Ops · p00003', 13, 1)], 2)

    Person 1 alone is the remainder, under the floor of 10: hidden, and with it the smaller
    sub-organisation (12 people), or 26 less 13 and 12 would show the one person.
    """
    if by not in BY:
        raise MetricError(f"cannot group the hierarchy by {by!r}: choose one of {', '.join(BY)}")
    return view(con, organisations(con, period, start, end, min_group_size, tree), by, leader, level,
                min_group_size)


def view(con: duckdb.DuckDBPyConnection, orgs: pl.DataFrame, by: str = "reports_to", leader: str | None = None,
         level: int = 1, min_group_size: int = 5) -> tuple[pl.DataFrame, int]:
    """:func:`hierarchy`'s rows from the organisations :func:`organisations` found (what a caller
    that keeps them, the dashboard, asks once per store and range)."""
    if orgs.is_empty():
        return _finish(orgs.with_columns(pl.lit(None, pl.Utf8).alias("part"))), 0
    if by == "hierarchy_level":
        return at_level(orgs, int(level), min_group_size)
    head = None
    if leader is not None:
        head = leader_key(con, leader)
        if head is None:
            return reports_to(orgs.clear(), None)
    return reports_to(orgs, head)


def result(con: duckdb.DuckDBPyConnection, params: MetricParams, orgs: pl.DataFrame | None = None) -> MetricResult:
    """The ``hierarchy`` measure's result under ``params`` (``by`` 'hierarchy_level' with option
    ``level``; any other ``by``: the organisation of option ``leader``, the company without one),
    from ``orgs`` when the caller keeps them."""
    from metrics.participation import labels

    by = "hierarchy_level" if params.by == "hierarchy_level" else "reports_to"
    if orgs is None:
        orgs = organisations(con, params.period, params.start, params.end, params.min_group_size,
                             params.extra.get("tree"))
    rows, left_out = view(con, orgs, by, params.extra.get("leader"), params.extra.get("level", 1),
                          params.min_group_size)
    return MetricResult(rows=rows, suppressed_groups=left_out,
                        extra={**labels(con, EMPLOYED_IN_PERIOD, params.start, params.end),
                               "floor": floor(params.min_group_size),
                               "hidden_unit": ("part", "parts", "people")})


def resolve(con: duckdb.DuckDBPyConnection, pseudonym: str | None) -> str | None:
    """The ``person_id`` of the internal person whose e-mail or HR id has ``pseudonym`` (computed
    in memory from what someone typed, or from the signed-in person's e-mail), else None.

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute("insert into people (person_key, person_id, employee_id) values (1, 'e1', 'h1')")
    >>> resolve(con, "h1"), resolve(con, "e1"), resolve(con, "zz")
    ('e1', 'e1', None)
    """
    if not pseudonym:
        return None
    row = con.execute("select person_id from people where not is_external and (person_id = $x or employee_id = $x) "
                      "order by person_id = $x desc limit 1", {"x": pseudonym}).fetchone()
    return row[0] if row else None


@register("hierarchy", N_("participation of an organisation and its sub-organisations, or of every organisation "
          "of a level, from the reporting tree"), default_by="reports_to")
def hierarchy_metric(con: duckdb.DuckDBPyConnection, params: MetricParams) -> MetricResult:
    return result(con, params)
