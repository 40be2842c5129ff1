"""The interaction graph: who talks to whom, between people and between groups.

Definitions (METRICS.md, "Interactions and silos"): a reply, a mention or a reaction is a
directed tie from its author to its target; self-ties are dropped; the *interaction graph* is
undirected, the weight of {a, b} being the number of interactions between a and b either way
over the window. Ties are always aggregated in DuckDB (``*.sql`` beside this module); Python
only sees one row per pair of people, or per pair of groups.

Two graphs are built here, each by one function:

- :func:`interaction_graph`: one node per person with a tie (attributes ``person_id``, the
  pseudonym, and ``group``), weighted edges; :func:`person_graph` is the same graph as arrays,
  for Louvain (:func:`louvain_partition`) and betweenness, which run on it.
- :func:`group_graph`: one node per group (``headcount``, ``internal_ties``), one edge per pair of
  groups (``weight``). Groups under the minimum size are never nodes of their own: see
  :func:`group_graph` for the rule.

The metrics on top of them: ``group-graph`` (this module), ``bridges`` (boundary spanners) and
``communities`` (Louvain against the formal groups); ``silos`` lives in :mod:`metrics.silos`.
"""

from __future__ import annotations

import json
import math
import random
import time
from datetime import date, timedelta
from pathlib import Path
from typing import NamedTuple

import duckdb
import networkx as nx
import numpy as np
import polars as pl

from metrics._sql import sql
from metrics.groups import EXTERNAL, GROUP_ATTRIBUTES, MetricError, group_expression, suppress_small_groups
from metrics.suppression import decide
from metrics.groups import grain as _grain
from metrics.materialise import store_state
from metrics.population import DATA_DAYS, bounds_sql, data_bounds
from metrics.measure import MetricParams, MetricResult, register

#: The node standing for the groups under the minimum size, when together they are big enough.
OTHER = "Other (small groups)"

#: Nodes of the group graph the dashboard draws (``top`` of :func:`group_graph_frames`): the most
#: tied. By team there are thousands of groups; no one reads a layout of them.
DRAWN_GROUPS = 40

#: Above this many people, betweenness is estimated from a sample of sources (Brandes & Pich).
EXACT_BETWEENNESS_LIMIT = 20_000

#: Budget of the betweenness estimate, in edge visits (sources x ties): about 30 s on this
#: project's reference machine (2 cores); see docs/network.md for the measurements.
BETWEENNESS_BUDGET = 300_000_000

#: The fewest sources a sampled estimate uses, whatever the budget.
MIN_SOURCES = 8

_WHOLE_WINDOW = (
    "select first_day as period_start, (last_day + interval 1 day)::date as period_end, "
    "'all' as period from bounds where first_day <= last_day",
    "bounds.first_day",
)


def _per_period(trunc: str, step: str, label: str) -> tuple[str, str]:
    calendar = (
        f"select period_start, (period_start + {step})::date as period_end, {label} as period "
        f"from (select distinct date_trunc('{trunc}', d)::date as period_start "
        f"from bounds, range(first_day, last_day + interval 1 day, interval 1 day) as t(d))"
    )
    return calendar, f"date_trunc('{trunc}', a.occurred_at)::date"


#: The directed interactions' weight per pair of groups and period, from the activities.
_LIVE_GROUP_TIES = (
    "select i.period_start, least(s.grp, t.grp) as grp_a, greatest(s.grp, t.grp) as grp_b, count(*) as weight "
    "from interactions as i "
    "join membership as s on s.person_key = i.source_key "
    "join membership as t on t.person_key = i.target_key "
    "group by all"
)

#: The same from the days of m_group_ties (``{attribute}``, ``{period_of}`` over ``g.day``), one row
#: per day: the queries sum them (summing them per pair first costs as much again).
_STORED_GROUP_TIES = (
    "select {period_of} as period_start, g.grp_a, g.grp_b, g.weight "
    "from m_group_ties as g, bounds "
    "where g.attribute = '{attribute}' and g.day >= bounds.first_day and g.day <= bounds.last_day"
)

#: The columns that turn a row of tie weight between two groups (``grp_a``, ``grp_b``, ``weight``)
#: into its groups' ends: one row for a group with itself (its internal ties), one per group for
#: two groups (an outward tie of each).
_ENDS = (
    "unnest(case when grp_a = grp_b then [grp_a] else [grp_a, grp_b] end) as grp, "
    "case when grp_a = grp_b then weight else 0 end as internal_ties, "
    "case when grp_a = grp_b then 0 else weight end as external_ties"
)

#: The internal and outward tie weight of each group and period, from ``pair_ties``.
_LIVE_GROUP_ENDS = (
    "select period_start, grp, sum(internal_ties) as internal_ties, sum(external_ties) as external_ties "
    f"from (select period_start, {_ENDS} from pair_ties) group by all"
)

#: The same over one whole window (``{first}`` to ``{last}``, literal dates, so that the scans skip
#: the storage blocks outside it): its whole months from ``m_group_ends`` (``{full_from}`` to
#: ``{full_to}``, excluded), the days around them from ``m_group_ties``.
_STORED_GROUP_ENDS = (
    "select date '{first}' as period_start, grp, sum(internal_ties) as internal_ties, "
    "sum(external_ties) as external_ties from ("
    "select grp, internal_ties, external_ties from m_group_ends "
    "where attribute = '{attribute}' and month >= date '{full_from}' and month < date '{full_to}' "
    "union all select " + _ENDS + " from m_group_ties "
    "where attribute = '{attribute}' and day >= date '{first}' and day <= date '{last}' "
    "and (day < date '{full_from}' or day >= date '{full_to}')"
    ") group by all"
)


def whole_months(first: date, last: date) -> tuple[date, date]:
    """The first day of the first whole month of ``first``..``last`` and the first day after its
    last whole month; the first is not before the second when no month is whole.

    >>> whole_months(date(2026, 1, 1), date(2026, 3, 31))
    (datetime.date(2026, 1, 1), datetime.date(2026, 4, 1))
    >>> whole_months(date(2026, 1, 15), date(2026, 3, 30))
    (datetime.date(2026, 2, 1), datetime.date(2026, 3, 1))
    >>> whole_months(date(2026, 1, 15), date(2026, 1, 20))
    (datetime.date(2026, 2, 1), datetime.date(2026, 1, 1))
    """
    full_from = first if first.day == 1 else (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return full_from, (last + timedelta(days=1)).replace(day=1)


def window(con: duckdb.DuckDBPyConnection, start: date | None, end: date | None) -> tuple[date, date] | None:
    """The first and last day of a window cut to the data (:func:`metrics.population.data_bounds`),
    as the queries' ``bounds`` take it; None when the store holds no data."""
    first, last = data_bounds(con, start, end)
    if first is None or last is None:
        return None
    return first, last


#: External people active in each period, from the activities.
_LIVE_ACTIVE_EXTERNAL = (
    "select distinct {period_of} as period_start, a.person_key "
    "from activities as a "
    "join membership as m on m.person_key = a.person_key and m.is_external, bounds "
    "where a.occurred_at >= bounds.first_day and a.occurred_at < bounds.last_day + interval 1 day"
)

#: The same from the days stored beside m_group_ties.
_STORED_ACTIVE_EXTERNAL = (
    "select distinct {period_of} as period_start, d.person_key "
    "from m_external_days as d, bounds "
    "where d.day >= bounds.first_day and d.day <= bounds.last_day"
)


def network_query(name: str, by: str = "department", period: str | None = None,
                  stored_ties: bool = False, whole: tuple[date, date] | None = None, keep: bool = False) -> str:
    """The text of ``<name>.sql`` preceded by the shared links of ``interactions.sql``.

    ``by`` is checked against the allow-list of group attributes and ``period`` against the
    grains; ``None`` makes the whole window one period labelled ``all``. With ``stored_ties``,
    the tie weights per pair of groups are summed from ``m_group_ties`` and the external people
    active in each period read from ``m_external_days`` (:func:`store_group_ties`; the caller
    checked that they describe the store: :func:`group_ties_current`): the figures the
    activities give, faster. With ``stored_ties`` and no ``period``, ``whole`` (the window's first
    and last day, :func:`window`) has the groups' tie totals summed from ``m_group_ends`` by whole
    months (slot ``group_ends``). With ``keep``, the query takes the bound list ``$keep`` and
    reads only the pairs of groups both in it (slot ``keep``).
    """
    group_expression(by)  # checks by against the allow-list before it goes into the text
    if period is None:
        calendar, period_of = _WHOLE_WINDOW
        day_of = "bounds.first_day"
    else:
        g = _grain(period)
        calendar, period_of = _per_period(g.trunc, g.step, g.label)
        day_of = f"date_trunc('{g.trunc}', {{day}})::date"
    group_ties = (
        _STORED_GROUP_TIES.format(period_of=day_of.format(day="g.day"), attribute=by)
        if stored_ties else _LIVE_GROUP_TIES
    )
    active_external = (
        _STORED_ACTIVE_EXTERNAL.format(period_of=day_of.format(day="d.day"))
        if stored_ties else _LIVE_ACTIVE_EXTERNAL.format(period_of=period_of)
    )
    prefix = sql("interactions").format(
        group_expr=group_expression(by), bounds=bounds_sql(DATA_DAYS), calendar=calendar, period_of=period_of,
        pair_ties=group_ties, active_external=active_external,
    )
    group_ends = _LIVE_GROUP_ENDS
    if stored_ties and period is None and whole is not None:
        full_from, full_to = whole_months(*whole)
        group_ends = _STORED_GROUP_ENDS.format(attribute=by, first=whole[0].isoformat(), last=whole[1].isoformat(),
                                               full_from=full_from.isoformat(), full_to=full_to.isoformat())
    kept = "where grp_a in (select unnest($keep::varchar[])) and grp_b in (select unnest($keep::varchar[]))"
    return sql(name).format(interactions=prefix, group_ends=group_ends, keep=kept if keep else "")


#: Version of the tables :func:`store_group_ties` builds: a store whose tables carry another is
#: rebuilt at the next refresh, and read live until then.
GROUP_TIES_VERSION = 3

#: Beyond this many days touched by a load, the group ties are rebuilt rather than updated.
MAX_UPDATED_DAYS = 400


def _group_ties_state(con: duckdb.DuckDBPyConnection) -> str:
    return f"{GROUP_TIES_VERSION} {store_state(con)}"


def _people_digest(con: duckdb.DuckDBPyConnection, max_key: int) -> int:
    """A digest of every group the people up to ``max_key`` belong to (External included): it
    changes when one of them changes group."""
    groups = ", ".join(f"cast({expr} as varchar)" for expr in GROUP_ATTRIBUTES.values())
    return int(con.execute(
        f"select coalesce(bit_xor(hash(p.person_key, p.is_external, {groups})), 0) from people as p "
        "where p.person_key <= ?", [max_key]
    ).fetchone()[0])


def _facts(con: duckdb.DuckDBPyConnection) -> dict:
    """What the group ties are built from: the activities (their count, last run) and the people
    (the last key, the digest of their groups)."""
    run, n = con.execute("select coalesce(max(run_id), 0), count(*) from activities").fetchone()
    max_key = con.execute("select coalesce(max(person_key), 0) from people").fetchone()[0]
    return {"activities_run": run, "activities": n, "max_person": max_key, "people": _people_digest(con, max_key)}


def group_ties_current(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether ``m_group_ties`` and the tables beside it were built, by this version, from the
    store as it is (same loads, same people)."""
    found = con.execute(
        "select count(*) from information_schema.tables where table_name = 'm_group_ties_state'"
    ).fetchone()[0]
    return bool(found) and con.execute("select state from m_group_ties_state").fetchone()[0] == _group_ties_state(con)


def _stored_facts(con: duckdb.DuckDBPyConnection) -> dict | None:
    found = con.execute(
        "select count(*) from information_schema.columns where table_name = 'm_group_ties_state' and column_name = 'facts'"
    ).fetchone()[0]
    if not found:
        return None
    state, facts = con.execute("select state, facts from m_group_ties_state").fetchone()
    if not state.startswith(f"{GROUP_TIES_VERSION} "):
        return None
    return json.loads(facts)


def _days_to_update(con: duckdb.DuckDBPyConnection) -> list[date] | None:
    """The days of the activities loaded since the group ties were built, when that is all that
    changed (no activity removed, nobody of then in another group); None otherwise."""
    before = _stored_facts(con)
    if before is None:
        return None
    kept = con.execute("select count(*) from activities where run_id <= ?", [before["activities_run"]]).fetchone()[0]
    if kept != before["activities"] or _people_digest(con, before["max_person"]) != before["people"]:
        return None
    days = [d for (d,) in con.execute(
        "select distinct occurred_at::date from activities where run_id > ? order by 1", [before["activities_run"]]
    ).fetchall()]
    return days if len(days) <= MAX_UPDATED_DAYS else None


#: The interactions summed per day and pair of people (``{where}``: which activities).
_PERSON_TIES_DAY = (
    "create or replace temp table m_person_ties_day as "
    "select occurred_at::date as day, person_key as source_key, target_key, count(*) as weight "
    "from activities "
    "where kind in ('reply', 'mention', 'reaction') and target_key is not null and target_key <> person_key {where} "
    "group by all"
)

#: Each group's internal and outward tie weight per month, from the rows of m_group_ties ``{where}``.
_GROUP_ENDS = (
    "select attribute, date_trunc('month', day)::date as month, grp, sum(internal_ties)::bigint as internal_ties, "
    "sum(external_ties)::bigint as external_ties "
    "from (select attribute, day, " + _ENDS + " from m_group_ties {where}) "
    "group by all order by attribute, month, grp"
)

#: The days each external person did something, of the activities ``{where}``.
_EXTERNAL_DAYS = (
    "select distinct a.occurred_at::date as day, a.person_key "
    "from activities as a join people as p on p.person_key = a.person_key and p.is_external {where} "
    "order by day, a.person_key"
)


def store_group_ties(con: duckdb.DuckDBPyConnection) -> dict:
    """Build ``m_group_ties``: the tie weight of each pair of groups per day, for every group
    attribute (``group_ties.sql``), from the interactions summed per day and pair of people once;
    ``m_group_ends``: each group's internal and outward tie weight per month, from it (by team, a
    pair of groups rarely meets twice in a month, but a group does: a year of a group's totals is
    a few rows where its pairs are hundreds); and ``m_external_days``: the days each external
    person did something (the people of the group External). Done after a load that changed the
    store; the network queries then sum days instead of joining every interaction to its ends'
    groups again.

    When the store only gained activities since they were built (nobody of then changed group,
    no activity went), only the days of the new activities are computed again, and the months
    holding them (``mode``: ``update``); else everything (``full``).
    """
    started = time.process_time()
    days = _days_to_update(con)
    if days is None:
        _build_group_ties(con)
    elif days:
        _update_group_ties(con, days)
    facts = _facts(con)
    con.execute("create or replace table m_group_ties_state (state varchar not null, facts varchar not null)")
    con.execute("insert into m_group_ties_state values (?, ?)", [_group_ties_state(con), json.dumps(facts)])
    rows = con.execute("select count(*) from m_group_ties").fetchone()[0]
    return {"mode": "full" if days is None else "update", "days": None if days is None else len(days),
            "rows": rows, "cpu_seconds": round(time.process_time() - started, 1)}


def _build_group_ties(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(_PERSON_TIES_DAY.format(where=""))
    con.execute(
        "create or replace table m_group_ties (attribute varchar not null, day date not null, "
        "grp_a varchar not null, grp_b varchar not null, weight bigint not null)"
    )
    for attribute in GROUP_ATTRIBUTES:
        con.execute(sql("group_ties").format(attribute=attribute, group_expr=group_expression(attribute)))
    con.execute("drop table m_person_ties_day")
    con.execute("create or replace table m_group_ends as " + _GROUP_ENDS.format(where=""))
    con.execute("create or replace table m_external_days as " + _EXTERNAL_DAYS.format(where=""))


def _update_group_ties(con: duckdb.DuckDBPyConnection, days: list[date]) -> None:
    """Compute the group ties of ``days`` again (every activity of those days, old and new), and
    the groups' totals of the months holding them. The day bounds are literals, so that the scans
    skip the storage blocks outside them."""
    con.execute("create or replace temp table m_updated_days as select unnest(?::date[]) as day", [days])
    bounds = (f"occurred_at >= date '{days[0].isoformat()}' "
              f"and occurred_at < date '{(days[-1] + timedelta(days=1)).isoformat()}' "
              "and occurred_at::date in (select day from m_updated_days)")
    con.execute(_PERSON_TIES_DAY.format(where="and " + bounds))
    con.execute("delete from m_group_ties where day in (select day from m_updated_days)")
    for attribute in GROUP_ATTRIBUTES:
        con.execute(sql("group_ties").format(attribute=attribute, group_expr=group_expression(attribute)))
    con.execute("drop table m_person_ties_day")
    months = "(select distinct date_trunc('month', day)::date from m_updated_days)"
    con.execute(f"delete from m_group_ends where month in {months}")
    con.execute("insert into m_group_ends " + _GROUP_ENDS.format(where=f"where date_trunc('month', day)::date in {months}"))
    con.execute("delete from m_external_days where day in (select day from m_updated_days)")
    con.execute("insert into m_external_days " + _EXTERNAL_DAYS.format(where="where " + bounds.replace("occurred_at", "a.occurred_at")))
    con.execute("drop table m_updated_days")


def _frame(
    con: duckdb.DuckDBPyConnection, name: str, by: str, period: str | None, start: date | None, end: date | None
) -> pl.DataFrame:
    query = network_query(name, by, period)
    return con.execute(query, {"from_date": start, "to_date": end}).pl()


def interaction_graph(
    con: duckdb.DuckDBPyConnection,
    by: str = "department",
    start: date | None = None,
    end: date | None = None,
) -> nx.Graph:
    """The undirected, weighted interaction graph of people over a window.

    Nodes are the people with at least one tie (keyed by ``person_key``; attributes
    ``person_id``, their pseudonym, and ``group``, their value of ``by`` or ``External``); the
    weight of an edge is the number of interactions between its ends, either way. The weights are
    summed in DuckDB; the graph is then filled from whole columns.

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute(
    ...     "insert into people (person_key, person_id, department) values "
    ...     "(1, 'a', 'Sales'), (2, 'b', 'Sales'), (3, 'c', 'Legal')")
    >>> _ = con.execute(
    ...     "insert into activities (activity_uid, source, occurred_at, person_key, kind, target_key, run_id) "
    ...     "values (1, 'x', '2026-03-02', 1, 'reply', 2, 1), (2, 'x', '2026-03-03', 2, 'mention', 1, 1), "
    ...     "(3, 'x', '2026-03-04', 3, 'reaction', 1, 1), (4, 'x', '2026-03-04', 3, 'reaction', 3, 1)")
    >>> G = interaction_graph(con)
    >>> sorted(G.edges(data="weight"))
    [(1, 2, 2), (1, 3, 1)]
    >>> G.nodes[3]
    {'person_id': 'c', 'group': 'Legal'}
    """
    nodes, ties = _person_ties(con, by, start, end)
    G = nx.Graph()
    G.add_nodes_from(
        (k, {"person_id": pid, "group": grp}) for k, pid, grp in nodes.select("person_a", "person_id", "grp").iter_rows()
    )
    G.add_weighted_edges_from(zip(ties["person_a"].to_list(), ties["person_b"].to_list(), ties["weight"].to_list()))
    return G


def _person_ties(
    con: duckdb.DuckDBPyConnection, by: str, start: date | None, end: date | None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The people with a tie (sorted by ``person_a``, their key) and the ties (sorted by ends)."""
    frame = _frame(con, "person_ties", by, None, start, end)
    nodes = frame.filter(pl.col("part") == "node").sort("person_a")
    ties = frame.filter(pl.col("part") == "tie").sort("person_a", "person_b")
    return nodes, ties


class PersonGraph(NamedTuple):
    """The interaction graph as arrays, for the algorithms that cannot afford a networkx graph.

    Node ``i`` is the person ``keys[i]`` (ascending, as the nodes of :func:`interaction_graph`),
    of group ``groups[i]``; tie ``j`` joins nodes ``a[j] < b[j]`` with weight ``weight[j]``.
    """

    keys: np.ndarray
    groups: list
    a: np.ndarray
    b: np.ndarray
    weight: np.ndarray


def person_graph(
    con: duckdb.DuckDBPyConnection,
    by: str = "department",
    start: date | None = None,
    end: date | None = None,
) -> PersonGraph:
    """The same graph as :func:`interaction_graph`, as arrays (:class:`PersonGraph`): built from
    the same columns in a second where the networkx graph takes several on a million ties.

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute(
    ...     "insert into people (person_key, person_id, department) values "
    ...     "(1, 'a', 'Sales'), (2, 'b', 'Sales'), (3, 'c', 'Legal')")
    >>> _ = con.execute(
    ...     "insert into activities (activity_uid, source, occurred_at, person_key, kind, target_key, run_id) "
    ...     "values (1, 'x', '2026-03-02', 1, 'reply', 3, 1), (2, 'x', '2026-03-03', 3, 'mention', 1, 1), "
    ...     "(3, 'x', '2026-03-04', 2, 'reaction', 3, 1)")
    >>> P = person_graph(con)
    >>> P.keys.tolist(), P.groups, P.a.tolist(), P.b.tolist(), P.weight.tolist()
    ([1, 2, 3], ['Sales', 'Sales', 'Legal'], [0, 1], [2, 2], [2.0, 1.0])
    """
    nodes, ties = _person_ties(con, by, start, end)
    keys = nodes["person_a"].to_numpy().astype(np.int64)
    return PersonGraph(
        keys=keys,
        groups=nodes["grp"].to_list(),
        a=np.searchsorted(keys, ties["person_a"].to_numpy()),
        b=np.searchsorted(keys, ties["person_b"].to_numpy()),
        weight=ties["weight"].to_numpy().astype(np.float64),
    )


def partition_modularity(G: nx.Graph, labels: dict) -> float | None:
    """Newman's modularity (weighted, resolution 1) of the partition of ``G`` given as a label per node.

    The same number as networkx's ``modularity`` (the tests check it), computed from the sum of
    internal weights and of degrees per label: one pass over the edges, no set operations.
    ``None`` for a graph without ties.

    >>> G = nx.Graph([(1, 2, {"weight": 3}), (2, 3, {"weight": 1}), (3, 4, {"weight": 2})])
    >>> labels = {1: "a", 2: "a", 3: "b", 4: "b"}
    >>> round(partition_modularity(G, labels), 12) == round(nx.community.modularity(G, [{1, 2}, {3, 4}]), 12)
    True
    """
    m = G.size(weight="weight")
    if not m:
        return None
    internal: dict = {}
    degree: dict = {}
    for u, v, w in G.edges(data="weight", default=1):
        lu, lv = labels[u], labels[v]
        degree[lu] = degree.get(lu, 0) + w
        degree[lv] = degree.get(lv, 0) + w
        if lu == lv:
            internal[lu] = internal.get(lu, 0) + w
    return sum(internal.get(c, 0) / m - (d / (2 * m)) ** 2 for c, d in degree.items())


# --------------------------------------------------------------------------------------------
# The group graph


def visible_groups(sizes: pl.DataFrame, k: int) -> tuple[set[str], set[str], bool]:
    """Split groups into those shown and those suppressed; say whether the suppressed fold.

    ``sizes`` has columns ``grp`` and ``headcount``. The suppressed groups are those
    :func:`metrics.suppression.decide` leaves out (so that none can be recovered by difference,
    and the same as every other metric over the range leaves out); the internal ones are folded
    into one node :data:`OTHER` only when together they hold at least ``k`` people, and dropped
    otherwise. ``External`` under ``k`` is dropped, never folded.

    >>> f = pl.DataFrame({"grp": ["a", "b", "c", "d"], "headcount": [2, 3, 9, 40]})
    >>> shown, hidden, fold = visible_groups(f, 5)
    >>> sorted(shown), sorted(hidden), fold
    (['c', 'd'], ['a', 'b'], True)
    >>> shown, hidden, fold = visible_groups(f, 3)   # 'a' alone would be 2 people: 'b' goes with it
    >>> sorted(hidden), fold
    (['a', 'b'], True)
    >>> visible_groups(pl.DataFrame({"grp": ["a"], "headcount": [2]}), 5)
    (set(), {'a'}, False)
    """
    shown, _, _ = decide(sizes, "grp", "headcount", k)
    shown_set = set(shown["grp"].to_list())
    hidden = set(sizes["grp"].to_list()) - shown_set
    # External too small to show is no part of the fold: its people are in no internal total
    folded = hidden - {EXTERNAL}
    hidden_people = sizes.filter(pl.col("grp").is_in(list(folded)))["headcount"].sum() if folded else 0
    return shown_set, hidden, bool(folded) and hidden_people >= k


def group_graph(
    con: duckdb.DuckDBPyConnection,
    by: str = "department",
    start: date | None = None,
    end: date | None = None,
    min_group_size: int = 5,
) -> tuple[nx.Graph, int]:
    """The group graph: a node per group, an edge per pair of groups that interact.

    A node carries ``headcount`` (the people of the group over the window: its headcount, or
    for ``External`` the external people active in it) and ``internal_ties`` (the weight of ties
    inside it); an edge carries ``weight``, the weight of ties between its two groups. Tie
    weights are summed in DuckDB, pair of groups by pair of groups.

    Privacy (METRICS.md): groups under ``min_group_size`` people, and as many more of the smallest
    as needed for none to be recoverable by difference, are suppressed. Together they become one
    node :data:`OTHER` when they hold at least ``min_group_size`` people, with their ties summed;
    otherwise they and their ties are left out. Returns the graph and the number of groups
    suppressed.

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute(
    ...     "insert into people (person_key, person_id, department) select i, 'p' || i, case "
    ...     "when i <= 5 then 'Sales' when i <= 10 then 'Legal' when i <= 12 then 'Tax' else 'Audit' end "
    ...     "from range(1, 16) t(i)")
    >>> _ = con.execute(
    ...     "insert into activities (activity_uid, source, occurred_at, person_key, kind, target_key, run_id) "
    ...     "values (1, 'x', '2026-03-02', 1, 'reply', 2, 1), (2, 'x', '2026-03-03', 1, 'mention', 6, 1), "
    ...     "(3, 'x', '2026-03-04', 6, 'reaction', 11, 1), (4, 'x', '2026-03-04', 13, 'mention', 12, 1)")
    >>> G, left_out = group_graph(con, min_group_size=5)
    >>> sorted(G.nodes(data="headcount")), sorted(G.nodes(data="internal_ties"))
    ([('Legal', 5), ('Other (small groups)', 5), ('Sales', 5)], [('Legal', 0), ('Other (small groups)', 1), ('Sales', 1)])
    >>> sorted(tuple(sorted(e)) + (w,) for *e, w in G.edges(data="weight")), left_out
    ([('Legal', 'Other (small groups)', 1), ('Legal', 'Sales', 1)], 2)

    Tax (2 people) and Audit (3) are suppressed; together they hold 5 people, so they are shown as
    one node, with the tie between them as its internal tie.
    """
    nodes, edges, left_out, _ = group_graph_frames(con, by, start, end, min_group_size)
    G = nx.Graph()
    G.add_nodes_from((n, {"headcount": h, "internal_ties": i}) for n, h, i in nodes.iter_rows())
    G.add_weighted_edges_from(zip(edges["group_a"].to_list(), edges["group_b"].to_list(), edges["weight"].to_list()))
    return G, left_out


def group_graph_frames(
    con: duckdb.DuckDBPyConnection,
    by: str = "department",
    start: date | None = None,
    end: date | None = None,
    min_group_size: int = 5,
    top: int | None = None,
    per_group: pl.DataFrame | None = None,
    stored: bool | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame, int, int]:
    """The group graph of :func:`group_graph` as tidy frames: nodes (``group``, ``headcount``,
    ``internal_ties``) and edges (``group_a`` < ``group_b``, ``weight``), sorted by name, the
    number of groups suppressed and the number of nodes of the whole graph. The metric reads
    these; :func:`group_graph` makes them a graph.

    With ``top``, only the ``top`` nodes with the most ties, and the edges between them. A node's
    ties are its members' ties inside it and with anyone outside it (a group left out included);
    ties are broken by name. The pairs of groups are then summed for those nodes only: by team,
    a year holds about 800,000 pairs, where 40 teams hold a few hundred.

    ``per_group``: the groups' ``grp``, ``headcount``, ``internal_ties`` and ``external_ties`` over
    the window, as ``silos.sql`` gives them, when the caller has them (:mod:`metrics.silos`), and
    ``stored``: whether it found the group ties current (:func:`group_ties_current`).
    """
    if stored is None:
        stored = group_ties_current(con)
    params = {"from_date": start, "to_date": end}
    if per_group is None:
        whole = window(con, start, end) if stored else None
        per_group = con.execute(network_query("silos", by, None, stored_ties=stored, whole=whole), params).pl()
    per_group = per_group.select("grp", pl.col("headcount", "internal_ties", "external_ties").cast(pl.Int64))
    shown, hidden, fold = visible_groups(per_group.select("grp", "headcount"), min_group_size)
    nodes_count = len(shown) + fold
    shown_names = pl.Series(sorted(shown), dtype=pl.Utf8)
    candidates = None
    if top is not None and nodes_count > top:
        candidates = (
            per_group.filter(pl.col("grp").is_in(shown_names.implode()))
            .sort(pl.col("internal_ties") + pl.col("external_ties"), "grp", descending=[True, False])
            .head(top)["grp"].to_list()
        )
        params["keep"] = candidates + (sorted(hidden - {EXTERNAL}) if fold else [])
    query = network_query("group_pairs", by, None, stored_ties=stored, keep=candidates is not None)
    pairs = con.execute(query, params).pl()

    def node(column: str) -> pl.Expr:
        other = pl.lit(OTHER) if fold else pl.lit(None, pl.Utf8)
        return (pl.when(pl.col(column).is_in(shown_names.implode())).then(pl.col(column))
                .when(pl.col(column) == EXTERNAL).then(pl.lit(None, pl.Utf8)).otherwise(other))

    ties = pairs.with_columns(node("grp_a").alias("u"), node("grp_b").alias("v")).drop_nulls(["u", "v"])
    internal = (
        ties.filter(pl.col("u") == pl.col("v")).group_by(pl.col("u").alias("group"))
        .agg(pl.col("weight").sum().cast(pl.Int64).alias("internal_ties"))
    )
    members = per_group.with_columns(node("grp").alias("group")).drop_nulls("group")
    nodes = (
        members.group_by("group")
        .agg(pl.col("headcount").sum(), pl.col("internal_ties").sum().alias("own"),
             (pl.col("internal_ties") + pl.col("external_ties")).sum().alias("all_ties"))
        .join(internal, on="group", how="left")
        .with_columns(pl.col("internal_ties").fill_null(0))
    )
    if candidates is not None:
        # A node's ties: its groups' ties, less those between two of its groups (counted at both
        # ends), which are its internal ties less its groups' own.
        nodes = (
            nodes.filter(pl.col("group").is_in(candidates + [OTHER]))
            .with_columns((pl.col("all_ties") - (pl.col("internal_ties") - pl.col("own"))).alias("ties"))
            .sort("ties", "group", descending=[True, False])
            .head(top)
            .drop("ties")
        )
    nodes = nodes.drop("own", "all_ties").sort("group")
    drawn = nodes["group"].to_list()
    edges = (
        ties.filter((pl.col("u") != pl.col("v")) & pl.col("u").is_in(drawn) & pl.col("v").is_in(drawn))
        .group_by(pl.min_horizontal("u", "v").alias("group_a"), pl.max_horizontal("u", "v").alias("group_b"))
        .agg(pl.col("weight").sum().cast(pl.Int64))
        .sort("group_a", "group_b")
    )
    return nodes, edges, len(hidden), nodes_count


def write_group_graph(con: duckdb.DuckDBPyConnection, params: MetricParams, path: str | Path) -> Path:
    """Write the group graph to ``path`` for Gephi: GraphML (``.graphml``) or GEXF (``.gexf``).

    Same graph as the ``group-graph`` metric (small groups suppressed alike).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in {".graphml", ".gexf"}:
        raise MetricError(f"{path}: write the group graph as .graphml or .gexf")
    G, _ = group_graph(con, by=params.by, start=params.start, end=params.end,
                       min_group_size=params.min_group_size)
    G.graph["grouped_by"] = params.by
    if suffix == ".graphml":
        nx.write_graphml(G, path)
    else:
        nx.write_gexf(G, path)
    return path


@register("group-graph", "the group graph: headcount of each group, tie weight of each pair (--out FILE for Gephi)")
def group_graph_metric(con: duckdb.DuckDBPyConnection, params: MetricParams) -> MetricResult:
    """The whole graph, or with ``extra["top"]`` its nodes with the most ties (:func:`group_graph_frames`);
    ``extra["groups"]`` is the number of nodes of the whole graph."""
    top = params.extra.get("top")
    nodes, edges, left_out, groups = group_graph_frames(
        con, by=params.by, start=params.start, end=params.end, min_group_size=params.min_group_size,
        top=None if top is None else int(top),
    )
    extra: dict = {"nodes": nodes.rename({"group": params.by}).to_dicts(), "groups": groups}
    out = params.extra.get("out")
    if out:
        extra["written"] = str(write_group_graph(con, params, out))
    return MetricResult(rows=edges, suppressed_groups=left_out, extra=extra)


# --------------------------------------------------------------------------------------------
# Boundary spanners


def betweenness_sources(people: int, ties: int, budget: int = BETWEENNESS_BUDGET) -> int | None:
    """How many sources the betweenness of a person graph is estimated from; ``None``: exact.

    Exact (every person a source) up to :data:`EXACT_BETWEENNESS_LIMIT` people when that fits the
    budget of edge visits (sources x ties); otherwise as many sources as the budget allows, at
    least :data:`MIN_SOURCES`, never more than :data:`EXACT_BETWEENNESS_LIMIT`.

    >>> betweenness_sources(1_005, 16_064) is None
    True
    >>> betweenness_sources(100_000, 1_000_000)
    300
    >>> betweenness_sources(30_000, 40_000)   # cheap, but beyond the exact limit
    7500
    >>> betweenness_sources(30_000, 100)
    20000
    """
    per_source = max(ties, 1)
    if people <= EXACT_BETWEENNESS_LIMIT and people * per_source <= budget:
        return None
    return min(people, EXACT_BETWEENNESS_LIMIT, max(MIN_SOURCES, budget // per_source))


def _adjacency(G: nx.Graph) -> tuple[list, np.ndarray, np.ndarray]:
    """The nodes of ``G`` and its adjacency in compressed sparse rows (both directions, no loops)."""
    nodes = list(G)
    index = {n: i for i, n in enumerate(nodes)}
    m = G.number_of_edges()
    ends = np.fromiter((index[x] for e in G.edges() for x in e), dtype=np.int64, count=2 * m).reshape(-1, 2)
    ends = ends[ends[:, 0] != ends[:, 1]]
    return nodes, *_csr(len(nodes), ends[:, 0], ends[:, 1])


def _csr(n: int, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Compressed sparse rows (``indptr``, ``indices``) of the undirected ties ``a[j] - b[j]``."""
    src = np.concatenate([a, b])
    dst = np.concatenate([b, a])
    indices = dst[np.argsort(src, kind="stable")]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    return indptr, indices


def _dependencies(indptr: np.ndarray, indices: np.ndarray, source: int) -> np.ndarray:
    """Brandes' dependencies of every node on ``source`` (hops), one breadth-first level at a time.

    Each level expands the whole frontier at once with array operations instead of a Python loop
    over its edges: the same sums as networkx's ``_single_source_shortest_path_basic`` and
    ``_accumulate_basic``, in the same order of levels.
    """
    n = len(indptr) - 1
    dist = np.full(n, -1, dtype=np.int32)
    sigma = np.zeros(n)
    dist[source], sigma[source] = 0, 1.0
    frontier = np.array([source], dtype=np.int64)
    levels = []
    depth = 0
    while frontier.size:
        starts = indptr[frontier]
        counts = indptr[frontier + 1] - starts
        total = int(counts.sum())
        if not total:
            break
        first = np.repeat(starts - (np.cumsum(counts) - counts), counts)
        child = indices[first + np.arange(total)]
        parent = np.repeat(frontier, counts)
        dist[child[dist[child] == -1]] = depth + 1
        down = dist[child] == depth + 1
        parent, child = parent[down], child[down]
        sigma += np.bincount(child, weights=sigma[parent], minlength=n)
        levels.append((parent, child))
        depth += 1
        frontier = np.flatnonzero(dist == depth)
    delta = np.zeros(n)
    for parent, child in reversed(levels):
        delta += sigma * np.bincount(parent, weights=(1.0 + delta[child]) / sigma[child], minlength=n)
    delta[source] = 0.0
    return delta


def betweenness_centrality(G: nx.Graph, k: int | None = None, seed: int | None = None) -> dict:
    """networkx's ``betweenness_centrality(G, k, seed=seed)`` (hops, normalised, no endpoints),
    computed level by level on arrays.

    Same sources (networkx's own draw: ``random.Random(seed).sample(list(G), k)``), same sums,
    same rescaling, so the same numbers (to rounding; the tests compare them on the karate club,
    random graphs and the e-mail network), with 0.06 s of CPU per source on a million ties instead
    of networkx's 5 s: what lets the estimate use hundreds of sources (docs/network.md).

    >>> G = nx.karate_club_graph()
    >>> ours, theirs = betweenness_centrality(G), nx.betweenness_centrality(G)
    >>> max(abs(ours[v] - theirs[v]) for v in G) < 1e-12
    True
    >>> ours, theirs = betweenness_centrality(G, k=5, seed=3), nx.betweenness_centrality(G, k=5, seed=3)
    >>> max(abs(ours[v] - theirs[v]) for v in G) < 1e-12
    True
    """
    nodes, indptr, indices = _adjacency(G)
    return dict(zip(nodes, _betweenness(indptr, indices, k, seed).tolist()))


def _betweenness(indptr: np.ndarray, indices: np.ndarray, k: int | None, seed: int | None) -> np.ndarray:
    """:func:`betweenness_centrality` of nodes ``0 .. n-1`` given as compressed sparse rows."""
    n = len(indptr) - 1
    if k is not None and k >= n:
        k = None
    if k is None:
        sources = np.arange(n)
    else:
        # networkx's draw, random.Random(seed).sample(list(G), k), as positions in list(G)
        sources = np.array(random.Random(seed).sample(range(n), k), dtype=np.int64)
    total = np.zeros(n)
    for s in sources:
        total += _dependencies(indptr, indices, int(s))
    pairs = n - 1  # targets a path through v can reach (endpoints excluded)
    if pairs >= 2:
        if k is None:
            total *= 1 / (pairs * (pairs - 1))
        else:
            scale = np.full(n, 1 / (k * (pairs - 1)))
            scale[sources] = 1 / ((k - 1) * (pairs - 1)) if k > 1 else math.nan
            total *= scale
    return total


def person_betweenness(
    G: nx.Graph, sources: int | None = None, seed: int = 1
) -> tuple[dict, dict]:
    """Betweenness centrality of every person (hops, normalised), exact or sampled.

    ``sources`` defaults to :func:`betweenness_sources`. Sampled, it is networkx's estimate from
    ``sources`` random sources (Brandes & Pich, 2007), seeded, computed by
    :func:`betweenness_centrality`. Returns the centralities and a description of the
    computation (``exact``, ``sources``, ``people``, ``seconds``).
    Ties count as hops, not weighted distances: an interaction count is a strength, and a
    spanner is someone on the short chains of acquaintance between people.
    """
    nodes, indptr, indices = _adjacency(G)
    values, info = _person_betweenness(indptr, indices, len(indices) // 2, sources, seed)
    return dict(zip(nodes, values.tolist())), info


def _person_betweenness(
    indptr: np.ndarray, indices: np.ndarray, ties: int, sources: int | None, seed: int
) -> tuple[np.ndarray, dict]:
    """:func:`person_betweenness` on compressed sparse rows: the values in node order, and the description."""
    people = len(indptr) - 1
    if sources is None:
        sources = betweenness_sources(people, ties)
    exact = sources is None or sources >= people
    t0 = time.perf_counter()
    values = _betweenness(indptr, indices, None if exact else sources, seed)
    info = {
        "exact": exact,
        "sources": people if exact else sources,
        "people": people,
        "seconds": round(time.perf_counter() - t0, 3),
    }
    return values, info


def person_reach(
    con: duckdb.DuckDBPyConnection,
    by: str = "department",
    start: date | None = None,
    end: date | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per person with a tie: ``person_key``, ``person_id``, ``grp``, ``neighbours`` and
    ``groups_reached`` (distinct other groups among the people they have ties with); and per group
    of the population: ``grp``, ``headcount`` and ``groups_reached`` (distinct other groups its
    people reach together). One query (``reach.sql``), one pass over the interactions."""
    frame = _frame(con, "reach", by, None, start, end)
    people = frame.filter(pl.col("part") == "person").drop("part")
    groups = frame.filter(pl.col("part") == "group").select(
        "grp", pl.col("neighbours").cast(pl.Int64).alias("headcount"), pl.col("groups_reached").cast(pl.Int64)
    )
    return people, groups


def bridges(
    con: duckdb.DuckDBPyConnection,
    by: str = "department",
    start: date | None = None,
    end: date | None = None,
    min_group_size: int = 5,
    top: int = 10,
    sources: int | None = None,
    seed: int = 1,
) -> tuple[pl.DataFrame, int, pl.DataFrame, dict]:
    """Boundary spanners: per group, who links to other groups; and the top spanners.

    Per group (the column named ``by``): ``headcount``, ``spanners`` (people with ties to at
    least one other group), ``spanner_share`` (``spanners / headcount``), ``reach_1``,
    ``reach_2``, ``reach_3_plus`` (people with ties to exactly one, two, three or more other
    groups) and ``groups_reached`` (distinct other groups the group's people reach together).
    Groups under the minimum size are suppressed (:func:`~metrics.groups.suppress_small_groups`).

    The top spanners are the ``top`` people with the highest betweenness centrality on the
    interaction graph (:func:`person_betweenness`), ties broken by ``groups_reached``: their
    pseudonym ``person_id``, group (:data:`OTHER` for a suppressed group), ``betweenness``,
    ``groups_reached`` and ``neighbours``. Names are never here: see :func:`name_people`.

    Returns (per-group frame, groups suppressed, top spanners, betweenness description).

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute(
    ...     "insert into people (person_key, person_id, department) "
    ...     "select i, 'p' || i, case when i <= 3 then 'Sales' else 'Legal' end from range(1, 7) t(i)")
    >>> _ = con.execute(   # a path 1 - 2 - 3 - 4 - 5 - 6: 3 and 4 hold the only bridge
    ...     "insert into activities (activity_uid, source, occurred_at, person_key, kind, target_key, run_id) "
    ...     "select i, 'x', '2026-03-02', i, 'mention', i + 1, 1 from range(1, 6) t(i)")
    >>> per_group, left_out, top, info = bridges(con, min_group_size=3, top=2)
    >>> per_group.select("department", "headcount", "spanners", "reach_1", "groups_reached").rows()
    [('Legal', 3, 1, 1, 1), ('Sales', 3, 1, 1, 1)]
    >>> top.select("person_id", "department", pl.col("betweenness").round(3), "groups_reached").rows()
    [('p3', 'Sales', 0.6, 1), ('p4', 'Legal', 0.6, 1)]
    >>> info["exact"]
    True
    """
    reach, sizes = person_reach(con, by, start, end)
    per_group = (
        sizes.join(
            reach.group_by("grp").agg(
                (pl.col("groups_reached") >= 1).sum().alias("spanners"),
                (pl.col("groups_reached") == 1).sum().alias("reach_1"),
                (pl.col("groups_reached") == 2).sum().alias("reach_2"),
                (pl.col("groups_reached") >= 3).sum().alias("reach_3_plus"),
            ),
            on="grp",
            how="left",
        )
        .with_columns(pl.col("spanners", "reach_1", "reach_2", "reach_3_plus").fill_null(0).cast(pl.Int64))
        .with_columns((pl.col("spanners") / pl.col("headcount")).alias("spanner_share"))
        .select("grp", "headcount", "spanners", "spanner_share", "reach_1", "reach_2", "reach_3_plus", "groups_reached")
    )
    visible, left_out, _ = decide(per_group, "grp", "headcount", min_group_size)
    shown = set(visible["grp"].to_list())

    stored = _stored(con, seed) if start is None and end is None and sources is None else None
    if stored is not None:
        scores = stored[0].select("person_key", "betweenness")
        info = {"exact": stored[1]["exact"] == "true", "sources": int(stored[1]["sources"]),
                "people": scores.height, "seconds": 0.0, "materialised": True}
    else:
        P = person_graph(con, by, start, end)
        values, info = _person_betweenness(*_csr(len(P.keys), P.a, P.b), len(P.a), sources, seed)
        scores = pl.DataFrame({"person_key": P.keys, "betweenness": values},
                              schema={"person_key": pl.Int32, "betweenness": pl.Float64})
    top_frame = (
        reach.with_columns(pl.col("person_key").cast(pl.Int32))
        .join(scores, on="person_key", how="left")
        .with_columns(
            pl.when(pl.col("grp").is_in(list(shown))).then(pl.col("grp")).otherwise(pl.lit(OTHER)).alias("grp"),
            pl.col("neighbours").cast(pl.Int64),
            pl.col("groups_reached").cast(pl.Int64),
        )
        .sort(["betweenness", "groups_reached", "person_id"], descending=[True, True, False])
        .head(top)
        .select("person_id", pl.col("grp").alias(by), "betweenness", "groups_reached", "neighbours")
    )
    return visible.rename({"grp": by}), left_out, top_frame, info


def name_people(
    frame: pl.DataFrame,
    directory: str | Path,
    pseudonymiser,
    id_column: str = "email",
    name_column: str = "name",
) -> pl.DataFrame:
    """Add a ``name`` column to a frame of ``person_id`` pseudonyms, for an administrator.

    The directory CSV is read in memory, its ``id_column`` (the e-mail the pseudonyms were made
    from) hashed with the key, and the names joined on: the ``name_column``, or else
    ``first_name`` and ``last_name``. Nothing is written anywhere: the names live only in the
    returned frame. People the directory does not know get a null name.
    """
    names = pl.read_csv(Path(directory), infer_schema=False)
    if name_column in names.columns:
        name = pl.col(name_column)
    else:
        name = pl.concat_str([pl.col("first_name"), pl.col("last_name")], separator=" ", ignore_nulls=True)
    names = names.select(pl.col(id_column), name.alias("name")).filter(pl.col(id_column).is_not_null())
    lookup = {pseudonymiser.hash(i): n for i, n in names.iter_rows()}
    return frame.with_columns(
        pl.col("person_id").replace_strict(lookup, default=None, return_dtype=pl.Utf8).alias("name")
    )


@register("bridges", "boundary spanners: per group, who links to other groups; the top spanners by betweenness")
def bridges_metric(con: duckdb.DuckDBPyConnection, params: MetricParams) -> MetricResult:
    per_group, left_out, top_frame, info = bridges(
        con, by=params.by, start=params.start, end=params.end, min_group_size=params.min_group_size,
        top=int(params.extra.get("top") or 10), sources=params.extra.get("sources"),
        seed=int(params.extra.get("seed") or 1),
    )
    names_from = params.extra.get("names")
    if names_from:
        from ruche import keys
        from ruche.privacy import Pseudonymiser, load_key

        pseudonymiser = Pseudonymiser(load_key(params.extra.get("key_file", "~/.config/ruche/key"), create=False))
        keys.verify(con, pseudonymiser)  # another key would name nobody, silently
        top_frame = name_people(top_frame, names_from, pseudonymiser)
    return MetricResult(
        rows=per_group, suppressed_groups=left_out,
        extra={"top_spanners": top_frame.to_dicts(), "betweenness": info},
    )


# --------------------------------------------------------------------------------------------
# Informal communities


def normalised_mutual_information(left: list, right: list) -> float:
    """Normalised mutual information of two labellings of the same items (arithmetic mean).

    NMI = 2 I(X; Y) / (H(X) + H(Y)); 1.0 when both labellings are a single class.

    >>> normalised_mutual_information([1, 1, 2, 2], ["a", "a", "b", "b"])
    1.0
    >>> normalised_mutual_information([1, 1, 2, 2], ["a", "b", "a", "b"])
    0.0
    """
    if len(left) != len(right):
        raise ValueError("two labellings of the same items are needed")
    n = len(left)
    if n == 0:
        return float("nan")
    frame = pl.DataFrame({"x": [str(v) for v in left], "y": [str(v) for v in right]})
    joint = frame.group_by("x", "y").len()
    px = frame.group_by("x").len().rename({"len": "nx"})
    py = frame.group_by("y").len().rename({"len": "ny"})

    def entropy(counts) -> float:
        return -sum(c / n * math.log(c / n) for c in counts)

    hx, hy = entropy(px["nx"].to_list()), entropy(py["ny"].to_list())
    if hx + hy == 0:
        return 1.0
    j = joint.join(px, on="x").join(py, on="y")
    mi = sum(c / n * math.log(n * c / (a * b)) for c, a, b in j.select("len", "nx", "ny").iter_rows())
    return max(0.0, min(1.0, 2 * mi / (hx + hy)))


#: How the materialised communities were found; others are stale (see :func:`materialise`).
LOUVAIN_METHOD = "networkit PLM, one thread, seeded node order"


def louvain_partition(
    n: int, a: np.ndarray, b: np.ndarray, weight: np.ndarray, seed: int = 1, resolution: float = 1.0
) -> np.ndarray:
    """Louvain communities of the weighted graph on nodes ``0 .. n-1`` with ties ``a[j] - b[j]``:
    the community of each node, numbered by size from 1, the largest first (ties: by smallest node).

    The Louvain method (Blondel et al., 2008) as NetworKit's ``PLM`` runs it, in C++ on one thread
    (no refinement, modularity with ``resolution``, networkx's default 1): on the benchmark's
    million ties about 3 s where networkx's ``louvain_communities`` takes 77 s, for partitions of
    the same modularity (docs/network.md). Seeded like networkx's: the seed shuffles the order in
    which nodes are visited, so the same seed gives the same communities and another seed may give
    others, of the same quality.

    >>> a, b = np.array([0, 0, 1, 2, 3, 3, 4]), np.array([1, 2, 2, 3, 4, 5, 5])   # two triangles, one tie
    >>> louvain_partition(6, a, b, np.ones(7)).tolist()
    [1, 1, 1, 2, 2, 2]
    """
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    import networkit as nk  # imported when needed: the stored results need none of it

    order = np.random.default_rng(seed).permutation(n)  # node i is visited at position order[i]
    g = nk.Graph(n, weighted=True)
    if len(a):
        g.addEdges((np.asarray(weight, dtype=np.float64),
                    (order[a].astype(np.uint64), order[b].astype(np.uint64))))
    threads = nk.getMaxNumberOfThreads()
    nk.setNumberOfThreads(1)  # one thread, nodes in order: the same seed, the same communities
    try:
        found = nk.community.PLM(g, refine=False, gamma=resolution, par="none").run().getPartition()
    finally:
        nk.setNumberOfThreads(threads)
    raw = np.asarray(found.getVector(), dtype=np.int64)[order]
    _, first, inverse, size = np.unique(raw, return_index=True, return_inverse=True, return_counts=True)
    rank = np.empty(len(size), dtype=np.int64)
    rank[np.lexsort((first, -size))] = np.arange(1, len(size) + 1)
    return rank[inverse]


def louvain_communities(G: nx.Graph, weight: str = "weight", resolution: float = 1.0, seed: int = 1) -> list[set]:
    """networkx's ``louvain_communities(G, weight, resolution, seed=seed)`` computed by
    :func:`louvain_partition`: a list of sets of nodes, the largest first.

    >>> G = nx.barbell_graph(5, 0)
    >>> louvain_communities(G, seed=3)
    [{0, 1, 2, 3, 4}, {5, 6, 7, 8, 9}]
    """
    nodes = list(G)
    index = {v: i for i, v in enumerate(nodes)}
    m = G.number_of_edges()
    ends = np.fromiter((index[x] for e in G.edges() for x in e), dtype=np.int64, count=2 * m).reshape(-1, 2)
    w = np.fromiter((d for *_, d in G.edges(data=weight, default=1)), dtype=np.float64, count=m)
    labels = louvain_partition(len(nodes), ends[:, 0], ends[:, 1], w, seed=seed, resolution=resolution)
    found: list[set] = [set() for _ in range(int(labels.max(initial=0)))]
    for v, c in zip(nodes, labels.tolist()):
        found[c - 1].add(v)
    return found


def _modularity(labels: np.ndarray, a: np.ndarray, b: np.ndarray, weight: np.ndarray) -> float | None:
    """:func:`partition_modularity` of the partition ``labels`` (one per node) of the ties ``a - b``."""
    m = float(weight.sum())
    if not m:
        return None
    k = int(labels.max()) + 1
    degree = np.bincount(labels[a], weight, minlength=k) + np.bincount(labels[b], weight, minlength=k)
    internal = float(weight[labels[a] == labels[b]].sum())
    return internal / m - float(((degree / (2 * m)) ** 2).sum())


def communities(
    con: duckdb.DuckDBPyConnection,
    by: str = "department",
    start: date | None = None,
    end: date | None = None,
    min_group_size: int = 5,
    seed: int = 1,
    resolution: float = 1.0,
) -> tuple[pl.DataFrame, int, dict]:
    """Louvain communities of the interaction graph, against the formal groups.

    Communities come from :func:`louvain_partition` (Louvain, weighted, seeded) and are numbered
    by size, largest first. Over the whole window with the default resolution, the partition
    stored by :func:`materialise` is used when it is fresh: then only the comparison with ``by``
    runs (its groups are read, not the interactions). Returns the tidy group mix of each community (``community``,
    ``community_size``, the group column named ``by``, ``people``, ``share`` of the community),
    the number of communities suppressed, and organisation-wide figures: ``nmi`` (normalised
    mutual information between communities and groups, over the people with a tie),
    ``communities``, ``modularity`` (of the communities found) and ``seed``.

    Privacy: a community under ``min_group_size`` people is suppressed (as groups are); inside a
    community, the groups with fewer people than that are pooled into :data:`OTHER` with as many
    more of the smallest as needed for the pool to hold at least ``min_group_size`` people.

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute(
    ...     "insert into people (person_key, person_id, department) "
    ...     "select i, 'p' || i, case when i <= 4 then 'Sales' else 'Legal' end from range(1, 9) t(i)")
    >>> _ = con.execute(   # two cliques of four, one thin tie between them
    ...     "insert into activities (activity_uid, source, occurred_at, person_key, kind, target_key, run_id) "
    ...     "select row_number() over (), 'x', '2026-03-02', a, 'mention', b, 1 "
    ...     "from range(1, 9) s(a), range(1, 9) t(b) where a < b and (a <= 4) = (b <= 4) "
    ...     "union all select 99, 'x', '2026-03-02', 4, 'mention', 5, 1")
    >>> mix, left_out, figures = communities(con, min_group_size=4)
    >>> mix.select("community", "department", "people").rows()
    [(1, 'Sales', 4), (2, 'Legal', 4)]
    >>> figures["nmi"], figures["communities"]
    (1.0, 2)
    """
    stored = _stored(con, seed) if start is None and end is None and resolution == 1.0 else None
    if stored is not None and stored[1].get("louvain") == LOUVAIN_METHOD:
        # The partition of the whole history, found once per load: only the groups are read.
        people = stored[0].select("person_key", "community").join(
            _frame(con, "person_groups", by, None, None, None), on="person_key"
        ).sort("person_key")
        labels, groups = people["community"].to_list(), people["grp"].to_list()
        modularity = float(stored[1]["modularity"])
    else:
        P = person_graph(con, by, start, end)
        found = louvain_partition(len(P.keys), P.a, P.b, P.weight, seed=seed, resolution=resolution)
        labels, groups = found.tolist(), P.groups
        modularity = _modularity(found, P.a, P.b, P.weight)
    figures = {
        "nmi": normalised_mutual_information(labels, groups) if labels else None,
        "communities": len(set(labels)),
        "modularity": modularity,
        "seed": seed,
        "people": len(labels),
    }
    mix = (
        pl.DataFrame({"community": labels, "grp": groups}, schema={"community": pl.Int64, "grp": pl.Utf8})
        .group_by("community", "grp")
        .agg(pl.len().cast(pl.Int64).alias("people"))
    )
    sizes = mix.group_by("community").agg(pl.col("people").sum().alias("community_size"))
    shown, left_out = suppress_small_groups(sizes, "community", "community_size", min_group_size)
    mix = mix.join(shown, on="community")
    # Inside each community: small cells pooled, safely against differencing.
    cells, _ = suppress_small_groups(mix, "grp", "people", min_group_size, within=["community"])
    pooled = (
        mix.join(cells.select("community", "grp"), on=["community", "grp"], how="anti")
        .group_by("community", "community_size")
        .agg(pl.col("people").sum())
        .filter(pl.col("people") >= min_group_size)
        .with_columns(pl.lit(OTHER).alias("grp"))
        .select(mix.columns)
    )
    out = (
        pl.concat([cells.select(mix.columns), pooled])
        .with_columns((pl.col("people") / pl.col("community_size")).alias("share"))
        .sort(["community", "people", "grp"], descending=[False, True, False])
        .select("community", "community_size", pl.col("grp").alias(by), "people", "share")
    )
    figures["community_sizes"] = shown.sort("community")["community_size"].to_list()
    return out, left_out, figures


@register("communities", "Louvain communities (seeded) against the formal groups: NMI, sizes, group mix")
def communities_metric(con: duckdb.DuckDBPyConnection, params: MetricParams) -> MetricResult:
    rows, left_out, figures = communities(
        con, by=params.by, start=params.start, end=params.end, min_group_size=params.min_group_size,
        seed=int(params.extra.get("seed") or 1),
    )
    return MetricResult(rows=rows, suppressed_groups=left_out, extra=figures)


# --------------------------------------------------------------------------------------------
# Materialised person-level results


def _network_state(con: duckdb.DuckDBPyConnection) -> str:
    """What the person-level results depend on: the activities (count, last run) and the people."""
    n, run = con.execute("select count(*), coalesce(max(run_id), 0) from activities").fetchone()
    people = con.execute("select count(*), coalesce(max(person_key), 0) from people").fetchone()
    return f"activities={n};run={run};people={people[0]};last_person={people[1]}"


def materialise(con: duckdb.DuckDBPyConnection, seed: int = 1) -> dict:
    """Keep in the store what the network views cannot compute in a page's time.

    Louvain communities and betweenness are properties of the person graph over the whole
    history, not of a group-by attribute, so one computation after each load serves every
    ``--by``: table ``m_person_network`` (``person_key``, ``community``, ``betweenness``; keys
    only, no names) and ``m_network_state`` (what they were computed from, the seed, the
    betweenness sample, the Louvain method and the modularity of its communities).
    :func:`communities` and :func:`bridges` read them for the whole window with the same seed
    when they are fresh, whatever the ``--by``, and compute afresh otherwise, so the figures never
    depend on whether this ran. Run after every load, in the write that refreshes the other bases.

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute("insert into people (person_key, person_id, department) "
    ...                 "select i, 'p' || i, 'Sales' from range(1, 4) t(i)")
    >>> _ = con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, target_key, run_id) "
    ...                 "values (1, 'x', '2026-03-02', 1, 'reply', 2, 1), (2, 'x', '2026-03-02', 2, 'reply', 3, 1)")
    >>> info = materialise(con)
    >>> con.execute("select person_key, community, betweenness from m_person_network order by 1").fetchall()
    [(1, 1, 0.0), (2, 1, 1.0), (3, 1, 0.0)]
    >>> _stored(con, seed=1) is not None
    True
    """
    started = time.perf_counter()
    P = person_graph(con, "organisation")
    labels = louvain_partition(len(P.keys), P.a, P.b, P.weight, seed=seed)
    centrality, info = _person_betweenness(*_csr(len(P.keys), P.a, P.b), len(P.a), None, seed)
    frame = pl.DataFrame(
        {"person_key": P.keys, "community": labels, "betweenness": centrality},
        schema={"person_key": pl.Int32, "community": pl.Int32, "betweenness": pl.Float64},
    )
    con.register("m_person_network_new", frame.to_arrow())
    try:
        con.execute("create or replace table m_person_network as select * from m_person_network_new")
    finally:
        con.unregister("m_person_network_new")
    modularity = _modularity(labels, P.a, P.b, P.weight)
    state = {
        "state": _network_state(con), "seed": str(seed), "sources": str(info["sources"]),
        "exact": str(info["exact"]).lower(), "louvain": LOUVAIN_METHOD,
        "modularity": repr(modularity) if modularity is not None else "nan",
        "seconds": str(round(time.perf_counter() - started, 3)),
    }
    con.execute("create or replace table m_network_state (key varchar primary key, value varchar not null)")
    con.executemany("insert into m_network_state values (?, ?)", list(state.items()))
    return {"people": len(P.keys), "communities": int(labels.max(initial=0)), "betweenness": info,
            "seconds": float(state["seconds"])}


def _stored(con: duckdb.DuckDBPyConnection, seed: int) -> tuple[pl.DataFrame, dict] | None:
    """The materialised person-level results and the facts of ``m_network_state`` when they
    describe the store as it is, with this seed; else None."""
    exists = con.execute(
        "select count(*) from information_schema.tables where table_name in ('m_person_network', 'm_network_state')"
    ).fetchone()[0]
    if exists < 2:
        return None
    state = dict(con.execute("select key, value from m_network_state").fetchall())
    if state.get("state") != _network_state(con) or state.get("seed") != str(seed):
        return None
    frame = con.execute("select person_key, community, betweenness from m_person_network").pl()
    return frame, state


__all__ = [
    "EXTERNAL",
    "OTHER",
    "interaction_graph",
    "group_graph",
    "group_graph_frames",
    "write_group_graph",
    "bridges",
    "person_betweenness",
    "betweenness_sources",
    "name_people",
    "communities",
    "louvain_communities",
    "louvain_partition",
    "person_graph",
    "PersonGraph",
    "normalised_mutual_information",
    "partition_modularity",
    "betweenness_centrality",
    "materialise",
]
