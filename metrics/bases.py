"""The base relations every metric reads: the stored bases when they describe the store, the same
SQL computed on the fly otherwise.

A metric asks :func:`sources` for the relations to read over a range and grain; :func:`is_fresh`
says whether the stored ``m_*`` tables (built by :mod:`metrics.materialise`) describe exactly the
activities and usage reports in the store. On a store never materialised, or changed since, the
relations are the SQL the bases are built from, so a figure never depends on whether the bases
were refreshed.

This module is part of the definitions: it knows the shape of the bases and how to read them, and
nothing about building them. :mod:`metrics.materialise` builds the stored tables from the SQL
defined here (:func:`_person_period_sql`, :func:`_threads`, :func:`_thread_starts_sql`) and
records :data:`BASE_VERSION`; it imports this module, never the reverse.

>>> from ruche.store import connect
>>> con = connect(":memory:")
>>> _ = con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) "
...                 "values (1, 'x', '2026-03-02 10:00', 1, 'post', 1), (2, 'x', '2026-03-02 11:00', 1, 'read', 1)")
>>> is_fresh(con), reads_known(con), last_day(con)
(False, True, datetime.date(2026, 3, 2))
>>> src = sources(con, "month", None, None)
>>> src.materialised
False
>>> con.execute(f"select period_start, activities from {src.person_period}",
...             {"from_date": None, "to_date": None}).fetchall()
[(datetime.date(2026, 3, 1), 2)]
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import duckdb

from metrics._sql import sql
from metrics.groups import GRAINS, UNKNOWN, grain, group_expression, is_aligned, people_by_attribute, period_start, shift_period
from metrics.population import DATA_DAYS, bounds_sql, days_held
from ruche.i18n import N_

#: Bumped whenever the shape of the bases changes: a store built by another version is rebuilt.
BASE_VERSION = "13"  # 13: the people active and reading per space and month, by their previous month (m_space_month_count); 12: the times to a first reply of each space's threads (m_space_reply_time); 11: the threads of each space counted per day (m_space_thread_count); 9: the posts of each thread and the activities per space and day; 10: the months per space and person, and per person (m_space_month, m_person_month), each person's first activity (m_person_arrival)

@dataclass(frozen=True)
class Sources:
    """SQL relations a metric query reads (fragments made by this module, never user text).

    All of them use the bound parameters ``$from_date`` and ``$to_date``.
    """

    days: str  # a relation with a ``day`` column: the days holding data (for the range bounds)
    person_day: str  # per person and day, cut to the range
    person_period: str  # per person and period of the grain, cut to the range
    person_range: str  # per person, over the whole range
    person_months: str  # rows adding up, per person, to the range, with the ``month`` each falls in (sums only)
    thread_starts: str  # threads started per person and day, all days (metrics/thread_starts.sql)
    space_people: str  # activities per space and person, over the range
    thread_posts: str  # posts per thread, person and day with their first reply (metrics/thread_posts_replied.sql)
    space_thread_posts: str  # the same per space, replies in a space only
    space_days: str  # activities per space, person and day, with the previous day (metrics/space_days.sql)
    space_members: str  # each person's first day in each space (metrics/space_members.sql)
    space_months: str  # the months each person was active and read in each space, as bits (metrics/space_months.sql)
    space_month_counts: str  # the people active and reading per space and month, by their previous month (metrics/space_month_counts.sql)
    arrivals: str  # each person's first activity, ever (metrics/person_arrivals.sql)
    space_totals: str  # contributions per space and day (metrics/space_totals.sql)
    materialised: bool


def _state_now(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    n_act, run_act = con.execute("select count(*), coalesce(max(run_id), 0) from activities").fetchone()
    n_snap, run_snap = con.execute("select count(*), coalesce(max(run_id), 0) from usage_snapshots").fetchone()
    return {"activities": n_act, "activities_run": run_act, "snapshots": n_snap, "snapshots_run": run_snap}


#: The tables :func:`refresh` builds; a store missing one of them is rebuilt.
BASES = ("m_state", "m_person_day", "m_person_period", "m_thread_reply", "m_thread_start", "m_space_person",
         "m_thread_post", "m_space_thread_post", "m_space_day", "m_space_member", "m_space_total", "m_space_month",
         "m_space_month_count", "m_person_month", "m_person_arrival", "m_space_thread_count", "m_space_reply_time")


def _state_stored(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    exists = con.execute(
        "select count(*) from information_schema.tables where table_name in ?", [list(BASES)]
    ).fetchone()[0]
    if exists < len(BASES):
        return None
    values = dict(con.execute("select key, value from m_state").fetchall())
    if values.get("version") != BASE_VERSION:
        return None
    return {k: int(v) for k, v in values.items() if k != "version" and k != "refreshed_at"}


def store_state(con: duckdb.DuckDBPyConnection) -> str:
    """What the store holds, in a few counts: the last load, the activities, the people and their
    history, the usage reports, the schema. Tables derived from all of them (the dashboard's
    results, the group ties) record it and are read only while it holds."""
    row = con.execute(
        """
        select (select coalesce(max(run_id), 0) from ingest_runs),
               (select count(*) from activities), (select count(*) from people),
               (select count(*) from people_history), (select count(*) from usage_snapshots),
               (select max(version) from schema_version)
        """
    ).fetchone()
    return json.dumps(row)


def is_fresh(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the bases describe exactly the activities and usage reports in the store (read once
    within :func:`freshness_held`)."""
    held = _HELD.get(id(con))
    if held is not None:
        return held
    stored = _state_stored(con)
    return stored is not None and stored == _state_now(con)


#: :func:`is_fresh` of the connections within :func:`freshness_held`, by ``id``.
_HELD: dict[int, bool] = {}


@contextmanager
def freshness_held(con: duckdb.DuckDBPyConnection, fresh: bool | None = None,
                   days: dict | None = None) -> Iterator[None]:
    """Within: :func:`is_fresh` of ``con`` read once, and the first and last day of the data
    (:func:`metrics.population.days_held`), for a caller that changes neither the activities, the
    usage reports nor the bases meanwhile (the stored results' computation asks it of every
    metric's :func:`sources`: a few hundredths of a second each). ``fresh`` and ``days``: what the
    caller knows of a store that does not change at all (the dashboard, once per published store:
    :func:`metrics.population.days_held`)."""
    if id(con) in _HELD:
        yield
        return
    _HELD[id(con)] = is_fresh(con) if fresh is None else fresh
    try:
        with days_held(con, days):
            yield
    finally:
        _HELD.pop(id(con), None)



NO_PREVIOUS = (
    "(select null::integer as person_key, null::date as period_start, null::boolean as active, "
    "null::integer as posts, null::integer as replies, null::boolean as read where false)"
)


#: How a metric puts people in groups (the ``attribution`` setting): each activity in the groups
#: its author held on its day, each period's headcount in the groups held during it (the default);
#: or everything in the groups people hold now (a restated view: "as today's organisation").
AS_IT_WAS = "as-it-was"
TODAY = "today"
ATTRIBUTIONS = (AS_IT_WAS, TODAY)
#: How a figure's covers line names the attribution it used.
ATTRIBUTION_WORDS = {AS_IT_WAS: N_("organisation as it was on each day"), TODAY: N_("today's organisation")}


#: The measures whose groups follow the attribution asked for; every other one puts people in
#: the groups they hold now, and says so (``extra['attribution']``). The network measures count
#: each tie in the groups both its ends held on its day; those of the person graph (bridges,
#: network-communities) put each person in the group of one day, the graph's last
#: (``extra['groups_as_of']``).
ATTRIBUTED = frozenset({"participation", "leaders", "leadership", "levels", "frontline", "targets",
                        "silos", "group-graph", "bridges", "network-communities", "lifecycle",
                        "responsiveness", "personas", "inequality", "external"})


def check_attribution(attribution: str) -> str:
    if attribution not in ATTRIBUTIONS:
        from metrics.groups import MetricError

        raise MetricError(f"unknown attribution {attribution!r}: choose one of {', '.join(ATTRIBUTIONS)}")
    return attribution


def people_versions(attribution: str = AS_IT_WAS, people: str | None = None) -> str:
    """The relation of people with each version of their attributes (``valid_from`` inclusive,
    ``valid_to`` exclusive; null: open) under ``attribution``: people_history's versions, the first
    extended back and the last forward (:file:`people_versions.sql`), or one open version per
    person, their attributes now (:data:`TODAY`). Every other column is the person's.
    ``people``: a relation of ``person_key`` (from the code): the versions of those people only
    (a person's versions read their own rows alone)."""
    person = "people" if people is None else f"(select * from people semi join {people} using (person_key))"
    if check_attribution(attribution) == TODAY:
        return ("(select person_key, person_id, employee_id, in_directory, is_external, hired_on, left_on, "
                "null::date as valid_from, null::date as valid_to, department, team, site, country, level, "
                f"manager_key, frontline from {person})")
    text = sql("people_versions")
    if people is not None:
        # the file's text unchanged otherwise: the kept stays are named by the text of their query
        # (metrics.participation.shared_stays), which holds it
        for table, alias in (("people_history", "h"), ("people", "p")):
            read = f"from {table} as {alias}\n"
            if text.count(read) != 1:
                raise ValueError(f"people_versions.sql reads {table} otherwise than once as {alias}")
            text = text.replace(read, f"from (select * from {table} semi join {people} using (person_key)) as {alias}\n")
    return "(" + text + ")"


def people_versions_of(attribution: str, bys: Iterable[str], reads: bool = False, people: str | None = None) -> str:
    """:func:`people_versions` under ``attribution`` for groups of the attributes ``bys``: one open
    version per person, their attributes now, when the groups read no attribute of a version (the
    whole organisation alone, and ``reads`` false: the measure reads none either). A person's
    versions follow one another with no day between them (the first extended back, the last
    forward), all in the one group: the same rows as under ``attribution``, without splitting
    anyone's days between versions. ``people``: as :func:`people_versions`.

    >>> people_versions_of(AS_IT_WAS, ["organisation"]) == people_versions(TODAY)
    True
    >>> people_versions_of(AS_IT_WAS, ["organisation", "site"]) == people_versions(AS_IT_WAS)
    True
    """
    if reads or set(bys) - {"organisation"}:
        return people_versions(attribution, people)
    return people_versions(TODAY, people)


def people_as_of(day: date | None, attribution: str = AS_IT_WAS) -> str:
    """The relation of :func:`people_versions` with one open version per person (``valid_from``
    and ``valid_to`` null): the attributes each person held on ``day`` (the last version begun on
    or before it; the first one, extended back, before any), or, with :data:`TODAY` or no day, the
    ones they hold now. What puts each node of a person graph in one group: the groups of the
    graph's "as of" day."""
    if check_attribution(attribution) == TODAY or day is None:
        return people_versions(TODAY)
    return ("(select * replace (null::date as valid_from, null::date as valid_to) "
            f"from {people_versions(AS_IT_WAS)} as v "
            f"where v.valid_from is null or v.valid_from <= date '{day.isoformat()}' "
            "qualify row_number() over (partition by v.person_key order by v.valid_from desc nulls last) = 1)")


def person_range_groups(src: Sources, bys: list[str], attribution: str = AS_IT_WAS, months: bool = False,
                        people: str | None = None) -> str:
    """The relation of each person's activity over the range of ``src`` in each group of each
    attribute of ``bys`` (allow-listed) they held during it (:file:`person_range_groups.sql`):
    ``person_key``, ``by_attribute``, ``by_group``, ``is_external``, ``hired_on``, ``left_on``
    and, null without activity there, ``activities``, ``contributions``, ``posts``, ``replies``,
    ``reactions``, ``received``, ``active``, ``months_contributed`` (with ``months``: the
    distinct months of the range they contributed in while holding the group; else 0).
    Under :data:`TODAY`, one row per person and attribute, their groups now, their whole range.
    ``people``: a relation of ``person_key`` (from the code): the rows of those people only, each
    one's rows the same as among everyone's (a person's rows read their own versions and activity
    alone, and the range's bounds, read whole)."""
    no_months = "(select null::integer as person_key, null::date as month, 0 as posts, 0 as replies where false)"
    versions, person_range = people_versions_of(attribution, bys, people=people), src.person_range
    person_months, person_day = src.person_months if months else no_months, src.person_day
    if people is not None:  # (the months read whole: whether any is asked for is the range's)
        person_range, person_day = (f"(select * from {relation} semi join {people} using (person_key))"
                                    for relation in (person_range, person_day))
    return "(" + sql("person_range_groups").format(
        bounds=bounds_sql(src.days), versions=versions,
        whole_groups=people_by_attribute(bys, "whole_held"), partial_groups=people_by_attribute(bys, "partial_held"),
        person_range=person_range, person_months=person_months,
        person_day=person_day, covers=GRAINS["month"].covers) + ")"


def range_contributors_slots(src: Sources, by: str, attribution: str = AS_IT_WAS,
                             kept: KeptVersions | None = None) -> dict[str, str]:
    """The template slots of :file:`range_contributors.sql` over the range of ``src`` by ``by``
    (allow-listed) and the organisation, people in groups under ``attribution`` as
    :func:`person_range_groups` puts them; with ``kept`` (:func:`keep_versions` of the same
    attribution, on fresh bases), the versions and the days of the people who hold more than one
    read from the tables it keeps."""
    versions, person_day = people_versions(attribution), src.person_day
    if kept is not None:
        if kept.attribution != attribution or not src.materialised:
            raise ValueError(f"kept versions of {kept.attribution!r} read for {attribution!r}")
        versions = kept.versions
        person_day = src.person_day.replace("m_person_day", kept.days, 1)
    return dict(
        bounds=bounds_sql(src.days), versions=versions, by=by,
        by_group=f"coalesce(cast({group_expression(by)} as varchar), '{UNKNOWN}')",
        organisation_group=f"coalesce(cast({group_expression('organisation')} as varchar), '{UNKNOWN}')",
        organisation="true" if by == "organisation" else "false", person_range=src.person_range,
        person_day=person_day, covers=str(GRAINS["month"].covers))


@dataclass(frozen=True)
class KeptVersions:
    """The tables :func:`keep_versions` made: names of relations (from the code, never user text)."""

    attribution: str
    versions: str  # people_versions(attribution), the columns a range's groups read
    days: str  # the rows of m_person_day of the people holding more than one version


#: The columns of :func:`people_versions` that :file:`range_contributors.sql` reads: the person's
#: own and every attribute a group may follow (:data:`metrics.groups.GROUP_ATTRIBUTES`).
KEPT_COLUMNS = ("person_key", "is_external", "hired_on", "left_on", "valid_from", "valid_to",
                "department", "team", "site", "country", "level", "frontline")


def keep_versions(con: duckdb.DuckDBPyConnection, attribution: str, database: str, prefix: str) -> KeptVersions:
    """Keep in ``database`` (a writable one beside a store that does not change: the dashboard's
    in-memory database, once per published store) what every range of :file:`range_contributors.sql`
    reads of the people under ``attribution`` whatever the range: each person's versions
    (:func:`people_versions`, a window over the directory's history) and the days of
    ``m_person_day`` of those holding more than one (the only ones a range may hold a version of
    in part: a single version is open at both ends). Tables ``<database>.main.<prefix>_versions``
    and ``..._days`` (``prefix``: from the code), the days in the base's order (by day: a range
    reads its own). The bases must be fresh (:func:`is_fresh`): the days are theirs.

    >>> from ruche.store import connect
    >>> from metrics.materialise import refresh
    >>> con = connect(":memory:")
    >>> _ = con.execute("insert into people (person_key, person_id, is_external, department) values "
    ...                 "(1, 'a', false, 'Sales'), (2, 'b', false, 'Legal')")
    >>> _ = con.execute("insert into people_history (person_key, valid_from, valid_to, department) values "
    ...                 "(1, '2026-01-01', '2026-03-01', 'Ops'), (1, '2026-03-01', null, 'Sales')")
    >>> _ = con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) "
    ...                 "values (1, 'x', '2026-03-02', 1, 'post', 1), (2, 'x', '2026-03-02', 2, 'post', 1)")
    >>> _ = refresh(con)
    >>> kept = keep_versions(con, AS_IT_WAS, "memory", "kept")
    >>> con.execute(f"select person_key, valid_from, department from {kept.versions} order by all").fetchall()
    [(1, datetime.date(2026, 3, 1), 'Sales'), (1, None, 'Ops'), (2, None, 'Legal')]
    >>> con.execute(f"select person_key, day, posts from {kept.days}").fetchall()   # person 2 never moved
    [(1, datetime.date(2026, 3, 2), 1)]
    """
    check_attribution(attribution)
    versions, days = f"{database}.main.{prefix}_versions", f"{database}.main.{prefix}_days"
    con.execute(f"create or replace table {versions} as select {', '.join(KEPT_COLUMNS)} "
                f"from {people_versions(attribution)}")
    con.execute(sql("kept_days").format(days=days, versions=versions))
    return KeptVersions(attribution, versions, days)


#: The attributes of a person's versions (people_history) a measure's groups may read.
VERSIONED = ("department", "team", "site", "country", "level", "manager_key", "frontline")
#: The attributes a measure reads besides those of its groups: the leaders' levels, the frontline.
READS = {"leaders": ("level",), "leadership": ("level",), "levels": ("level",), "frontline": ("frontline",)}


def restated_attributes(con: duckdb.DuckDBPyConnection) -> frozenset[str]:
    """The attributes of :data:`VERSIONED` some person held on some day with a value other than
    their value now (:file:`restated_attributes.sql`). A measure that reads none of them
    (:func:`attributes_read`) counts every person in the same groups on every day under both
    attributions, and gives the same figures under both."""
    row = con.execute(sql("restated_attributes")).fetchone()
    return frozenset(name for name, differs in zip(VERSIONED, row) if differs)


def attributes_read(name: str, by: str) -> frozenset[str]:
    """The attributes of :data:`VERSIONED` whose history measure ``name`` by ``by`` reads: the
    group-by's (none for the whole organisation; every one for a group that is not an attribute,
    a leader's organisation by the reporting tree), and the measure's own (:data:`READS`).

    >>> sorted(attributes_read("participation", "organisation")), sorted(attributes_read("leaders", "site"))
    ([], ['level', 'site'])
    >>> attributes_read("participation", "reports_to") == frozenset(VERSIONED)
    True
    """
    if by == "organisation":
        group: tuple[str, ...] = ()
    elif by in VERSIONED:
        group = (by,)
    else:
        group = VERSIONED
    return frozenset(group) | frozenset(READS.get(name, ()))


#: The measures of the person graph: each person in the groups of one day as it was, the day their
#: result names (``groups_as_of``); none under today's organisation.
PERSON_GRAPH_GROUPS = frozenset({"bridges", "network-communities"})
#: The measures whose result under one attribution is the other's, said of it
#: (:func:`restated_as`), when nobody's attributes it reads ever changed (:func:`attributes_read`,
#: :func:`restated_attributes`): each measure that follows the attribution, named here once shown
#: to read no other attribute than :func:`attributes_read` says (``tests/test_attribution_restated.py``);
#: those of the person graph from as it was to today's only (:func:`restatable`).
RESTATABLE = frozenset({"participation", "leaders", "leadership", "levels", "frontline", "targets", "silos", "group-graph",
                        "bridges", "network-communities", "lifecycle", "responsiveness", "personas", "inequality",
                        "external"})


def restatable(name: str, attribution: str) -> bool:
    """Whether measure ``name`` under ``attribution`` may be the other attribution's result, said
    of it (:func:`restated_as`): a measure of the person graph only under today's organisation
    (as it was, its result names a day, which today's does not know).

    >>> restatable("participation", AS_IT_WAS), restatable("bridges", TODAY), restatable("bridges", AS_IT_WAS)
    (True, True, False)
    """
    return name in RESTATABLE and (name not in PERSON_GRAPH_GROUPS or check_attribution(attribution) == TODAY)


def restated_as(result, attribution: str):
    """``result`` (a :class:`metrics.measure.MetricResult` of a measure of :data:`RESTATABLE`)
    said of ``attribution``: the same rows, its ``extra['attribution']`` (where it says one)
    ``attribution``. Only where the measure reads no attribute whose history differs from today
    (:func:`attributes_read`, :func:`restated_attributes`): the figures are then those of either
    attribution."""
    extra = result.extra
    if "attribution" in extra:
        extra = {**extra, "attribution": check_attribution(attribution)}
    if attribution == TODAY and "groups_as_of" in extra:  # the person graph's day, none today
        extra = {key: value for key, value in extra.items() if key != "groups_as_of"}
    return replace(result, extra=extra)


def attribution_extra(attribution: str) -> dict:
    """What a query's ``extra`` holds for ``attribution``: nothing for the default (so that the
    results a load stored answer it), ``{"attribution": "today"}`` for the restated view."""
    return {} if check_attribution(attribution) == AS_IT_WAS else {"attribution": attribution}


def attribution_of(params) -> str:
    """The attribution a metric's parameters ask for (``extra['attribution']``; default: as it was)."""
    return check_attribution(params.extra.get("attribution", AS_IT_WAS))


def _person_period_sql(person_day: str, grain_name: str, previous: str = NO_PREVIOUS) -> str:
    g = GRAINS[grain_name]
    return sql("person_period").format(person_day=person_day, trunc=g.trunc, step=g.step, covers=g.covers,
                                       previous=previous)



def _threads(name: str, activities: str) -> str:
    """The posts (``name`` 'posts') or first replies ('replies') per thread and person of ``activities``."""
    return "(" + sql(f"thread_{name}").format(activities=activities) + ")"


def _thread_starts_sql(posts: str, repliers: str) -> str:
    return sql("thread_starts").format(posts=posts, repliers=repliers)


def _thread_posts_sql(activities: str, per_space: bool) -> str:
    """The posts of each thread with their first reply (:file:`thread_posts_replied.sql`) read
    from ``activities``: per space (the communities') or not (responsiveness's)."""
    return sql("thread_posts_replied").format(activities=activities, space="space_key," if per_space else "",
                                              spaced="and space_key is not null" if per_space else "")


def _space_days_sql(activities: str) -> str:
    return sql("space_days").format(activities=activities)


def _space_members_sql(space_days: str) -> str:
    return sql("space_members").format(space_days=space_days)


def _person_arrivals_sql(activities: str) -> str:
    return sql("person_arrivals").format(activities=activities)


def _person_months_sql(person_period: str) -> str:
    return sql("person_months").format(person_period=person_period)


def _space_months_sql(space_days: str) -> str:
    return sql("space_months").format(space_days=space_days)


def space_month_counts_sql(space_months: str) -> str:
    """The people active and reading per space and month, by their previous month in the space,
    counted from ``space_months`` (:file:`space_months.sql`'s rows, all or some)."""
    return sql("space_month_counts").format(space_months=space_months)


def _space_totals_sql(space_days: str) -> str:
    return sql("space_totals").format(space_days=space_days)


#: The hours within which a first reply is quick in the threads' counts a load stores
#: (``m_space_thread_count``: the communities' default ``fast_hours``).
STORED_FAST_HOURS = 24.0


def space_thread_counts_sql(space_thread_posts: str) -> str:
    """The threads of each space counted per day (:file:`space_thread_counts.sql`) from the posts
    of ``space_thread_posts``; bound parameter ``$fast_hours``."""
    return sql("space_thread_counts").format(space_thread_posts=space_thread_posts)


def space_reply_times_sql(space_thread_posts: str) -> str:
    """The times to a first reply of each space's threads (:file:`space_reply_times.sql`), the
    answered posts of ``space_thread_posts``."""
    return sql("space_reply_times").format(space_thread_posts=space_thread_posts)



def reads_known(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether any source reports reads: a usage report, or ``read`` activities.

    Without reads, a person who only reads is indistinguishable from an inactive one.
    """
    return any(
        con.execute(f"select exists (select 1 from {relation})").fetchone()[0]
        for relation in ("usage_snapshots", "activities where kind = 'read'")
    )


def sources(con: duckdb.DuckDBPyConnection, grain_name: str, start: date | None, end: date | None) -> Sources:
    """The relations a metric over ``start``..``end`` (inclusive; None: open) by ``grain_name`` reads.

    The materialised tables are used when they are fresh; per-period ones only when the range
    covers whole periods (else the periods are re-aggregated from the days of the range).
    """
    grain(grain_name)
    fresh = is_fresh(con)
    if fresh:
        days = "m_person_day"
        person_day = (
            "(select * from m_person_day where ($from_date::date is null or day >= $from_date::date)"
            " and ($to_date::date is null or day <= $to_date::date))"
        )
    else:
        days = DATA_DAYS
        person_day = f"({sql('person_day')})"

    def per_period(g: str) -> str:
        """The relation of grain ``g``: the base's rows when the range holds whole periods."""
        if not fresh or not is_aligned(g, start, end):
            return f"({_person_period_sql(person_day, g)})"
        return (
            f"(select * exclude (grain) from m_person_period where grain = '{g}'"
            " and ($from_date::date is null or period_start >= $from_date::date)"
            " and ($to_date::date is null or period_start <= $to_date::date))"
        )

    # sums over the range: the fewest rows of the bases that add up to it (every column of the
    # bases adds up over periods); computed from the activities when the bases are stale
    rows = _range_sums(start, end, person_day=None if fresh else person_day)
    person_range = "(" + sql("person_range").format(person_period=rows) + ")"
    if fresh and start is None and end is None:
        # only over the whole history: a person's activity in a space is not kept per day
        space_people = "(select * from m_space_person where $from_date::date is null and $to_date::date is null)"
    else:
        space_people = "(" + sql("space_people").format(activities="activities") + ")"
    space_days = "m_space_day" if fresh else f"({_space_days_sql('activities')})"
    return Sources(
        days=days,
        person_day=person_day,
        person_period=per_period(grain_name),
        person_range=person_range,
        person_months=_range_sums(start, end, months_only=True, person_day=None if fresh else person_day),
        thread_starts="m_thread_start" if fresh else (
            "(" + _thread_starts_sql(_threads("posts", "activities"), _threads("replies", "activities")) + ")"
        ),
        space_people=space_people,
        thread_posts="m_thread_post" if fresh else f"({_thread_posts_sql('activities', False)})",
        space_thread_posts="m_space_thread_post" if fresh else f"({_thread_posts_sql('activities', True)})",
        space_days=space_days,
        space_members="m_space_member" if fresh else f"({_space_members_sql(space_days)})",
        space_months="m_space_month" if fresh else f"({_space_months_sql(space_days)})",
        space_month_counts="m_space_month_count" if fresh else f"({space_month_counts_sql(f'({_space_months_sql(space_days)})')})",
        arrivals="m_person_arrival" if fresh else f"({_person_arrivals_sql('activities')})",
        space_totals="m_space_total" if fresh else f"({_space_totals_sql(space_days)})",
        materialised=fresh,
    )


def last_day(con: duckdb.DuckDBPyConnection) -> date | None:
    """The last day holding data (activities or usage reports), None on an empty store: where a
    figure "as of the end of the data" stands."""
    return con.execute(f"select max(day) from {sources(con, 'month', None, None).days}").fetchone()[0]


_SUMMED = "activities, posts, replies, reactions, received, replies_received, active, active_days, last_contribution"


def range_spans(start: date | None, end: date | None, months_only: bool = False) -> dict[str, list[tuple[date, date]]]:
    """The spans (from inclusive, to exclusive) of ``day``, ``month`` and ``quarter`` whose rows
    add up to the range ``start``..``end`` (None: open) in :func:`_range_sums`: its whole quarters,
    the whole months around them, the days at its ends (``months_only``: no quarters).

    >>> spans = range_spans(date(2026, 3, 20), date(2026, 10, 31))
    >>> [(g, [(a.isoformat(), b.isoformat()) for a, b in v]) for g, v in spans.items()]   # doctest: +NORMALIZE_WHITESPACE
    [('day', [('2026-03-20', '2026-04-01'), ('2026-11-01', '2026-11-01')]),
     ('quarter', [('2026-04-01', '2026-10-01')]), ('month', [('2026-04-01', '2026-04-01'), ('2026-10-01', '2026-11-01')])]
    """
    start = start or date(1, 1, 1)
    after = (end or date(9999, 11, 30)) + timedelta(days=1)
    first_month = start if start.day == 1 else shift_period("month", period_start("month", start), 1)
    last_month = period_start("month", after)  # the months are [first_month, last_month)
    first_quarter = (first_month if period_start("quarter", first_month) == first_month
                     else shift_period("quarter", period_start("quarter", first_month), 1))
    last_quarter = period_start("quarter", last_month)
    if first_month >= last_month:
        return {"day": [(start, after)], "month": [], "quarter": []}
    if months_only or first_quarter >= last_quarter:
        return {"day": [(start, first_month), (last_month, after)], "month": [(first_month, last_month)], "quarter": []}
    return {"day": [(start, first_month), (last_month, after)], "quarter": [(first_quarter, last_quarter)],
            "month": [(first_month, first_quarter), (last_quarter, last_month)]}


def month_number(day: date) -> int:
    """A month's number (``year * 12 + month - 1``), as the bits of the stored months count them."""
    return day.year * 12 + day.month - 1


def bits_parameters(start: date | None, end: date | None) -> dict:
    """The bound parameters of :file:`person_range_bits.sql` for ``start``..``end``: the numbers of
    the whole months and of the first and last months of the whole quarters, the days at the ends,
    as :func:`range_spans` cuts the range, and the first day of the month after its first day (the
    days at the ends lie in two months at most, one on either side of it).

    >>> p = bits_parameters(date(2026, 3, 20), date(2026, 10, 31))
    >>> p["first_month"], p["last_month"], p["first_quarter"], p["last_quarter"]
    (24315, 24321, 24315, 24320)
    >>> p["days_from"].isoformat(), p["days_to"].isoformat(), p["more_days_from"] == p["more_days_to"]
    ('2026-03-20', '2026-04-01', True)
    >>> p["second_month"].isoformat()   # the days at the ends fall before it (March) or in one month after
    '2026-04-01'
    """
    spans = range_spans(start, end)
    months = spans["quarter"] + spans["month"]
    months = [(a, b) for a, b in months if a < b]
    days = spans["day"] + [(spans["day"][0][0], spans["day"][0][0])] * (2 - len(spans["day"]))
    out = {"first_month": 1, "last_month": 0, "first_quarter": 1, "last_quarter": 0,
           "days_from": days[0][0], "days_to": days[0][1], "more_days_from": days[1][0], "more_days_to": days[1][1],
           "second_month": shift_period("month", period_start("month", days[0][0]), 1)}
    if months:
        out["first_month"] = month_number(min(a for a, _ in months))
        out["last_month"] = month_number(max(b for _, b in months)) - 1
    if spans["quarter"]:
        (a, b), = spans["quarter"]
        out["first_quarter"], out["last_quarter"] = month_number(a), month_number(b) - 1
    return out


def person_bits_groups(src: Sources, bys: list[str], attribution: str = AS_IT_WAS) -> str:
    """:func:`person_range_groups` with the months, the columns the onboarding funnel reads, from
    the bits of the months and quarters each person was active, reacted and contributed in
    (:file:`person_range_bits.sql`; bound parameters: :func:`bits_parameters`). Only when the
    bases are fresh (``src.materialised``)."""
    return "(" + sql("person_range_bits").format(
        bounds=bounds_sql(src.days), people=people_by_attribute(bys, people_versions_of(attribution, bys)),
        person_bits="m_person_month", person_day=src.person_day, covers=GRAINS["month"].covers,
        end_days=sql("funnel_end_days").format(person_day=src.person_day)) + ")"


def week_spans(day_spans: list[tuple[date, date]]) -> tuple[list[tuple[date, date]], list[tuple[date, date]]]:
    """The whole weeks (Monday to Sunday) inside ``day_spans`` (from inclusive, to exclusive), each
    within one month, and the days around them: ``(weeks, days)``, spans that together cover
    ``day_spans`` exactly.

    >>> weeks, days = week_spans([(date(2026, 3, 20), date(2026, 4, 11))])
    >>> [(a.isoformat(), b.isoformat()) for a, b in weeks]
    [('2026-03-23', '2026-03-30')]
    >>> [(a.isoformat(), b.isoformat()) for a, b in days]
    [('2026-03-20', '2026-03-23'), ('2026-03-30', '2026-04-01'), ('2026-04-01', '2026-04-11')]
    """
    weeks, days = [], []
    for a, b in day_spans:
        while a < b:
            piece_end = min(b, shift_period("month", period_start("month", a), 1))
            monday = a + timedelta(days=(7 - a.weekday()) % 7)
            whole = max(0, (piece_end - monday).days // 7)
            if whole:
                weeks.append((monday, monday + timedelta(days=7 * whole)))
                days += [(a, monday), (monday + timedelta(days=7 * whole), piece_end)]
            else:
                days.append((a, piece_end))
            a = piece_end
    return weeks, [d for d in days if d[0] < d[1]]


def _range_sums(start: date | None, end: date | None, months_only: bool = False,
                person_day: str | None = None) -> str:
    """Rows that add up, per person, to the range ``start``..``end`` (None: open), the fewest the
    bases hold: the whole quarters inside it, the whole months around them, the whole weeks of the
    days at its ends (each within one month) and the days left (each a period of one day). With
    ``months_only``, no quarters, and each row with the ``month`` it falls in (the months a person
    contributed in). Only for sums (:file:`person_range.sql`, :file:`champions.sql`): no
    ``active_before``. A week's days are active as a day is (an activity, or a usage report
    vouching for one of them, whatever its window: ``active_days`` or ``usage_active``), so that
    its row says what its days say. The dates are literals, so that DuckDB skips the row groups
    outside them; the bound parameters are referenced as every metric query passes them.

    ``person_day``: when the bases are stale, the days counted from the activities
    (:file:`person_day.sql`), their quarters, months and weeks aggregated from them: the same rows,
    so that a usage report of a 90-day window vouches for a whole quarter of the range whether the
    bases are fresh or not."""
    spans = range_spans(start, end, months_only)
    weeks, days = week_spans(spans["day"])

    def within(column: str, grain_spans: list[tuple[date, date]]) -> str:
        return " or ".join(f"({column} >= '{a.isoformat()}'::date and {column} < '{b.isoformat()}'::date)"
                           for a, b in grain_spans if a < b) or "false"

    def periods(g: str) -> str:
        if person_day is None:
            return f"m_person_period where grain = '{g}' and"
        return f"({_person_period_sql(person_day, g)}) where"

    month = "period_start as month, " if months_only else ""
    parts = [
        f"select person_key, {month}{_SUMMED} from {periods(g)} ({within('period_start', spans[g])})"
        for g in ("quarter", "month") if spans[g]
    ]
    if weeks:
        parts.append(
            "select person_key, " + ("date_trunc('month', period_start)::date as month, " if months_only else "")
            + "activities, posts, replies, reactions, received, replies_received, active_days > 0 or usage_active as active, "
            f"active_days, last_contribution from {periods('week')} ({within('period_start', weeks)})"
        )
    parts.append(
        "select person_key, " + ("date_trunc('month', day)::date as month, " if months_only else "")
        + "activities, posts, replies, reactions, received, replies_received, active, "
        "dated_active::integer as active_days, case when posts + replies > 0 then day end as last_contribution "
        f"from {person_day or 'm_person_day'} where ({within('day', days)})"
        " and ($from_date::date is null or day >= $from_date::date) and ($to_date::date is null or day <= $to_date::date)"
    )
    return "(" + " union all ".join(parts) + ")"
