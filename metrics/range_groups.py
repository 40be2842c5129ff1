"""Each person's activity over the whole history in each group they held, kept in the store.

The 90/9/1 split and the personas over the whole history read, for every attribute at once, each
person's activity in each group they held (:func:`metrics.bases.person_range_groups`). A load
keeps that relation per attribution (``as_it_was``, ``today`` below), with what it was built from
in ``m_range_group_state``, and the stored results read it (:func:`kept`) instead of computing it
again:

``m_range_group_<attribution>``
    everyone's rows (one per person, attribute and group held, the columns of
    :func:`~metrics.bases.person_range_groups` without the months), as last built in full;
``m_range_group_<attribution>_people``, ``m_range_group_<attribution>_since``
    the people whose rows changed since, and their rows now, which replace theirs in the first.

A person's rows read their own versions and activity alone (``m_person_day``, ``m_person_period``)
and the range's first and last day, compared with their versions' first and last days: whether a
version falls in the range, whether it covers it whole. So when the loads since the rows were
computed only added activities or usage reports (none gone) and the directory, the attributes
kept, the schema and the bases' version are the same, the rows that change are those of:

- the people the added rows are about: their authors, the people they reply or react to (their
  responses received), the people of the added usage reports; exactly the people whose rows of
  the bases the load computes again (:func:`metrics.materialise.refresh`);
- the people with a version beginning or ending between the range's old and new first day, or
  between its old and new last day: their versions fall in the range, or cover it whole, otherwise.

Those people's rows are computed again, on their own, and put in ``_since`` in place of any they
had there (``mode`` ``update``); every other row is the one a computation over everyone gives. The
rows of everyone are never deleted from one by one (a checkpoint after deletes and inserts in one
table compacts its row groups: it rewrites the table); they are built again, ``_since`` emptied,
once the people since are more than :data:`SINCE_SHARE` of everyone (and
:data:`SINCE_AT_LEAST`). Otherwise (a directory load,
an activity or a usage report gone, other attributes asked for, another version, no table yet)
the attribution's tables are built again in full (``full``). Only on fresh bases: on stale ones
the stored results compute the relation as before.

>>> from ruche.store import connect
>>> from metrics.materialise import refresh
>>> con = connect(":memory:")
>>> _ = con.execute("insert into people (person_key, person_id, department) values (1, 'a', 'Sales'), (2, 'b', 'IT')")
>>> _ = con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) "
...                 "values (1, 'x', '2026-03-02 10:00', 1, 'post', 1)")
>>> _ = refresh(con)
>>> rows, mode = kept(con, ["department", "organisation"], "as-it-was")
>>> mode
'full'
>>> con.execute(f"select person_key, by_attribute, by_group, posts from {rows} order by all").fetchall()
[(1, 'department', 'Sales', 1), (1, 'organisation', 'Organisation', 1), (2, 'department', 'IT', None), (2, 'organisation', 'Organisation', None)]
>>> _ = con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) "
...                 "values (2, 'x', '2026-03-03 09:00', 2, 'reply', 2)")
>>> _ = refresh(con)
>>> kept(con, ["department", "organisation"], "as-it-was") == (rows, "update")
True
>>> con.execute(f"select person_key, by_group, replies from {rows} where by_attribute = 'department' order by all").fetchall()
[(1, 'Sales', 0), (2, 'IT', 1)]
>>> con.execute("select person_key from m_range_group_as_it_was_people").fetchall()
[(2,)]
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import duckdb

from metrics import bases
from metrics._sql import sql
from metrics.population import bounds_sql

#: Bumped whenever the kept tables' rows are made otherwise: a table of another version is built again.
RANGE_GROUPS_VERSION = "1"

#: The tables a load keeps each person's activity in each group in, per attribution (the first of
#: their names: the others end in ``_people`` and ``_since``).
TABLES = {bases.AS_IT_WAS: "m_range_group_as_it_was", bases.TODAY: "m_range_group_today"}

#: Beyond this share of everyone, and this many, the people whose rows changed since the rows of
#: everyone were built are too many: these are built again (the rows since are written again at
#: every load; a small store's cost nothing).
SINCE_SHARE, SINCE_AT_LEAST = 0.25, 10_000

#: What the kept tables were built from, per attribution (``facts``: :func:`_facts`, JSON).
STATE = "m_range_group_state"

#: What says who held which group when, and was employed and internal: the columns of the people
#: their versions read (:func:`metrics.bases.people_versions`; not when a load last saw them) and
#: every column of their history, a digest of every row of each.
DIRECTORY = {"people": "person_key, person_id, employee_id, in_directory, is_external, hired_on, left_on, "
                       "department, team, site, country, level, manager_key, frontline",
             "people_history": "t"}


def _facts(con: duckdb.DuckDBPyConnection, bys: list[str], src: bases.Sources) -> dict:
    """What a kept table is built from: the versions, the schema, the attributes kept, the
    activities and usage reports (their count and last run), a digest of every row of
    :data:`DIRECTORY`, the range's first and last day."""
    act_run, activities = con.execute("select coalesce(max(run_id), 0), count(*) from activities").fetchone()
    snap_run, snapshots = con.execute("select coalesce(max(run_id), 0), count(*) from usage_snapshots").fetchone()
    digest = [con.execute(f"select count(*), coalesce(bit_xor(hash({columns})), 0)::varchar from {table} as t").fetchone()
              for table, columns in DIRECTORY.items()]
    first, last = con.execute(bounds_sql(src.days), {"from_date": None, "to_date": None}).fetchone()
    return {"version": RANGE_GROUPS_VERSION, "bases": bases.BASE_VERSION,
            "schema": con.execute("select max(version) from schema_version").fetchone()[0],
            "bys": sorted(bys), "directory": [list(d) for d in digest],
            "activities_run": act_run, "activities": activities, "snapshots_run": snap_run, "snapshots": snapshots,
            "first_day": first and first.isoformat(), "last_day": last and last.isoformat()}


def _stored(con: duckdb.DuckDBPyConnection, attribution: str) -> dict | None:
    table = TABLES[attribution]
    found = con.execute("select count(*) from information_schema.tables where table_name in ?",
                        [[STATE, table, f"{table}_people", f"{table}_since"]]).fetchone()[0]
    if found < 4:
        return None
    row = con.execute(f"select facts from {STATE} where attribution = ?", [attribution]).fetchone()
    return json.loads(row[0]) if row else None


#: The facts that, changed, leave nothing of a kept table to keep.
_WHOLE = ("version", "bases", "schema", "bys", "directory")


def _updatable(con: duckdb.DuckDBPyConnection, before: dict | None, now: dict) -> bool:
    """Whether the loads since ``before`` only added activities or usage reports, the rest the same."""
    if before is None or any(before[k] != now[k] for k in _WHOLE) or None in (before["first_day"], now["first_day"]):
        return False
    kept = con.execute(
        "select (select count(*) from activities where run_id <= $run), "
        "(select count(*) from usage_snapshots where run_id <= $snap_run)",
        {"run": before["activities_run"], "snap_run": before["snapshots_run"]}).fetchone()
    return kept == (before["activities"], before["snapshots"])


def _moved(column: str, old: str, new: str) -> str:
    """Whether ``column`` lies between the days ``old`` and ``new`` (ISO, from the code), the
    earlier excluded, the later included: where a comparison with a bound moving from one to the
    other changes."""
    low, high = sorted((date.fromisoformat(old), date.fromisoformat(new)))
    return f"({column} > '{low.isoformat()}'::date and {column} <= '{high.isoformat()}'::date)"


def touched_sql(attribution: str, bys: list[str], before: dict, now: dict) -> str:
    """The people whose rows may differ between ``before`` and ``now`` (:func:`_facts` of a store
    that only gained activities or usage reports since): those the added rows are about, and
    those with a version beginning or ending where the range's first or last day moved.
    Bound parameters: ``$run``, ``$snap_run`` (the last runs of ``before``)."""
    ends = " or ".join(_moved(f"v.{column}", before[bound], now[bound])
                       for bound in ("first_day", "last_day") for column in ("valid_from", "valid_to")
                       if before[bound] != now[bound])
    moved = (f" union select v.person_key from {bases.people_versions_of(attribution, bys)} as v where {ends}"
             if ends else "")
    return ("select person_key from activities where run_id > $run "
            "union select target_key from activities where run_id > $run and target_key is not null "
            "union select person_key from usage_snapshots where run_id > $snap_run" + moved)


def rows(attribution: str) -> str:
    """The relation of the rows kept under ``attribution``: everyone's as last built, those of the
    people since replaced by theirs now."""
    table = TABLES[bases.check_attribution(attribution)]
    return (f"(select * from {table} anti join {table}_people using (person_key) "
            f"union all by name select * from {table}_since)")


def kept(con: duckdb.DuckDBPyConnection, bys: list[str], attribution: str) -> tuple[str, str] | None:
    """The relation of :func:`metrics.bases.person_range_groups` of ``bys`` (allow-listed) under
    ``attribution`` over the whole history, kept in the store (:func:`rows`) and brought up to
    date first, and how: ``update`` (the people the loads since touched computed again: see the
    module), ``full`` (built again) or ``kept`` (nothing changed); None on stale bases (nothing
    kept: the caller computes the relation). Writes, in the caller's transaction (the refresh's)."""
    table = TABLES[bases.check_attribution(attribution)]
    src = bases.sources(con, "month", None, None)
    if not src.materialised:
        return None
    now = _facts(con, bys, src)
    before = _stored(con, attribution)
    params = {"from_date": None, "to_date": None}
    mode = "kept" if before == now else "update" if _updatable(con, before, now) else "full"
    if mode == "update":
        con.execute(f"create or replace temp table m_range_touched as {touched_sql(attribution, bys, before, now)}",
                    {"run": before["activities_run"], "snap_run": before["snapshots_run"]})
        con.execute(f"create or replace table {table}_people as select person_key from {table}_people "
                    "union select person_key from m_range_touched")
        since, everyone = con.execute(f"select (select count(*) from {table}_people), "
                                      "(select count(*) from people)").fetchone()
        if since > max(SINCE_SHARE * everyone, SINCE_AT_LEAST):
            mode = "full"
        else:
            # their sums over the range summed from their rows alone (as metrics.bases.sources
            # sums everyone's, over the whole history on fresh bases)
            sums = f"(select * from {bases._range_sums(None, None)} semi join m_range_touched using (person_key))"
            theirs = replace(src, person_range="(" + sql("person_range").format(person_period=sums) + ")")
            con.execute(f"create or replace table {table}_since as "
                        f"select * from {table}_since anti join m_range_touched using (person_key) union all by name "
                        f"select * from {bases.person_range_groups(theirs, bys, attribution, people='m_range_touched')}",
                        params)
        con.execute("drop table m_range_touched")
    if mode == "full":
        con.execute(f"create or replace table {table} as select * from "
                    f"{bases.person_range_groups(src, bys, attribution)}", params)
        con.execute(f"create or replace table {table}_people (person_key integer not null)")
        con.execute(f"create or replace table {table}_since as select * from {table} limit 0")
    if mode != "kept":
        con.execute(f"create table if not exists {STATE} (attribution varchar not null, facts varchar not null)")
        con.execute(f"delete from {STATE} where attribution = ?", [attribution])
        con.execute(f"insert into {STATE} values (?, ?)", [attribution, json.dumps(now)])
    return rows(attribution), mode
