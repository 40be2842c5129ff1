"""The reporting tree (METRICS.md, "Hierarchy"): organisations, their sub-organisations, levels.

The tree comes from the directory's ``manager_id`` (``people_history.manager_key``, version by
version: a person's manager on a day is the one of the version holding that day). A link is
refused, the person kept (at the top of their own branch), when it names the person themselves,
a person the store does not hold as internal, or closes a cycle; :attr:`Tree.anomalies` lists the
refused links with the reason. :func:`build` walks it into ``ancestors`` (person, ancestor,
distance, over the days the links hold): what every view of this module reads. The refresh keeps
it in the store (:func:`store_tree`, built again only after a directory change) and, from it, the
figures of every period for every grain (:func:`store_periods`); the views read those while they
hold, and compute from the directory otherwise, to the same rows.

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

import json
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from types import EllipsisType

import duckdb
import polars as pl

from metrics import bases
from metrics._sql import sql
from metrics.groups import GRAINS, MetricError, grain as _grain, period_start, suppress_small_groups, touched_in
from metrics.measure import MetricParams, MetricResult, register
from metrics.population import EMPLOYED_IN_PERIOD, bounds_sql, data_bounds
from ruche.inventory import MANAGER_HIERARCHY_MIN_GROUP_SIZE
from ruche.i18n import N_
from ruche.store import MemoryShare

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


def query_text(name: str) -> str:
    """The text of query ``name`` of hierarchy.sql."""
    return _queries()[name]


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
    """The tree of the store, walked from the directory: its links checked, and every person's
    ancestors over time (what :func:`store_tree` keeps; :func:`reporting_tree` reads it)."""
    links = con.execute(_queries()["links"]).pl().sort("person_key", "valid_from")
    con.register("h_links", links)
    try:
        ancestors = con.execute(_queries()["ancestors"]).pl()
    finally:
        con.unregister("h_links")
    return Tree(links, ancestors.sort("person_key", "distance", "valid_from"))


#: Bumped whenever the stored tree changes shape or rule: a tree stored by another version is
#: not read, and the next refresh builds it again.
TREE_VERSION = "2"  # 2: open ends stored as null

#: The stored tree (:func:`store_tree`): the links with why each refused one is, every person's
#: ancestors, and what they were built from.
LINKS_TABLE, ANCESTORS_TABLE, STATE_TABLE = "m_hierarchy_links", "m_hierarchy", "m_hierarchy_state"
#: The end of a link that holds still (the walk compares days with it); stored as null, as every
#: open end of the store is: no stored day lies past what a page can draw.
OPEN_END = "date '9999-12-31'"


def _stored(table: str) -> str:
    """The rows of a stored tree table as the walk reads them: an open end as :data:`OPEN_END`."""
    return f"(select * replace (coalesce(valid_to, {OPEN_END}) as valid_to) from {table})"


def directory_state(con: duckdb.DuckDBPyConnection) -> str:
    """What the tree is built from, in a few numbers: the rows of ``people`` and ``people_history``
    it reads (who is internal, each version's manager and days), counted and digested. A load of
    activities leaves it as it is; a directory that changes anyone's manager or history does not."""
    row = con.execute(
        "select (select count(*) from people), "
        "(select coalesce(bit_xor(hash(person_key, is_external, manager_key)), 0) from people), "
        "(select count(*) from people_history), "
        "(select coalesce(bit_xor(hash(person_key, valid_from, valid_to, manager_key)), 0) from people_history)"
    ).fetchone()
    return f"{TREE_VERSION} " + " ".join(str(x) for x in row)


def stored_current(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the stored tree (:func:`store_tree`) was built, by this version, from the directory
    as it is."""
    found = con.execute("select count(*) from information_schema.tables where table_name in (?, ?, ?)",
                        [LINKS_TABLE, ANCESTORS_TABLE, STATE_TABLE]).fetchone()[0]
    return found == 3 and con.execute(f"select state from {STATE_TABLE}").fetchone()[0] == directory_state(con)


def store_tree(con: duckdb.DuckDBPyConnection) -> dict:
    """Keep the tree in the store (tables ``m_hierarchy_links`` and ``m_hierarchy``, the frames of
    :class:`Tree`; ``m_hierarchy_state``: the :func:`directory_state` it was built from), built
    again only when the directory changed: a load of activities alone keeps it (``mode``
    'kept'); otherwise it is built whole ('full': the walk up every chain of managers over time,
    a second at 100,000 people). Every view by the hierarchy reads it while it holds.

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute("insert into people (person_key, person_id, manager_key) values (1, 'a', null), (2, 'b', 1)")
    >>> store_tree(con)["mode"], store_tree(con)["mode"]
    ('full', 'kept')
    >>> con.execute("select person_key, ancestor_key, distance from m_hierarchy order by all").fetchall()
    [(1, 1, 0), (2, 1, 1), (2, 2, 0)]
    """
    if stored_current(con):
        return {"mode": "kept"}
    built = build(con)
    for table, frame in ((LINKS_TABLE, built.links), (ANCESTORS_TABLE, built.ancestors)):
        con.register("h_new", frame.to_arrow())
        try:
            con.execute(f"create or replace table {table} as "
                        f"select * replace (nullif(valid_to, {OPEN_END}) as valid_to) from h_new")
        finally:
            con.unregister("h_new")
    con.execute(f"create or replace table {STATE_TABLE} (state varchar not null)")
    con.execute(f"insert into {STATE_TABLE} values (?)", [directory_state(con)])
    return {"mode": "full", "links": built.links.height, "ancestors": built.ancestors.height}


def reporting_tree(con: duckdb.DuckDBPyConnection) -> Tree:
    """The tree of the store: the stored one (:func:`store_tree`) while it holds, else walked
    afresh (:func:`build`)."""
    if stored_current(con):
        return Tree(con.execute(f"select * from {_stored(LINKS_TABLE)} order by person_key, valid_from").pl(),
                    con.execute(f"select * from {_stored(ANCESTORS_TABLE)} order by person_key, distance, valid_from").pl())
    return build(con)


def tree_at(con: duckdb.DuckDBPyConnection, tree: Tree | None, period: str, start: date | None, end: date | None,
            query: str) -> pl.DataFrame:
    """Query ``query`` of hierarchy.sql (one that follows the CTEs of its ``tree``: the tree on
    the last day of each period of the window, and the people employed in each) run on ``con``,
    from ``tree`` when given, else from the stored tree while it holds (else walked afresh). The
    tree per period stays inside the query: millions of rows at 100,000 people."""
    g = _grain(period)
    src = bases.sources(con, period, start, end)
    if tree is None and stored_current(con):
        ancestors = _stored(ANCESTORS_TABLE)
    else:
        ancestors = "h_ancestors"
        con.register(ancestors, (tree if tree is not None else build(con)).ancestors)
    try:
        text = ("with " + _queries()["tree"].rstrip() + ",\n\n" + _queries()[query]).format(
            bounds=bounds_sql(src.days), trunc=g.trunc, step=g.step, label=g.label, ancestors=ancestors,
            person_period=src.person_period)
        return con.execute(text, {"from_date": start, "to_date": end}).pl()
    finally:
        if ancestors == "h_ancestors":
            con.unregister(ancestors)


#: The figures of the tree per period, for every grain, over the whole range (:func:`store_periods`):
#: each organisation's people, active and contributors unsuppressed, and each team; keys only.
PERIODS_TABLE, TEAMS_TABLE, PERIODS_STATE = "m_hierarchy_periods", "m_hierarchy_teams", "m_hierarchy_periods_state"
#: The teams per period and side counted by size (query ``team_sizes``): what managers as relays
#: pool (:func:`metrics.relays.stored_sides`), a few thousand rows where the teams are hundreds of thousands.
TEAM_SIZES_TABLE = "m_hierarchy_team_sizes"

_FIGURES = {PERIODS_TABLE: ("organisations", "period_start, level, head_key"),
            TEAMS_TABLE: ("relays", "period_start, manager_key")}


def _period_facts(con: duckdb.DuckDBPyConnection) -> dict:
    """What the figures per period are computed from: the tree, the people's employment, the
    activities (count, last run) and usage reports, and the first and last day of the data."""
    run, activities = con.execute("select coalesce(max(run_id), 0), count(*) from activities").fetchone()
    snapshots = con.execute("select coalesce(max(run_id), 0), count(*) from usage_snapshots").fetchone()
    people = con.execute("select count(*), coalesce(bit_xor(hash(person_key, is_external, hired_on, left_on)), 0) "
                         "from people").fetchone()
    first, last = data_bounds(con, None, None)
    return {"version": TREE_VERSION, "tree": directory_state(con), "people": [str(x) for x in people],
            "activities_run": run, "activities": activities, "snapshots": list(snapshots),
            "first_day": first and first.isoformat(), "last_day": last and last.isoformat()}


def _stored_period_facts(con: duckdb.DuckDBPyConnection) -> dict | None:
    found = con.execute("select count(*) from information_schema.tables where table_name in (?, ?, ?, ?)",
                        [PERIODS_TABLE, TEAMS_TABLE, TEAM_SIZES_TABLE, PERIODS_STATE]).fetchone()[0]
    if found < 4:
        return None
    return json.loads(con.execute(f"select facts from {PERIODS_STATE}").fetchone()[0])


def _first_touched(con: duckdb.DuckDBPyConnection, before: dict | None, now: dict) -> tuple[date | None, date | None]:
    """The first day whose periods the loads since ``before`` may have changed, when they only
    added activities: the earliest day of those, or the last day of the data before them when
    earlier (its period was the last, partial perhaps, and no longer is: unless it ended there,
    :func:`metrics.groups.touched_in`). None: every period (nothing stored, another version, a
    directory or usage report change, an activity gone). And the first day of the activities added."""
    if before is None or any(before[k] != now[k] for k in ("version", "tree", "people", "snapshots")):
        return None, None
    kept = con.execute("select count(*) from activities where run_id <= ?", [before["activities_run"]]).fetchone()[0]
    if kept != before["activities"] or before["last_day"] is None:
        return None, None
    added = con.execute("select min(occurred_at)::date from activities where run_id > ?",
                        [before["activities_run"]]).fetchone()[0]
    last = date.fromisoformat(before["last_day"])
    return (last if added is None else min(added, last)), added


def periods_current(con: duckdb.DuckDBPyConnection) -> dict | None:
    """The facts of the stored figures per period (:func:`store_periods`) when they describe the
    store as it is, else None."""
    before = _stored_period_facts(con)
    return before if before is not None and {**_period_facts(con), "floors": before.get("floors")} == before else None


def store_periods(con: duckdb.DuckDBPyConnection, min_group_size: int = 5, *others: int,
                  memory: MemoryShare | None = None) -> dict:
    """Keep the figures of the tree per period, for every grain over the whole range
    (``m_hierarchy_periods``: each organisation's unsuppressed figures and what the floor of
    ``min_group_size`` shows of it, :func:`decide`, a row per floor: also those of the minimum
    group sizes ``others``, a sponsor's; ``m_hierarchy_teams``: each team, what
    :func:`metrics.relays.sides` pools; ``m_hierarchy_team_sizes``: the teams counted by size),
    from the stored tree (run after :func:`store_tree`). Each period's figures stand on their own
    (the tree on its last day, the people employed and active in it), so when the loads since
    only added activities, the periods from the one holding the first day touched are
    computed again and the earlier ones kept (``mode`` 'periods'); all of them otherwise ('full');
    none when nothing changed ('kept'). :func:`organisations` and :func:`metrics.relays.teams`
    read them over any range of whole periods. Each grain's rows are written before the next
    grain's are read; ``memory``: the refresh's share of ``memory_limit``
    (:class:`ruche.store.MemoryShare`), shared before each grain's query.

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute("insert into people (person_key, person_id, manager_key) "
    ...                 "select i, 'p' || i, case when i > 1 then 1 end from range(1, 12) t(i)")
    >>> _ = con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) "
    ...                 "values (1, 'x', '2026-03-02', 2, 'post', 1)")
    >>> _ = store_tree(con)
    >>> store_periods(con)["mode"], store_periods(con)["mode"]
    ('full', 'kept')
    >>> _ = con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) "
    ...                 "values (2, 'x', '2026-04-02', 3, 'post', 2)")
    >>> store_periods(con)
    {'mode': 'periods', 'from': '2026-03-02'}
    >>> con.execute("select period, headcount, active from m_hierarchy_periods "
    ...             "where grain = 'month' and head_key = 1 order by 1").fetchall()
    [('2026-03', 11, 1), ('2026-04', 11, 1)]
    """
    floors = sorted({floor(min_group_size), *(floor(k) for k in others)})
    now, before = {**_period_facts(con), "floors": floors}, _stored_period_facts(con)
    if before == now:
        return {"mode": "kept"}
    first, added = (_first_touched(con, before, now) if before is not None and before.get("floors") == floors
                    else (None, None))
    last = None if first is None else date.fromisoformat(before["last_day"])
    for table, (query, _order) in _FIGURES.items():
        for at, grain_name in enumerate(GRAINS):  # a grain's rows written before the next grain's are read
            start = None if first is None else period_start(grain_name, touched_in(grain_name, first, added, last))
            if memory is not None:
                memory.share()  # DuckDB given what memory_limit leaves beside the rows held in Python
            found = tree_at(con, None, grain_name, start, None, query)
            if query == "relays":
                new = found.select(pl.lit(grain_name).alias("grain"), pl.all())
            else:
                new = pl.concat([(decide(found, k) if found.height else found.with_columns(
                    pl.lit(None, pl.Int64).alias("remainder"), pl.lit(None, pl.Boolean).alias("shown"),
                    pl.lit(None, pl.Boolean).alias("remainder_shown"))).select(
                    pl.lit(grain_name).alias("grain"), pl.lit(k).alias("floor"), pl.all()) for k in floors])
            del found
            con.register("h_new", new.to_arrow())
            try:
                if first is None and at == 0:
                    con.execute(f"create or replace table {table} as select * from h_new")
                else:
                    if first is not None:
                        con.execute(f"delete from {table} where grain = ? and period_start >= ?", [grain_name, start])
                    con.execute(f"insert into {table} select * from h_new")
            finally:
                con.unregister("h_new")
            del new
    con.execute(f"create or replace table {TEAM_SIZES_TABLE} as "
                + _queries()["team_sizes"].format(teams=TEAMS_TABLE))
    con.execute(f"create or replace table {PERIODS_STATE} (facts varchar not null)")
    con.execute(f"insert into {PERIODS_STATE} values (?)", [json.dumps(now)])
    return {"mode": "full"} if first is None else {"mode": "periods", "from": first.isoformat()}


def answers(facts: dict | None, period: str, start: date | None, end: date | None) -> bool:
    """Whether the stored figures per period of ``facts`` (:func:`periods_current`) answer the
    range ``start``..``end`` of grain ``period``: they hold, and the range is whole periods (or
    reaches the data's ends).

    >>> facts = {"first_day": "2026-01-05", "last_day": "2026-03-10"}
    >>> answers(facts, "month", None, None), answers(facts, "month", date(2026, 2, 1), date(2026, 2, 28))
    (True, True)
    >>> answers(facts, "month", date(2026, 2, 2), None), answers(None, "month", None, None)
    (False, False)
    """
    if facts is None or facts["first_day"] is None:
        return False
    first, last = date.fromisoformat(facts["first_day"]), date.fromisoformat(facts["last_day"])
    whole_start = start is None or start <= first or period_start(period, start) == start
    whole_end = end is None or end >= last or period_start(period, end + timedelta(days=1)) == end + timedelta(days=1)
    return whole_start and whole_end


def figures_at(con: duckdb.DuckDBPyConnection, tree: Tree | None, period: str, start: date | None,
               end: date | None, query: str, k: int | None = None) -> pl.DataFrame:
    """Query ``query`` of hierarchy.sql (``organisations`` or ``relays``) over ``start``..``end``:
    the stored rows of its periods (:func:`store_periods`) when they hold and the range is whole
    periods (or reaches the data's ends), else computed (:func:`tree_at`, from ``tree`` when given).
    Organisations come with what floor ``k`` shows of them (:func:`decide`) when it is one of the
    floors they were stored under."""
    facts = periods_current(con) if tree is None else None
    if answers(facts, period, start, end):
        table = next(t for t, (q, _) in _FIGURES.items() if q == query)
        params = {"grain": period, "trunc": _grain(period).trunc, "from_date": start, "to_date": end}
        if query == "relays":
            columns, floor_of = "* exclude (grain)", "true"
        else:  # under a stored floor its rows whole, else the figures alone of the first's: the caller decides
            stored = k in facts["floors"]
            columns, floor_of = "* exclude (grain, floor)" if stored else ", ".join(RAW), "floor = $floor"
            params["floor"] = k if stored else facts["floors"][0]
        return con.execute(
            f"select {columns} from {table} where grain = $grain and {floor_of} "
            "and ($from_date::date is null or period_start >= date_trunc($trunc, $from_date::date)) "
            "and ($to_date::date is null or period_start <= $to_date::date) "
            f"order by {_FIGURES[table][1]}", params).pl()
    return tree_at(con, tree, period, start, end, query)


def _shown_above(orgs: pl.DataFrame, local: pl.DataFrame) -> pl.DataFrame:
    """Whether every organisation above each one is kept in its parent's split (``above_kept``),
    walked down the levels: an organisation of level 0 has none above it; one below has what its
    parent has above it, and its parent's own."""
    levels = orgs.filter(pl.col("level") >= 0).select("period_start", "head_key", "parent_key", "level").join(
        local, on=["period_start", "head_key"], how="left")
    done = []
    above = levels.clear().select("period_start", pl.col("head_key").alias("parent_key"),
                                  pl.lit(True).alias("above_kept"))
    for level in sorted(levels["level"].unique().to_list()):
        at = levels.filter(pl.col("level") == level).join(above, on=["period_start", "parent_key"], how="left")
        at = at.with_columns(pl.col("above_kept").fill_null(True))
        done.append(at.select("period_start", "head_key", "above_kept"))
        above = at.select("period_start", pl.col("head_key").alias("parent_key"),
                          (pl.col("above_kept") & pl.col("kept").fill_null(False)).alias("above_kept"))
    return pl.concat(done) if done else levels.select("period_start", "head_key", pl.lit(True).alias("above_kept"))


def organisations(con: duckdb.DuckDBPyConnection, period: str = "month", start: date | None = None,
                  end: date | None = None, min_group_size: int = 5, tree: Tree | None = None) -> pl.DataFrame:
    """Every organisation per period, and the company (``head_key`` null, ``level`` -1), with its
    figures and whether it may be shown: ``period``, ``partial``, ``head_key``, ``parent_key``
    (null at the top), ``level``, ``headcount``, ``active``, ``contributors``, ``remainder`` (the
    people of the organisation in none of its sub-organisations), ``shown`` (the organisation may
    be shown), ``remainder_shown``, and ``leader`` and ``organisation`` (the head's pseudonym and
    a label: their department and the pseudonym's first characters). Unsuppressed figures: only
    the views below read them."""
    k = floor(min_group_size)
    orgs = figures_at(con, tree, period, start, end, "organisations", k)
    if orgs.is_empty():  # a range outside the data: the columns of the views, no row
        return pl.DataFrame(schema=ORGANISATIONS)
    if "shown" not in orgs.columns:
        orgs = decide(orgs, k)
    heads = con.execute("select person_key as head_key, person_id, department from people").pl()
    orgs = orgs.join(heads, on="head_key", how="left").with_columns(
        pl.col("person_id").alias("leader"),
        pl.when(pl.col("head_key").is_null()).then(pl.lit(COMPANY))
        .otherwise(pl.col("department").fill_null("(not set)") + " · " + pl.col("person_id").str.slice(0, 6))
        .alias("organisation"))
    return orgs.select("period_start", "period", "partial", "head_key", "parent_key", "level", "leader",
                       "organisation", "headcount", "active", "contributors", "remainder", "shown",
                       "remainder_shown").sort("period_start", "level", "head_key", nulls_last=False)


#: The columns of query ``organisations`` (hierarchy.sql): an organisation's unsuppressed figures.
RAW = ["period_start", "period", "partial", "head_key", "parent_key", "level", "headcount", "active", "contributors"]

#: The columns of :func:`organisations` (and of :func:`viewed`), with their types.
ORGANISATIONS = {"period_start": pl.Date, "period": pl.Utf8, "partial": pl.Boolean, "head_key": pl.Int32,
                 "parent_key": pl.Int32, "level": pl.Int32, "leader": pl.Utf8, "organisation": pl.Utf8,
                 "headcount": pl.Int64, "active": pl.Int64, "contributors": pl.Int64, "remainder": pl.Int64,
                 "shown": pl.Boolean, "remainder_shown": pl.Boolean}


def decide(orgs: pl.DataFrame, k: int) -> pl.DataFrame:
    """What may be shown of the organisations ``orgs`` (the rows of query ``organisations``, not
    empty) under floor ``k``: each one's ``remainder``, whether it is ``shown`` and its remainder
    too (``remainder_shown``), decided within each period (:func:`organisations`)."""
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
    above = _shown_above(orgs, local)
    orgs = (owners.join(local, on=["period_start", "head_key"], how="left")
            .join(above, on=["period_start", "head_key"], how="left")
            .join(company_kept, on="period_start", how="left")
            .join(kept.filter(pl.col("key") == "remainder").select("period_start", "part", "kept")
                  .rename({"kept": "remainder_kept"}), on=["period_start", "part"], how="left"))
    shown = pl.col("company") & pl.when(pl.col("level") < 0).then(True).otherwise(
        pl.col("kept").fill_null(False) & pl.col("above_kept").fill_null(True))
    orgs = orgs.with_columns(shown.alias("shown")).with_columns(
        (pl.col("shown") & pl.col("remainder_kept").fill_null(False)).alias("remainder_shown"))
    return orgs.select(*RAW, "remainder", "shown", "remainder_shown").sort("period_start", "level", "head_key",
                                                                           nulls_last=False)


def slice_organisations(orgs: pl.DataFrame, period: str, start: date | None, end: date | None) -> pl.DataFrame:
    """:func:`organisations` over ``start``..``end`` (whole periods of grain ``period`` inside the
    data, as the dashboard's range always is) from those of the whole range ``orgs``: each
    period's organisations stand on their own (the tree on the period's last day, the people
    employed and active in it, the floor decided within it), so they are the whole range's rows
    of the periods inside.

    >>> orgs = pl.DataFrame({"period_start": [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]})
    >>> slice_organisations(orgs, "month", date(2026, 2, 1), date(2026, 3, 31))["period_start"].to_list()
    [datetime.date(2026, 2, 1), datetime.date(2026, 3, 1)]
    """
    if start is not None:
        orgs = orgs.filter(pl.col("period_start") >= period_start(period, start))
    if end is not None:
        orgs = orgs.filter(pl.col("period_start") <= period_start(period, end))
    return orgs


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
    # the leader last: two organisations of the same size and label come in one order whatever
    # the order they were read in
    return rows.sort(pl.col("period_start"), order, pl.col("headcount"), pl.col("organisation"), pl.col("leader"),
                     descending=[False, False, True, False, False], nulls_last=False).select(COLUMNS)


def at_level(orgs: pl.DataFrame, level: int, min_group_size: int,
             heads: tuple[int, int] | None = None) -> tuple[pl.DataFrame, int]:
    """Every organisation of ``level`` (1: the N-1 organisations under the top) from
    :func:`organisations`, per period, with the company (``part`` 'whole') and the people in none
    of them (``remainder``: above the level, or at it with nobody under them) when that holds at
    least the floor; and the number of organisations left out. ``heads``: the distinct heads of
    the level in the periods the company is shown, and of those not shown, when ``orgs`` holds
    only the organisations shown (:func:`viewed`)."""
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
    everyone, not_shown = heads if heads is not None else (at["head_key"].n_unique(), hidden["head_key"].n_unique())
    return _finish(rows), max(everyone - subs["head_key"].n_unique(), not_shown)


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
         level: int = 1, min_group_size: int = 5, heads: tuple[int, int] | None = None) -> tuple[pl.DataFrame, int]:
    """:func:`hierarchy`'s rows from the organisations :func:`organisations` found (what a caller
    that keeps them asks once per store and range), or those :func:`viewed` read for this view
    (``heads``: for a level, its heads counted by query ``level_heads``)."""
    if orgs.is_empty():
        return _finish(orgs.with_columns(pl.lit(None, pl.Utf8).alias("part"))), 0
    if by == "hierarchy_level":
        return at_level(orgs, int(level), min_group_size, heads)
    head = None
    if leader is not None:
        head = leader_key(con, leader)
        if head is None:
            return reports_to(orgs.clear(), None)
    return reports_to(orgs, head)


def viewed(con: duckdb.DuckDBPyConnection, facts: dict | None, period: str, start: date | None,
           end: date | None, min_group_size: int, by: str = "reports_to", leader: str | None = None,
           level: int = 1) -> tuple[pl.DataFrame, tuple[int, int] | None] | None:
    """The organisations :func:`view` reads for one view, from the stored figures per period
    (:func:`store_periods`, ``facts``: :func:`periods_current`), labelled: a leader's organisation
    and its children (the company and the organisations of level 0 without a leader), or the
    company and the organisations of ``level`` that may be shown, with the distinct heads of the
    level and of those not shown (query ``level_heads``; None for a leader's view), over the
    periods of the range. :func:`view` gives from them the rows it gives from all of
    :func:`organisations`: only the rows it reads are read. None when the stored figures do not
    answer: a floor none of theirs is, a range that cuts a period, or none stored (the caller
    then reads :func:`organisations`)."""
    k = floor(min_group_size)
    if not answers(facts, period, start, end) or k not in facts.get("floors", ()):
        return None
    head = None
    if by == "hierarchy_level":
        level = int(level)
        if level < 0:
            raise MetricError("the hierarchy level is 0 (the top) or more")
    else:
        level = None
        if leader is not None:
            head = leader_key(con, leader)
            if head is None:
                return pl.DataFrame(schema=ORGANISATIONS), None
    bounds = {"grain": period, "floor": k, "trunc": _grain(period).trunc, "from_date": start, "to_date": end}
    orgs = con.execute(_queries()["viewed"].format(periods=PERIODS_TABLE),
                       {**bounds, "head": head, "level": level, "company": COMPANY}).pl()
    heads = None
    if level is not None:
        heads = con.execute(_queries()["level_heads"].format(periods=PERIODS_TABLE),
                            {**bounds, "level": level}).fetchone()
    return orgs, heads


def result(con: duckdb.DuckDBPyConnection, params: MetricParams, orgs: pl.DataFrame | None = None,
           facts: dict | None | EllipsisType = ..., labelled: dict | None = None) -> MetricResult:
    """The ``hierarchy`` measure's result under ``params`` (``by`` 'hierarchy_level' with option
    ``level``; any other ``by``: the organisation of option ``leader``, the company without one),
    from ``orgs`` when the caller keeps them, else from the stored organisations this view reads
    (:func:`viewed`; ``facts``: :func:`periods_current`, when the caller keeps them) while they
    answer, else from all of :func:`organisations`. ``labelled``: what the figure covers
    (:func:`metrics.participation.labels` over the range), when the caller keeps it."""
    from metrics.participation import labels

    by = "hierarchy_level" if params.by == "hierarchy_level" else "reports_to"
    tree, heads = params.extra.get("tree"), None
    if orgs is None and tree is None:
        found = viewed(con, periods_current(con) if facts is ... else facts, params.period, params.start,
                       params.end, params.min_group_size, by, params.extra.get("leader"),
                       params.extra.get("level", 1))
        if found is not None:
            orgs, heads = found
    if orgs is None:
        orgs = organisations(con, params.period, params.start, params.end, params.min_group_size, tree)
    rows, left_out = view(con, orgs, by, params.extra.get("leader"), params.extra.get("level", 1),
                          params.min_group_size, heads)
    covers = labelled if labelled is not None else labels(con, EMPLOYED_IN_PERIOD, params.start, params.end)
    return MetricResult(rows=rows, suppressed_groups=left_out,
                        extra={**covers, "floor": floor(params.min_group_size),
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
