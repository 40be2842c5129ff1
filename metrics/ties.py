"""Ties between people and between groups, summed in DuckDB, and the tables that keep them.

Definitions (METRICS.md, "Interactions and silos"): a reply, a mention or a reaction is a
directed tie from its author to its target; self-ties are dropped; the *interaction graph* is
undirected, the weight of {a, b} being the number of interactions between a and b either way
over the window. Ties are always aggregated in DuckDB (``interactions.sql`` and one ``.sql`` per
use, beside this module): :func:`network_query` puts them together, :func:`tie_frame` runs one.

Each tie counts in the groups its two ends held on its day (``people``: the versions of
:func:`metrics.bases.people_versions`, as it was), or, for today's organisation, in the groups
they hold now; the person graph's queries put each person in one group, that of one day
(:func:`metrics.bases.people_as_of`).

The tie weights per pair of groups and day, as it was, are kept in ``m_group_ties`` (with ``m_group_ends``,
``m_external_days`` and ``m_person_pairs``, the pairs of people with a tie over the whole history) by :func:`store_group_ties` after each load;
today's organisation's in ``m_group_ties_today`` and ``m_group_ends_today``, for the attributes
someone held on some day with another value than now (:func:`today_attributes`: for the others,
both attributions put everyone in the same groups on every day). :func:`network_query` reads
them while :func:`group_ties_current` holds, and sums the activities live otherwise, so a figure
never depends on whether the tables were built.
"""

from __future__ import annotations

import json
import time
from datetime import date, timedelta

import duckdb
import polars as pl

from metrics._sql import sql
from metrics.groups import GROUP_ATTRIBUTES, group_expression
from metrics.groups import grain as _grain
from metrics import bases
from metrics.bases import AS_IT_WAS, TODAY, people_versions, store_state
from metrics.population import DATA_DAYS, bounds_sql, data_bounds


#: The ``calendar`` link of a whole window as one period, labelled ``all``.
WHOLE_WINDOW_CALENDAR = (
    "select first_day as period_start, (last_day + interval 1 day)::date as period_end, "
    "'all' as period from bounds where first_day <= last_day"
)

_WHOLE_WINDOW = (WHOLE_WINDOW_CALENDAR, "bounds.first_day")


def per_period_calendar(g) -> tuple[str, str]:
    """The ``calendar`` link of grain ``g`` (:class:`metrics.groups.Grain`) and the period of an activity ``a``."""
    return _per_period(g.trunc, g.step, g.label)


def _per_period(trunc: str, step: str, label: str) -> tuple[str, str]:
    calendar = (
        f"select period_start, (period_start + {step})::date as period_end, {label} as period "
        f"from (select distinct date_trunc('{trunc}', d)::date as period_start "
        f"from bounds, range(first_day, last_day + interval 1 day, interval 1 day) as t(d))"
    )
    return calendar, f"date_trunc('{trunc}', a.occurred_at)::date"


#: The version of a person (``membership`` aliased ``{m}``) that holds on the tie's day (``{t}.day``).
_ON_THE_DAY = ("({m}.valid_from is null or {t}.day >= {m}.valid_from) "
               "and ({m}.valid_to is null or {t}.day < {m}.valid_to)")

#: The directed interactions' weight per pair of groups and period, from the activities: each
#: tie in the groups both its ends held on its day.
_LIVE_GROUP_TIES = (
    "select i.period_start, least(s.grp, t.grp) as grp_a, greatest(s.grp, t.grp) as grp_b, count(*) as weight "
    "from interactions as i "
    "join membership as s on s.person_key = i.source_key and " + _ON_THE_DAY.format(m="s", t="i") + " "
    "join membership as t on t.person_key = i.target_key and " + _ON_THE_DAY.format(m="t", t="i") + " "
    "group by all"
)

#: The tables of the group ties per pair of groups and day, and of each group's totals per month,
#: under each attribution (today's: the attributes of :func:`today_attributes` only).
TIE_TABLES = {AS_IT_WAS: ("m_group_ties", "m_group_ends"), TODAY: ("m_group_ties_today", "m_group_ends_today")}

#: The same from the days of the stored ties (``{ties}``: a table of :data:`TIE_TABLES`;
#: ``{attribute}``, ``{period_of}`` over ``g.day``), one row per day: the queries sum them (summing
#: them per pair first costs as much again).
_STORED_GROUP_TIES = (
    "select {period_of} as period_start, g.grp_a, g.grp_b, g.weight "
    "from {ties} as g, bounds "
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
#: the storage blocks outside it): its whole months from the groups' month totals (``{ends}``:
#: ``m_group_ends`` or today's; ``{full_from}`` to ``{full_to}``, excluded), the days around them
#: from the pairs' (``{ties}``).
_STORED_GROUP_ENDS = (
    "select date '{first}' as period_start, grp, sum(internal_ties) as internal_ties, "
    "sum(external_ties) as external_ties from ("
    "select grp, internal_ties, external_ties from {ends} "
    "where attribute = '{attribute}' and month >= date '{full_from}' and month < date '{full_to}' "
    "union all select " + _ENDS + " from {ties} "
    "where attribute = '{attribute}' and day >= date '{first}' and day <= date '{last}' "
    "and (day < date '{full_from}' or day >= date '{full_to}')"
    ") group by all"
)


#: The people of each group and period, from ``population`` (interactions.sql).
_LIVE_HEADCOUNT = "select period, period_start, grp, count(*) as headcount from population group by all"

#: The same over one whole window (``{first}`` to ``{last}``, literal dates, so that the scans
#: skip the storage blocks outside it and no row is joined to the window): the internal people from
#: the stored group members (``m_group_members``, :func:`store_group_ties`: a row counts when its
#: person's employment and version both touch the window, and once per person and group), the
#: external people active in it (``m_external_days``) as ``population`` counts them. The two never
#: hold the same person: one row per group.
_STORED_HEADCOUNT = (
    "select period, period_start, grp, sum(headcount)::bigint as headcount from ("
    "select c.period, c.period_start, m.grp, m.headcount from calendar as c, ("
    "select grp, count(*) as headcount from m_group_members "
    "where attribution = '{attribution}' and attribute = '{attribute}' and first_day <= date '{last}' "
    "and last_day >= date '{first}' and earlier_last_day < date '{first}' group by grp) as m "
    "union all select c.period, c.period_start, 'External' as grp, x.headcount from calendar as c, ("
    "select count(distinct person_key) as headcount from m_external_days "
    "where day >= date '{first}' and day <= date '{last}') as x where x.headcount > 0"
    ") group by all"
)


#: The pairs of people with a tie (``person_a`` < ``person_b``) in the window, from its interactions.
_LIVE_PAIRS = ("select least(source_key, target_key) as person_a, greatest(source_key, target_key) as person_b "
               "from interactions group by all")

#: The same over the whole history, kept beside the group ties (:func:`store_group_ties`).
_STORED_PAIRS = "select person_a, person_b from m_person_pairs"


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


def data_days(con: duckdb.DuckDBPyConnection) -> str:
    """The relation of the data's days (a ``day`` column) the network queries' ``bounds`` read:
    the bases' when they are current (:func:`metrics.bases.sources`; the same days, read from
    their statistics in a millisecond where the activities take a tenth of a second to scan at
    100,000 people), else :data:`metrics.population.DATA_DAYS`."""
    return bases.sources(con, "month", None, None).days


def window(con: duckdb.DuckDBPyConnection, start: date | None, end: date | None) -> tuple[date, date] | None:
    """The first and last day of a window cut to the data (:func:`metrics.population.data_bounds`),
    as the queries' ``bounds`` take it; None when the store holds no data. The data's days are
    read from the bases when they are current (the same days: a tenth of a second less per range
    of the Network page than the activities scanned at 100,000 people: :func:`data_days`)."""
    first, last = data_bounds(con, start, end, data_days(con))
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
                  stored_ties: bool = False, whole: tuple[date, date] | None = None,
                  keep: bool | str = False, stored_pairs: bool = False, people: str | None = None,
                  days: str = DATA_DAYS) -> str:
    """The text of ``<name>.sql`` preceded by the shared links of ``interactions.sql``.

    ``by`` is checked against the allow-list of group attributes and ``period`` against the
    grains; ``None`` makes the whole window one period labelled ``all``. With ``stored_ties``,
    the tie weights per pair of groups are summed from ``m_group_ties`` (today's organisation:
    ``m_group_ties_today``) and the external people active in each period read from
    ``m_external_days`` (:func:`store_group_ties`; the caller checked that they describe the store
    and, for today's, hold ``by``: :func:`metrics.graph.stored_ties`): the figures the activities
    give, faster. With ``stored_ties`` and no ``period``, ``whole`` (the window's first and last
    day, :func:`window`) has the groups' tie totals summed from ``m_group_ends`` (or today's) by
    whole months (slot ``group_ends``), and their people counted from ``m_group_members`` (slot
    ``headcount``). With ``keep``, the query takes the bound list ``$keep`` and
    reads only the pairs of groups both in it (slot ``keep``); with ``keep="either"``, the pairs of
    which one group at least is in it (a group and its neighbours). With ``stored_pairs``, the pairs
    of people with a tie over the whole history are read from ``m_person_pairs`` (slot
    ``person_pairs``; the caller checked that the group ties are current and the window whole).

    ``people``: the people and the versions of their attributes the groups are read from
    (:func:`metrics.bases.people_versions` of an attribution, the default being as it was; or
    :func:`metrics.bases.people_as_of`, one version per person, for the queries of the person
    graph). The stored tie tables hold the ties as it was, and today's: ``stored_ties`` only with
    the versions of either attribution (:data:`TIE_TABLES`).

    ``days``: the relation of the data's days the window is cut to (:func:`data_days`).
    """
    group_expression(by)  # checks by against the allow-list before it goes into the text
    if period is None:
        calendar, period_of = _WHOLE_WINDOW
        day_of = "bounds.first_day"
    else:
        g = _grain(period)
        calendar, period_of = _per_period(g.trunc, g.step, g.label)
        day_of = f"date_trunc('{g.trunc}', {{day}})::date"
    tables = TIE_TABLES[_attribution_of(people)] if stored_ties else None
    group_ties = (
        _STORED_GROUP_TIES.format(period_of=day_of.format(day="g.day"), attribute=by, ties=tables[0])
        if tables else _LIVE_GROUP_TIES
    )
    active_external = (
        _STORED_ACTIVE_EXTERNAL.format(period_of=day_of.format(day="d.day"))
        if stored_ties else _LIVE_ACTIVE_EXTERNAL.format(period_of=period_of)
    )
    prefix = sql("interactions").format(
        people=people or people_versions(AS_IT_WAS), group_expr=group_expression(by), bounds=bounds_sql(days), calendar=calendar, period_of=period_of,
        pair_ties=group_ties, active_external=active_external,
    )
    group_ends, headcount = _LIVE_GROUP_ENDS, _LIVE_HEADCOUNT
    if tables and period is None and whole is not None:
        full_from, full_to = whole_months(*whole)
        group_ends = _STORED_GROUP_ENDS.format(attribute=by, first=whole[0].isoformat(), last=whole[1].isoformat(),
                                               full_from=full_from.isoformat(), full_to=full_to.isoformat(),
                                               ties=tables[0], ends=tables[1])
        headcount = _STORED_HEADCOUNT.format(attribution=_attribution_of(people), attribute=by,
                                             first=whole[0].isoformat(), last=whole[1].isoformat())
    joined = "or" if keep == "either" else "and"
    kept = (f"where grp_a in (select unnest($keep::varchar[])) {joined} "
            "grp_b in (select unnest($keep::varchar[]))")
    pairs = _STORED_PAIRS if stored_pairs else _LIVE_PAIRS
    return sql(name).format(interactions=prefix, group_ends=group_ends, headcount=headcount, keep=kept if keep else "",
                            person_pairs=pairs)


def _attribution_of(people: str | None) -> str:
    """The attribution whose stored ties count the groups of ``people`` (a relation of
    :func:`metrics.bases.people_versions`; None: as it was). The person graph's people of one day
    have none: the stored ties are never theirs."""
    if people is None or people == people_versions(AS_IT_WAS):
        return AS_IT_WAS
    if people == people_versions(TODAY):
        return TODAY
    raise ValueError("the stored group ties count the organisation as it was on each day, or today's")


#: Version of the tables :func:`store_group_ties` builds: a store whose tables carry another is
#: rebuilt at the next refresh, and read live until then.
GROUP_TIES_VERSION = 8  # 5: each tie in the groups both its ends held on its day; 6: today's organisation's too;
# 7: the group members (m_group_members); 8: their open ends dated within what a page can draw

#: Beyond this many days touched by a load, the group ties are rebuilt rather than updated.
MAX_UPDATED_DAYS = 400


def _group_ties_state(con: duckdb.DuckDBPyConnection) -> str:
    return f"{GROUP_TIES_VERSION} {store_state(con)}"


def _people_digest(con: duckdb.DuckDBPyConnection, max_key: int) -> int:
    """A digest of every group the people up to ``max_key`` belong to (External included), now and
    in each version of their history: it changes when one of them changes group, or when a
    directory load rewrites what they held on some day."""
    groups = ", ".join(f"cast({expr} as varchar)" for expr in GROUP_ATTRIBUTES.values())
    return int(con.execute(
        # each row marked with its table: a person's one version and their row now would cancel out
        f"select coalesce(bit_xor(hash(p.part, p.person_key, p.is_external, p.valid_from, p.valid_to, {groups})), 0) "
        f"from (select *, 'version' as part from {people_versions(AS_IT_WAS)} union all by name "
        "select *, 'now' as part, null::date as valid_from, null::date as valid_to from people) as p "
        "where p.person_key <= ?",
        [max_key]
    ).fetchone()[0])


def _members_digest(con: duckdb.DuckDBPyConnection) -> int:
    """A digest of what ``m_group_members`` is built from: every person's employment and groups,
    now and in each version of their history."""
    groups = ", ".join(f"cast({expr} as varchar)" for expr in GROUP_ATTRIBUTES.values())
    return int(con.execute(
        "select coalesce(bit_xor(hash(p.part, p.person_key, p.is_external, p.hired_on, p.left_on, p.valid_from, "
        f"p.valid_to, {groups})), 0) "
        f"from (select *, 'version' as part from {people_versions(AS_IT_WAS)} union all by name "
        "select *, 'now' as part, null::date as valid_from, null::date as valid_to from people) as p"
    ).fetchone()[0])


def _facts(con: duckdb.DuckDBPyConnection, today: list[str]) -> dict:
    """What the group ties are built from: the activities (their count, last run), the people
    (the last key, the digest of their groups) and the attributes whose ties are kept under
    today's organisation too (``today``: :func:`today_attributes`)."""
    run, n = con.execute("select coalesce(max(run_id), 0), count(*) from activities").fetchone()
    max_key = con.execute("select coalesce(max(person_key), 0) from people").fetchone()[0]
    return {"activities_run": run, "activities": n, "max_person": max_key, "people": _people_digest(con, max_key),
            "today": today}


def today_attributes(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The group attributes whose ties today's organisation counts otherwise than as it was: those
    whose groups read an attribute someone held on some day with another value than now
    (:func:`metrics.bases.restated_attributes`; the whole organisation reads none). For every other,
    both attributions put each person in the same group on every day: the ties as it was are
    today's."""
    restated = bases.restated_attributes(con)
    return [a for a in GROUP_ATTRIBUTES if bases.attributes_read("silos", a) & restated]


def tied_today(con: duckdb.DuckDBPyConnection) -> frozenset[str]:
    """The attributes whose ties the stored tables hold under today's organisation too
    (``m_group_ties_today``), as the last build recorded them; the caller checked that they
    describe the store (:func:`group_ties_current`)."""
    facts = _stored_facts(con)
    return frozenset((facts or {}).get("today", ()))


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


def _days_to_update(con: duckdb.DuckDBPyConnection, today: list[str]) -> list[date] | None:
    """The days of the activities loaded since the group ties were built, when that is all that
    changed (no activity removed, nobody of then in another group, the same attributes kept under
    today's organisation: ``today``); None otherwise."""
    before = _stored_facts(con)
    if before is None or before.get("today") != today:
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

#: Each group's internal and outward tie weight per month, from the rows of ``{ties}`` (a table of
#: :data:`TIE_TABLES`) ``{where}``.
_GROUP_ENDS = (
    "select attribute, date_trunc('month', day)::date as month, grp, sum(internal_ties)::bigint as internal_ties, "
    "sum(external_ties)::bigint as external_ties "
    "from (select attribute, day, " + _ENDS + " from {ties} {where}) "
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
    a few rows where its pairs are hundreds); ``m_external_days``: the days each external person
    did something (the people of the group External); and ``m_person_pairs``: the pairs of people
    with a tie over the whole history (what the boundary spanners' reach counts). Done after a
    load that changed the store; the network queries then sum days instead of joining every
    interaction to its ends' groups again. ``m_group_ties_today`` and ``m_group_ends_today``: the
    same under today's organisation (each tie in the groups both its ends hold now), for the
    attributes of :func:`today_attributes` only (``today``; ``today_rows``). ``m_group_members``:
    the people of each group as a window's headcount counts them (``group_members.sql``), as it
    was for every attribute and under today's organisation for those of ``today``: built whole
    with the rest, and again whenever the people changed (:func:`_members_digest`: a load may add
    people without a tie, or end someone's employment).

    When the store only gained activities since they were built (nobody of then changed group,
    no activity went), only the days of the new activities are computed again, and the months
    holding them (``mode``: ``update``); else everything (``full``).
    """
    started = time.process_time()
    today = today_attributes(con)
    days = _days_to_update(con, today)
    if days is None:
        _build_group_ties(con, today)
    elif days:
        _update_group_ties(con, days, today)
    members = _members_digest(con)
    before = _stored_facts(con)
    if days is None or (before or {}).get("members") != members:
        _build_group_members(con, today)
    facts = {**_facts(con, today), "members": members}
    con.execute("create or replace table m_group_ties_state (state varchar not null, facts varchar not null)")
    con.execute("insert into m_group_ties_state values (?, ?)", [_group_ties_state(con), json.dumps(facts)])
    rows, today_rows = con.execute(
        "select (select count(*) from m_group_ties), (select count(*) from m_group_ties_today)").fetchone()
    return {"mode": "full" if days is None else "update", "days": None if days is None else len(days),
            "rows": rows, "today": today, "today_rows": today_rows,
            "cpu_seconds": round(time.process_time() - started, 1)}


#: The pairs of people (``person_a`` < ``person_b``) of the interactions in m_person_ties_day.
_NEW_PAIRS = ("select distinct least(source_key, target_key) as person_a, greatest(source_key, target_key) "
              "as person_b from m_person_ties_day")


def _insert_group_ties(con: duckdb.DuckDBPyConnection, today: list[str]) -> None:
    """Insert the group ties of every attribute from m_person_ties_day, each tie in the groups both
    its ends held on its day (the versions read once, for every attribute); and of the attributes
    of ``today``, in the groups both hold now."""
    con.execute(f"create or replace temp table m_people_versions as select * from {people_versions(AS_IT_WAS)}")
    try:
        for attribute in GROUP_ATTRIBUTES:
            con.execute(sql("group_ties").format(table=TIE_TABLES[AS_IT_WAS][0], attribute=attribute,
                                                 group_expr=group_expression(attribute), people="m_people_versions"))
    finally:
        con.execute("drop table m_people_versions")
    for attribute in today:
        con.execute(sql("group_ties").format(table=TIE_TABLES[TODAY][0], attribute=attribute,
                                             group_expr=group_expression(attribute), people=people_versions(TODAY)))


#: The stored group members (:func:`_build_group_members`), read for a whole window's headcount.
GROUP_MEMBERS = "m_group_members"


def _build_group_members(con: duckdb.DuckDBPyConnection, today: list[str]) -> None:
    """Build ``m_group_members`` (``group_members.sql``) for every attribute as it was (the versions
    read once), and for the attributes of ``today`` under today's organisation: the groups whose
    stored ties a window reads (:func:`network_query`)."""
    con.execute(
        f"create or replace table {GROUP_MEMBERS} (attribution varchar not null, attribute varchar not null, "
        "grp varchar not null, first_day date not null, last_day date not null, earlier_last_day date not null)"
    )
    con.execute(f"create or replace temp table m_people_versions as select * from {people_versions(AS_IT_WAS)}")
    try:
        for attribution, attributes, people in ((AS_IT_WAS, list(GROUP_ATTRIBUTES), "m_people_versions"),
                                                (TODAY, today, people_versions(TODAY))):
            for attribute in attributes:
                con.execute(sql("group_members").format(table=GROUP_MEMBERS, attribution=attribution,
                                                        attribute=attribute, group_expr=group_expression(attribute),
                                                        people=people))
    finally:
        con.execute("drop table m_people_versions")


def _build_group_ties(con: duckdb.DuckDBPyConnection, today: list[str]) -> None:
    con.execute(_PERSON_TIES_DAY.format(where=""))
    for ties, _ in TIE_TABLES.values():
        con.execute(
            f"create or replace table {ties} (attribute varchar not null, day date not null, "
            "grp_a varchar not null, grp_b varchar not null, weight bigint not null)"
        )
    _insert_group_ties(con, today)
    con.execute(f"create or replace table m_person_pairs as {_NEW_PAIRS} order by person_a, person_b")
    con.execute("drop table m_person_ties_day")
    for ties, ends in TIE_TABLES.values():
        con.execute(f"create or replace table {ends} as " + _GROUP_ENDS.format(ties=ties, where=""))
    con.execute("create or replace table m_external_days as " + _EXTERNAL_DAYS.format(where=""))


def _update_group_ties(con: duckdb.DuckDBPyConnection, days: list[date], today: list[str]) -> None:
    """Compute the group ties of ``days`` again (every activity of those days, old and new; those
    of today's organisation for the attributes of ``today``), and the groups' totals of the months
    holding them. The day bounds are literals, so that the scans skip the storage blocks outside
    them."""
    con.execute("create or replace temp table m_updated_days as select unnest(?::date[]) as day", [days])
    bounds = (f"occurred_at >= date '{days[0].isoformat()}' "
              f"and occurred_at < date '{(days[-1] + timedelta(days=1)).isoformat()}' "
              "and occurred_at::date in (select day from m_updated_days)")
    con.execute(_PERSON_TIES_DAY.format(where="and " + bounds))
    for ties, _ in TIE_TABLES.values():
        con.execute(f"delete from {ties} where day in (select day from m_updated_days)")
    _insert_group_ties(con, today)
    con.execute(f"insert into m_person_pairs select * from ({_NEW_PAIRS}) as n where not exists "
                "(select 1 from m_person_pairs as p where p.person_a = n.person_a and p.person_b = n.person_b)")
    con.execute("drop table m_person_ties_day")
    months = "(select distinct date_trunc('month', day)::date from m_updated_days)"
    for ties, ends in TIE_TABLES.values():
        con.execute(f"delete from {ends} where month in {months}")
        con.execute(f"insert into {ends} " + _GROUP_ENDS.format(
            ties=ties, where=f"where date_trunc('month', day)::date in {months}"))
    con.execute("delete from m_external_days where day in (select day from m_updated_days)")
    con.execute("insert into m_external_days " + _EXTERNAL_DAYS.format(where="where " + bounds.replace("occurred_at", "a.occurred_at")))
    con.execute("drop table m_updated_days")


def tie_frame(
    con: duckdb.DuckDBPyConnection, name: str, by: str, period: str | None, start: date | None, end: date | None,
    stored_pairs: bool = False, people: str | None = None,
) -> pl.DataFrame:
    query = network_query(name, by, period, stored_pairs=stored_pairs, people=people, days=data_days(con))
    return con.execute(query, {"from_date": start, "to_date": end}).pl()
