"""A load refreshes the derived tables for the days and periods it touched only, and they are the
tables a refresh from scratch builds, row for row.

The sample's network (200 people, August to October 2026, with the HR directory) is loaded as a
full export up to 1 October, then as the daily exports Microsoft hands out (metrics'
``tests/test_ingest_viva_incremental.py`` builds them the same way): a plain day, days in a row
through one that lists earlier messages as deleted, a day arriving after a later one, a day
after a directory change, and a generic events file of a day long past. After each load, every
derived table (the bases, the group ties, the person graph's results, the dashboard's stored
results) is compared with the one a refresh of a copy of the store with none of them builds.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import ingest
from metrics.bases import BASES
from metrics import participation, range_groups
from metrics.refresh import network_due, refresh_metrics
from metrics.results import _decode, frame_of
from ruche.config import Settings
from ruche.sample import directory_frame, viva
from ruche.store import writing
from tests.test_ingest_viva_incremental import write_export

END = dt.date(2026, 10, 31)
CUT = dt.date(2026, 10, 1)

ROOT = Path(__file__).resolve().parents[1]

#: The demo's configuration (a roadmap: targets and phases), with the person graph's results
#: computed again at every load, so that the dashboard's results read from them are the ones of a
#: refresh from scratch.
EVERY_LOAD = Settings.load(str(ROOT / "dashboard" / "demo.toml"), env={}, network_refresh_share=0.0)

#: Derived tables that record when they were built (a clock) rather than what.
CLOCKED = {"m_state", "m_network_state"}


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("refresh-periods")
    company, network = viva.sample_network(200, 3, 42, END)
    tables = viva.export_tables(company, network)
    cut = write_export(root / "until", viva.export_window(tables, f"{CUT} 00:00:00"))
    days = {}
    day = CUT
    while day <= END:
        nxt = day + dt.timedelta(days=1)
        days[day] = write_export(root / f"day-{day}", viva.export_window(tables, f"{nxt} 00:00:00", f"{day} 00:00:00"))
        day = nxt
    hr = directory_frame(company)
    hr.write_csv(root / "directory.csv")
    # the directory a month later: the first ten people of Sales moved to Marketing, under the
    # manager of Marketing's first person (the reporting tree changes too)
    moved = hr.filter(pl.col("department") == "Sales").head(10)["email"]
    boss = hr.filter(pl.col("department") == "Marketing")["manager_id"].drop_nulls()[0]
    hr.with_columns(pl.when(pl.col("email").is_in(moved.implode())).then(pl.lit("Marketing"))
                    .otherwise(pl.col("department")).alias("department"),
                    pl.when(pl.col("email").is_in(moved.implode()) & (pl.col("id") != boss)).then(pl.lit(boss))
                    .otherwise(pl.col("manager_id")).alias("manager_id")).write_csv(root / "directory-later.csv")
    emails = hr["email"].to_list()
    (root / "events-march.csv").write_text(
        "id,occurred_at,actor,kind,target,space,thread\n"
        f"e1,2026-08-11T09:00:00Z,{emails[0]},post,,late-space,late-1\n"
        f"e2,2026-08-11T10:00:00Z,{emails[1]},reply,{emails[0]},late-space,late-1\n"
        f"e3,2026-08-11T11:00:00Z,{emails[2]},reaction,{emails[0]},late-space,late-1\n"
        f"e4,2026-08-12T11:00:00Z,{emails[3]},mention,{emails[4]},late-space,late-1\n"
        f"e5,2026-08-12T12:00:00Z,{emails[5]},post,,late-space,late-2\n", encoding="utf-8")
    # the first reply to that last thread, in October: August's responsiveness changes
    (root / "events-answer.csv").write_text(
        "id,occurred_at,actor,kind,target,space,thread\n"
        f"e6,2026-10-03T09:00:00Z,{emails[6]},reply,{emails[5]},late-space,late-2\n", encoding="utf-8")
    return {"root": root, "cut": cut, "days": days, "tables": tables, "hr": root / "directory.csv",
            "hr_later": root / "directory-later.csv", "events": root / "events-march.csv",
            "answer": root / "events-answer.csv"}


def derived(db: Path) -> dict[str, object]:
    """Every derived table of the store: sorted rows; the stored results decoded, by key."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        names = [t for (t,) in con.execute(
            "select table_name from information_schema.tables where table_name like 'm\\_%' escape '\\' "
            "and table_schema = 'main' order by 1").fetchall()]
        out: dict[str, object] = {}
        # each person's activity in each group kept: compared as read (everyone's rows as last
        # built, the people's since replaced by theirs now), not table by table
        kept = {table: attribution for attribution, table in range_groups.TABLES.items() if table in names}
        for name in names:
            if name in CLOCKED or name.removesuffix("_people").removesuffix("_since") in kept:
                continue
            if name == "m_results":
                out[name] = {
                    key: (state, frame_of(rows), suppressed, _decode(json.loads(extra)))
                    for key, state, rows, suppressed, extra in con.execute("select * from m_results").fetchall()
                }
            else:
                out[name] = sorted(con.execute(f"select * from {name}").fetchall(), key=repr)
        for table, attribution in kept.items():
            out[table] = sorted(con.execute(f"select * from {range_groups.rows(attribution)}").fetchall(), key=repr)
        return out
    finally:
        con.close()


def from_scratch(db: Path, folder: Path) -> Path:
    """A copy of the store whose derived tables were dropped, then refreshed."""
    copy = folder / "scratch.duckdb"
    copy.unlink(missing_ok=True)
    shutil.copy(db, copy)
    with writing(str(copy)) as con:
        for (name,) in con.execute("select table_name from information_schema.tables "
                                   "where table_name like 'm\\_%' escape '\\' and table_schema = 'main'").fetchall():
            con.execute(f"drop table {name}")
        refresh_metrics(con, EVERY_LOAD)
    return copy


def assert_same_derived(db: Path, folder: Path) -> None:
    got, want = derived(db), derived(from_scratch(db, folder))
    assert got.keys() == want.keys()
    # every base, those of the threads' posts and of the spaces' days included
    assert {name for name in BASES if name not in CLOCKED} <= want.keys()
    for name in want:
        if name != "m_results":
            assert (name, got[name]) == (name, want[name])
            continue
        assert sorted(got[name]) == sorted(want[name])
        for key, (state, rows, suppressed, extra) in want[name].items():
            g_state, g_rows, g_suppressed, g_extra = got[name][key]
            assert (key, g_state, g_suppressed) == (key, state, suppressed)
            assert_frame_equal(g_rows, rows, check_exact=True)
            assert (key, _without_seconds(g_extra)) == (key, _without_seconds(extra))


def _without_seconds(value):
    """A stored result's figures less its clock (the seconds a computation took, when the person
    graph's were computed). Floats to 12 significant digits: the normalised mutual information of
    the communities sums the same terms in the order the people's partition is read, which two
    stores of the same people may hold in another order (as ``test_ingest_viva_incremental.py``)."""
    if isinstance(value, float):
        return float(f"{value:.12g}")
    if isinstance(value, dict):
        return {k: _without_seconds(v) for k, v in value.items() if k not in ("seconds", "computed_at")}
    if isinstance(value, list):
        return [_without_seconds(v) for v in value]
    if isinstance(value, pl.DataFrame):
        return _without_seconds(value.rows())
    if isinstance(value, tuple):
        return tuple(_without_seconds(v) for v in value)
    return value


def load(db: Path, paths: list[Path]) -> dict:
    ingest.load([str(p) for p in paths], db=db, settings=EVERY_LOAD, refresh=False)
    return ingest.refresh_derived(db, EVERY_LOAD)


@pytest.fixture(scope="module")
def october(exports, tmp_path_factory) -> Path:
    """The store of the directory and the export up to 1 October, refreshed."""
    db = tmp_path_factory.mktemp("october") / "base.duckdb"
    with pytest.MonkeyPatch.context() as mp:  # the key every test runs under (conftest.py)
        mp.setenv("RUCHE_KEY", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")
        assert load(db, [exports["hr"], exports["cut"]])["results"]["mode"] == "full"
    return db


def day(exports, d: int) -> Path:
    return exports["days"][dt.date(2026, 10, d)]


def test_one_more_day_recomputes_its_periods_only_and_equals_a_refresh_from_scratch(exports, october, tmp_path):
    db = tmp_path / "s.duckdb"
    shutil.copy(october, db)
    with writing(str(db)) as con:  # the stays of a query no longer made
        con.execute("create table m_stays_0000000000000000_held as select 1 as person_key")
    created: list[str] = []
    with pytest.MonkeyPatch.context() as mp:  # what the refresh computes of the people's stays
        real = participation._query

        def stays(con) -> set:  # a table created again has another oid
            return set(con.execute("select table_name, table_oid from duckdb_tables() "
                                   "where table_name like 'm_stays_%'").fetchall())

        def watched(con, *args, **relations):
            before = stays(con)
            query = real(con, *args, **relations)
            created.extend(sorted(stays(con) - before))
            return query

        mp.setattr(participation, "_query", watched)
        done = load(db, [day(exports, 1)])
    assert done["mode"] == "incremental" and done["group_ties"]["mode"] == "update"
    assert (done["results"]["mode"], done["results"]["from"]) == ("periods", dt.date(2026, 9, 30))
    # the reporting tree is kept; its figures are computed again from the period of 30 September (the
    # week's; the month's and the quarter's from 1 October on: 30 September ended them)
    assert done["hierarchy"] == {"mode": "kept"}
    assert done["hierarchy_periods"] == {"mode": "periods", "from": "2026-09-30"}
    # nobody changed: the stays the previous refresh kept are read as they are
    assert created == []
    assert_same_derived(db, tmp_path)
    stays = [t for t in derived(db) if t.startswith("m_stays_")]
    # three grains: participation, the levels within every attribute's groups (the leaders' read
    # them) and the frontline as it was (each alone: participation by it), inactive teams'
    # headcounts today (teams); the teams of each group count no one (metrics.teams.team_groups);
    # and in today's organisation, by department (someone's department was another before:
    # metrics.results.other_calls), the participation by it, the levels and the frontline within
    # its groups (neither alone: no call asks for them by the organisation or by themselves)
    # three tables each: the people's versions, their stays and the headcounts' moves
    assert len(stays) == 3 * 3 * (4 + 3) and "m_stays_0000000000000000_held" not in stays


def test_stays_kept_before_their_moves_get_them_from_the_stays_as_kept(exports, october, tmp_path):
    """A store whose stays were kept before the headcounts' moves were (no ``m_stays_*_moves``):
    a day's load computes each query's moves from the stays it reads as they are (neither the
    people's versions nor their stays computed again), the stored results and every derived
    table those of a refresh from scratch."""
    db = tmp_path / "s.duckdb"
    shutil.copy(october, db)
    with writing(str(db)) as con:
        moves = sorted(t for (t,) in con.execute("select table_name from duckdb_tables() "
                                                 "where table_name like 'm_stays_%_moves'").fetchall())
        assert len(moves) == 3 * (4 + 3)
        for name in moves:
            con.execute(f"drop table {name}")
        kept = set(con.execute("select table_name, table_oid from duckdb_tables() "
                               "where table_name like 'm_stays_%'").fetchall())
    done = load(db, [day(exports, 1)])
    assert (done["results"]["mode"], done["results"]["from"]) == ("periods", dt.date(2026, 9, 30))
    con = duckdb.connect(str(db), read_only=True)
    try:
        now = set(con.execute("select table_name, table_oid from duckdb_tables() "
                              "where table_name like 'm_stays_%'").fetchall())
    finally:
        con.close()
    assert kept <= now and sorted(name for name, _ in now - kept) == moves
    assert_same_derived(db, tmp_path)


def test_one_more_day_reads_the_periods_it_touched_of_the_silos_and_the_inactivity_rules(exports, october, tmp_path):
    """The cross-silo share per period (every attribute in one query per grain), the leaders',
    responsiveness, the lifecycle, participation and the participation the inactivity rules read
    are computed from the first period the day touched (30 September's), not the one before:
    none reads another period's figures (participation's retention reads the active people of
    the period before; the lifecycle and responsiveness read its headcounts); the
    lifecycle's cohort cells from the first month touched, the earlier ones those stored. The leaders' and the cross-silo share are
    queried once per grain: under a sponsor's minimum group size (the Overview's) they are decided
    on the same figures. The rest kept is a refresh from scratch's."""
    from metrics import lifecycle, responsiveness, results, silos, teams

    db = tmp_path / "s.duckdb"
    shutil.copy(october, db)
    calls: dict[str, list] = {"silos": [], "lookback": [], "compared": [], "responsiveness": [], "today": [],
                              "cells": []}
    with pytest.MonkeyPatch.context() as mp:
        real_silos, real_lookback = silos.totals_by, teams.lookback_frame
        real_compared, real_participation = results.compared_frames, results.participation_frames
        real_responsiveness, real_totals = responsiveness.responsiveness_by, silos._totals
        real_cells = lifecycle.cohort_cells_by

        def cohort_cells_by(con, bys, start, end, attribution, person_months=None):
            calls["cells"].append((len(bys), attribution, person_months is not None and "'2026-10-01'" in person_months))
            return real_cells(con, bys, start, end, attribution, person_months=person_months)

        def totals(con, by, period, start, end, stored, attribution):
            calls["today"].append((by, period, start, stored, attribution))
            return real_totals(con, by, period, start, end, stored, attribution)

        def responsiveness_by(con, bys, period, start, *args, **kwargs):
            calls["responsiveness"].append((period, start, len(bys)))
            return real_responsiveness(con, bys, period, start, *args, **kwargs)

        def compared_frames(con, attribute, bys, period, start, end, attribution, alone=None):
            calls["compared"].append((attribute, period, start, alone is not None))
            return real_compared(con, attribute, bys, period, start, end, attribution, alone)

        def participation_frames(con, bys, period, start, *args, **kwargs):
            calls.setdefault("participation", []).append((period, start, len(bys), kwargs.get("retained", False)))
            return real_participation(con, bys, period, start, *args, **kwargs)

        def totals_by(con, bys, period, start, end=None):
            calls["silos"].append((period, start, len(bys)))
            return real_silos(con, bys, period, start, end)

        def lookback_frame(con, by, period, as_of, start=None):
            calls["lookback"].append((by, period, start))
            return real_lookback(con, by, period, as_of, start=start)

        mp.setattr(silos, "totals_by", totals_by)
        mp.setattr(teams, "lookback_frame", lookback_frame)
        mp.setattr(results, "compared_frames", compared_frames)
        mp.setattr(results, "participation_frames", participation_frames)
        mp.setattr(responsiveness, "responsiveness_by", responsiveness_by)
        mp.setattr(silos, "_totals", totals)
        mp.setattr(lifecycle, "cohort_cells_by", cohort_cells_by)
        done = load(db, [day(exports, 1)])
    assert (done["results"]["mode"], done["results"]["from"]) == ("periods", dt.date(2026, 9, 30))
    # 30 September, the data's last day before the day, ended a month and a quarter: those were
    # whole, are whole still and hold the same rows; the week of 28 September goes on (groups.touched_in)
    begins = {"week": dt.date(2026, 9, 28), "month": dt.date(2026, 10, 1), "quarter": dt.date(2026, 10, 1)}
    assert EVERY_LOAD.sponsor_min_group_size == 20 != EVERY_LOAD.min_group_size
    # once per grain, under the minimum group size and a sponsor's alike; the E-I index and the
    # group graph over the whole history (no grain) once for every attribute
    assert sorted(calls["silos"], key=repr) == sorted([*((p, b, 6) for p, b in begins.items()), (None, None, 6)],
                                                     key=repr)
    # in today's organisation, by department, from today's group ties the load keeps (someone's
    # department was another before): once per grain too, and once over the whole history
    assert sorted(calls["today"], key=repr) == sorted([*(("department", p, b, True, "today") for p, b in begins.items()),
                                                      ("department", None, None, True, "today")], key=repr)
    # the participation the inactivity rules read, from the first period touched, and nothing else:
    # the reviews as of 30 September, which the day made the end of a period before the last (the
    # month's, the quarter's: metrics.teams.review_ends), read their 13 periods from the frames the
    # loads keep; the week's review ended on 27 September, stored by the load before
    assert sorted(calls["lookback"]) == sorted(("team", p, b) for p, b in begins.items())
    # the leaders', the levels' and the frontline's from the first period touched too (they count
    # no retention), once per grain and attribute compared: the leaders' and the levels' (under
    # either minimum group size) decided on the same; the attribute alone the participation by it:
    # every attribute's participation queried once per grain, from the first period touched too,
    # its retention counted from the active people of the period before (retained: not from the
    # period before, whose figures no result keeps), which the lifecycle and responsiveness read
    # the headcounts of; and likewise in today's organisation, by department only (someone's
    # department was another before: metrics.results.other_calls), where no call asks for the
    # attribute alone
    assert sorted(calls["compared"]) == sorted((a, p, b, alone) for p, b in begins.items()
                                               for a in ("frontline", "level") for alone in (True, False))
    # responsiveness from the period of the earliest thread a reply of the day is in (one posted in
    # the last days of September: results.thread_posted), and the participation it reads the
    # headcounts of from there too
    threads_begin = {"week": dt.date(2026, 9, 28), "month": dt.date(2026, 9, 1), "quarter": dt.date(2026, 7, 1)}
    assert sorted(calls["participation"]) == sorted({(p, b, n, True) for starts in (begins, threads_begin)
                                                     for p, b in starts.items() for n in (7, 1)})
    # the lifecycle's cohort cells over the whole history counted from the first month touched on
    # (the earlier ones those stored), once for every attribute and once by department in today's
    assert sorted(calls["cells"]) == [(1, "today", True), (7, "as-it-was", True)]
    # responsiveness once per grain for every attribute, and by department in today's organisation
    assert sorted(calls["responsiveness"]) == sorted((p, b, n) for p, b in threads_begin.items() for n in (7, 1))
    assert_same_derived(db, tmp_path)


def store_until(exports, folder: Path, until: dt.date) -> Path:
    """A store of the directory and the messages before ``until``, refreshed."""
    db = folder / "s.duckdb"
    cut = exports["root"] / f"until-{until}"
    if not cut.exists():
        write_export(cut, viva.export_window(exports["tables"], f"{until} 00:00:00"))
    load(db, [exports["hr"], cut])
    return db


def test_a_day_updates_the_kept_range_groups_for_the_people_it_touched(exports, october, tmp_path):
    """Each person's activity in each group over the whole history (90/9/1, personas), kept by
    the refresh: a day computes again the rows of the people it is about (and of those whose
    version a moved first or last day of the data brings in or out), leaves everyone's rows as
    built, and gives the rows a computation over everyone gives."""
    from metrics.bases import people_versions, person_range_groups, sources

    def everyone(db: Path) -> dict:
        con = duckdb.connect(str(db), read_only=True)
        try:
            return {a: sorted(con.execute(f"select * from {t}").fetchall(), key=repr)
                    for a, t in range_groups.TABLES.items()}
        finally:
            con.close()

    built = everyone(october)
    con = duckdb.connect(str(october), read_only=True)
    last_before = con.execute("select max(day) from m_person_day").fetchone()[0]
    con.close()
    db = tmp_path / "s.duckdb"
    shutil.copy(october, db)
    load(db, [day(exports, 1)])
    assert everyone(db) == built  # updated, not built again
    con = duckdb.connect(str(db), read_only=True)
    try:
        run = con.execute("select max(run_id) from activities").fetchone()[0]
        touched = {k for (k,) in con.execute("select person_key from activities where run_id = ? union "
                                             "select target_key from activities where run_id = ?", [run, run]).fetchall()
                   if k is not None}
        # a version (as it was: the first extended back) beginning or ending on a day the data now reaches
        last = con.execute("select max(day) from m_person_day").fetchone()[0]
        moved = {k for (k,) in con.execute(
            f"select person_key from {people_versions()} where (valid_from > $a and valid_from <= $b) "
            "or (valid_to > $a and valid_to <= $b)", {"a": last_before, "b": last}).fetchall()}
        src = sources(con, "month", None, None)
        for attribution, table in range_groups.TABLES.items():
            since = {k for (k,) in con.execute(f"select person_key from {table}_people").fetchall()}
            assert since == (touched | moved if attribution == "as-it-was" else touched), attribution
            bys = sorted({by for (by,) in con.execute(f"select distinct by_attribute from {table}").fetchall()})
            want = con.execute(f"select * from {person_range_groups(src, bys, attribution)}",
                               {"from_date": None, "to_date": None}).fetchall()
            got = con.execute(f"select * from {range_groups.rows(attribution)}").fetchall()
            assert sorted(got, key=repr) == sorted(want, key=repr), attribution
    finally:
        con.close()


def test_a_day_removing_a_message_and_one_changing_users_equal_a_refresh_from_scratch(exports, tmp_path):
    db = store_until(exports, tmp_path, dt.date(2026, 10, 13))
    done = load(db, [day(exports, 13)])
    assert (done["results"]["mode"], done["results"]["from"]) == ("periods", dt.date(2026, 10, 12))
    assert_same_derived(db, tmp_path)
    # 14 October lists as deleted a message an earlier export loaded: its copy goes, and
    # everything is computed afresh
    done = load(db, [day(exports, 14)])
    con = duckdb.connect(str(db), read_only=True)
    removed = con.execute("select count(*) from activities where run_id < (select max(run_id) from activities) "
                          "and activity_uid in (select activity_uid from deleted_events)").fetchone()[0]
    con.close()
    assert removed == 0 and done["results"]["mode"] == "full" and done["mode"] == "full"
    assert_same_derived(db, tmp_path)
    for d in range(15, 19):
        load(db, [day(exports, d)])
    # 19 October lists users whose profile changed: the people change, everything is computed afresh
    done = load(db, [day(exports, 19)])
    assert done["results"]["mode"] == "full"
    assert_same_derived(db, tmp_path)


def test_a_day_arriving_after_a_later_one_equals_a_refresh_from_scratch(exports, october, tmp_path):
    db = tmp_path / "s.duckdb"
    shutil.copy(october, db)
    load(db, [day(exports, 1)])
    load(db, [day(exports, 3)])
    done = load(db, [day(exports, 2)])
    assert (done["results"]["mode"], done["results"]["from"]) == ("periods", dt.date(2026, 10, 2))
    assert_same_derived(db, tmp_path)
    done = load(db, [exports["events"]])  # two days of August, two months back
    assert (done["results"]["mode"], done["results"]["from"]) == ("periods", dt.date(2026, 8, 11))
    assert_same_derived(db, tmp_path)
    # a reply of 3 October answers a thread of 12 August: the periods from October on, and
    # responsiveness from August's (the threads are counted in the period they were posted in)
    done = load(db, [exports["answer"]])
    assert (done["results"]["mode"], done["results"]["from"], done["results"]["threads_from"]) == (
        "periods", dt.date(2026, 10, 3), dt.date(2026, 8, 12))
    assert_same_derived(db, tmp_path)


def test_a_directory_change_recomputes_everything_and_equals_a_refresh_from_scratch(exports, october, tmp_path):
    db = tmp_path / "s.duckdb"
    shutil.copy(october, db)
    done = load(db, [day(exports, 1)])
    assert done["hierarchy"] == {"mode": "kept"}  # activities change no manager
    before = duckdb.connect(str(db), read_only=True)
    tree_before = before.execute("select * from m_hierarchy order by all").fetchall()
    before.close()
    done = load(db, [exports["hr_later"]])
    assert done["results"]["mode"] == "full" and done["group_ties"]["mode"] == "full"
    assert done["hierarchy"]["mode"] == "full"
    assert_same_derived(db, tmp_path)  # the stored reporting tree (m_hierarchy*) among them
    after = duckdb.connect(str(db), read_only=True)
    assert after.execute("select * from m_hierarchy order by all").fetchall() != tree_before
    after.close()
    done = load(db, [day(exports, 2)])
    assert done["results"]["mode"] == "periods" and done["hierarchy"] == {"mode": "kept"}
    assert_same_derived(db, tmp_path)


def test_a_move_dated_inside_the_data_keeps_the_ties_before_it_in_the_old_group(exports, tmp_path):
    """Ten people of Sales move to Marketing on 1 October (the directory again, with their new rows
    effective from that day). The group ties of the days before it are those the store held before
    the move (each tie in the groups of its day); the derived tables equal a refresh from scratch;
    the stored ties give the figures of the activities; today's organisation restates the past."""
    from metrics.silos import silos

    hr = pl.read_csv(exports["hr"], infer_schema=False)
    moved = hr.filter(pl.col("effective_from").is_null() & (pl.col("department") == "Sales")).head(10)["email"]
    latest = hr.filter(pl.col("email").is_in(moved.implode())).group_by("email").last()
    dated = tmp_path / "directory-dated.csv"
    pl.concat([hr, latest.select(hr.columns).with_columns(pl.lit("Marketing").alias("department"),
                                                          pl.lit("2026-10-01").alias("effective_from"))]).write_csv(dated)
    db = tmp_path / "s.duckdb"
    ingest.load([str(exports["hr"]), str(exports["cut"])], db=db, settings=EVERY_LOAD, refresh=False,
                as_of=dt.date(2026, 8, 1))
    ingest.refresh_derived(db, EVERY_LOAD)
    load(db, [day(exports, 1)])
    ties = ("select day, grp_a, grp_b, weight from m_group_ties where attribute = 'department' "
            "and day < date '2026-10-01' order by all")
    con = duckdb.connect(str(db), read_only=True)
    before = con.execute(ties).fetchall()
    september = silos(con, start=dt.date(2026, 9, 1), end=dt.date(2026, 9, 30), min_group_size=1)
    con.close()
    ingest.load([str(dated)], db=db, settings=EVERY_LOAD, refresh=False, as_of=dt.date(2026, 10, 1))
    done = ingest.refresh_derived(db, EVERY_LOAD)
    assert done["group_ties"]["mode"] == "full"
    assert_same_derived(db, tmp_path)
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("select count(*) from people where department = 'Marketing'").fetchone()[0] == 22
        assert con.execute(ties).fetchall() == before
        # September as it was: the figures before the move, read from the stored ties or computed
        again = silos(con, start=dt.date(2026, 9, 1), end=dt.date(2026, 9, 30), min_group_size=1)
        for a, b in zip(september, again):
            if isinstance(a, pl.DataFrame):
                assert_frame_equal(a, b)
            else:
                assert a == b
        today = silos(con, start=dt.date(2026, 9, 1), end=dt.date(2026, 9, 30), min_group_size=1,
                      attribution="today")
        assert "Marketing" in today[0]["department"].to_list()
        assert today[2]["cross_silo_share"][0] != again[2]["cross_silo_share"][0]
    finally:
        con.close()


def test_a_move_dated_inside_the_data_equals_a_refresh_from_scratch_as_it_was(exports, october, tmp_path):
    """The directory again, with ten people of Sales moved to Marketing on 10 October (an
    effective-dated row each, inside the data): the stored results, computed in the organisation
    as it was on each day (the lifecycle, responsiveness, personas, the 90/9/1 split... with the
    ten in both departments in October), equal a refresh from scratch, before and after a day's
    load computes the periods it touched again."""
    hr = pl.read_csv(exports["hr"], infer_schema=False)
    moved = hr.filter((pl.col("department") == "Sales") & pl.col("effective_from").is_null()).head(10)
    pl.concat([hr, moved.with_columns(pl.lit("Marketing").alias("department"),
                                      pl.lit("2026-10-10").alias("effective_from"))]).write_csv(tmp_path / "hr-moved.csv")
    db = tmp_path / "s.duckdb"
    shutil.copy(october, db)
    load(db, [day(exports, 1)])
    done = load(db, [tmp_path / "hr-moved.csv"])
    assert done["results"]["mode"] == "full"
    con = duckdb.connect(str(db), read_only=True)
    versions = con.execute("select count(*) from people_history where valid_from = '2026-10-10' "
                           "and department = 'Marketing'").fetchone()[0]
    con.close()
    assert versions == 10
    assert_same_derived(db, tmp_path)
    for d in (2, 3):
        load(db, [day(exports, d)])
    done = load(db, [day(exports, 11)])
    assert done["results"]["mode"] == "periods"
    assert_same_derived(db, tmp_path)
    # the move's month: the ten in Sales's and in Marketing's headcount of October's lifecycle as it
    # was, in Marketing's only restated
    from metrics import registry
    from metrics.registry import MetricParams

    con = duckdb.connect(str(db), read_only=True)
    try:
        org = registry.get("lifecycle")(con, MetricParams(by="organisation", min_group_size=1)).rows
        total = org.filter(pl.col("period") == "2026-10")["headcount"].item()
        for extra, twice in (({}, 10), ({"attribution": "today"}, 0)):
            rows = registry.get("lifecycle")(con, MetricParams(by="department", min_group_size=1, extra=extra)).rows
            assert rows.filter(pl.col("period") == "2026-10")["headcount"].sum() == total + twice, extra
    finally:
        con.close()


def test_the_person_graph_is_computed_again_only_once_it_has_changed_enough(exports, october, tmp_path):
    db = tmp_path / "s.duckdb"
    shutil.copy(october, db)
    con = duckdb.connect(str(db), read_only=True)
    state = dict(con.execute("select key, value from m_network_state").fetchall())
    con.close()
    assert state["data_to"] == "2026-09-30"
    weekly = Settings(values={"network_refresh_share": 0.5, "network_refresh_days": 7})
    ingest.load([str(day(exports, 1))], db=db, settings=weekly)
    con = duckdb.connect(str(db))
    try:
        kept = dict(con.execute("select key, value from m_network_state").fetchall())
        assert (kept["computed_at"], kept["data_to"]) == (state["computed_at"], "2026-09-30")
        assert network_due(con, weekly) is None
        # the pages read the stored results, labelled: computed from data up to 30 September
        from metrics.communities import communities

        figures = communities(con, min_group_size=1)[2]
        assert (figures["data_to"], figures["current"]) == ("2026-09-30", False)
        assert network_due(con, Settings(values={"network_refresh_share": 0.0})).endswith(
            f"interactions added to {state['interactions']}")
    finally:
        con.close()
    for d in range(2, 8):  # a week of data past what they were computed from
        ingest.load([str(day(exports, d))], db=db, settings=weekly)
    con = duckdb.connect(str(db), read_only=True)
    again = dict(con.execute("select key, value from m_network_state").fetchall())
    con.close()
    assert again["data_to"] == "2026-10-07"


def test_a_month_of_usage_reports_recomputes_the_periods_it_vouches_for(tmp_path):
    """Microsoft 365's usage report of October, after August's and September's: the periods from
    the earliest day it vouches for (a person's last activity date, else the report's date) on."""
    sample = tmp_path / "sample"
    subprocess.run([sys.executable, "-m", "ruche.cli", "sample", "--out", str(sample), "--people", "200",
                    "--months", "3"], check=True, capture_output=True)
    reports = sorted(sample.glob("m365-*.csv"))
    assert [r.name for r in reports] == ["m365-engage-activity-2026-08-31.csv", "m365-engage-activity-2026-09-30.csv",
                                         "m365-engage-activity-2026-10-31.csv"]
    db = tmp_path / "s.duckdb"
    load(db, [sample / "directory.csv", sample / "viva-engage-export.zip", *reports[:2]])
    done = load(db, [reports[2]])
    con = duckdb.connect(str(db), read_only=True)
    vouched = con.execute("select min(coalesce(last_activity, report_date)), count(*) from usage_snapshots "
                          "where run_id = (select max(run_id) from usage_snapshots)").fetchone()
    con.close()
    assert vouched[1] == 196 and done["mode"] == "incremental"
    assert (done["results"]["mode"], done["results"]["from"]) == ("periods", vouched[0])
    assert_same_derived(db, tmp_path)


#: The demo's configuration with the person graph's results kept for a month of data, or until
#: half as many interactions again are added.
MONTHLY = Settings.load(str(ROOT / "dashboard" / "demo.toml"), env={}, network_refresh_share=0.5,
                        network_refresh_days=30)


def test_a_day_that_keeps_the_person_graph_keeps_its_results_labelled_with_their_day(exports, october, tmp_path):
    """Louvain's group mix and the boundary spanners read the person graph of the whole history:
    while it is kept (its schedule, metrics.refresh.network_due), so are they, labelled with the
    last day of the data they describe; every other result is the one a refresh from scratch gives."""
    db = tmp_path / "s.duckdb"
    shutil.copy(october, db)
    before = derived(db)["m_results"]
    ingest.load([str(day(exports, 1))], db=db, settings=MONTHLY, refresh=False)
    done = ingest.refresh_derived(db, MONTHLY)
    assert (done["network"]["mode"], done["results"]["mode"]) == ("kept", "periods")
    got = derived(db)["m_results"]
    graph = {k for k in got if json.loads(k)[0] in ("network-communities", "bridges")}
    # by each attribute, and by department in today's organisation too (someone moved: results.other_calls)
    assert len(graph) == 2 * 6 + 2
    for k in graph:
        _, rows, suppressed, extra = got[k]
        assert_frame_equal(rows, before[k][1], check_exact=True)
        assert suppressed == before[k][2]
        assert extra["measured_to"] == dt.date(2026, 9, 30)
        # the graph they read no longer describes the store: a day of interactions was added
        assert (extra["current"] if "current" in extra else extra["betweenness"]["current"]) is False
        assert "measured_to" not in before[k][3]
    want = derived(from_scratch(db, tmp_path))["m_results"]
    assert sorted(got) == sorted(want)
    for k in set(want) - graph:
        assert (k, got[k][0], got[k][2]) == (k, want[k][0], want[k][2])
        assert_frame_equal(got[k][1], want[k][1], check_exact=True)
        assert (k, _without_seconds(got[k][3])) == (k, _without_seconds(want[k][3]))
    # a second day: still kept, still labelled with the day they were computed from
    ingest.load([str(day(exports, 2))], db=db, settings=MONTHLY, refresh=False)
    assert ingest.refresh_derived(db, MONTHLY)["network"]["mode"] == "kept"
    again = derived(db)["m_results"]
    assert {again[k][3]["measured_to"] for k in graph} == {dt.date(2026, 9, 30)}
    # once the graph is computed again (every load), so are they, and the label goes
    ingest.load([str(day(exports, 3))], db=db, settings=EVERY_LOAD, refresh=False)
    assert "why" in ingest.refresh_derived(db, EVERY_LOAD)["network"]
    assert_same_derived(db, tmp_path)


def test_the_figure_of_a_kept_person_graph_result_says_as_of_when():
    from metrics.figures import Figure, Query
    from metrics.registry import MetricResult

    result = MetricResult(rows=pl.DataFrame({"department": ["Sales"], "people": [7]}), suppressed_groups=0,
                          extra={"measured_to": dt.date(2026, 9, 30), "current": False})
    figure = Figure(query=Query("network-communities", history=True), result=result, rows=result.rows)
    assert figure.covers == "the organisation · as of 2026-09-30"


def test_a_post_again_in_a_thread_of_months_ago_is_no_new_thread_in_a_day_load(exports, october, tmp_path):
    """An author posting again, in September, in a thread they started in August starts no thread
    in September: a load of that day counts the threads of the periods it recomputes as a refresh
    from scratch counts them, over the whole history (the author's previous day of posting in the
    thread is before those periods, yet inside the data)."""
    db = tmp_path / "s.duckdb"
    shutil.copy(october, db)
    load(db, [exports["events"]])  # the threads late-1 and late-2, in August
    emails = pl.read_csv(exports["hr"])["email"].to_list()
    again = tmp_path / "events-again.csv"
    again.write_text(
        "id,occurred_at,actor,kind,target,space,thread\n"
        f"a1,2026-09-29T09:00:00Z,{emails[0]},post,,late-space,late-1\n", encoding="utf-8")
    done = load(db, [again])
    assert (done["results"]["mode"], done["results"]["from"], done["results"]["threads_from"]) == (
        "periods", dt.date(2026, 9, 29), dt.date(2026, 9, 29))
    assert_same_derived(db, tmp_path)


def test_participation_from_a_period_counts_its_retention_from_the_active_people_before(october):
    """A splice's participation starts at the first period touched and counts that period's
    retention from the active people of the period before alone (``retained``): every row, that
    first one's retention included, is the one read from the period before; without ``retained``
    the first period's retention is none (no period before it read)."""
    from metrics import bases
    from metrics.groups import period_start, shift_period
    from metrics.results import ALL_BYS, period_label

    con = duckdb.connect(str(october), read_only=True)
    try:
        with bases.freshness_held(con):
            assert participation.retains_before(con, "week", dt.date(2026, 9, 28))
            assert not participation.retains_before(con, "week", dt.date(2026, 9, 30))
            for period, day in (("week", dt.date(2026, 9, 30)), ("month", dt.date(2026, 9, 1)),
                                ("quarter", dt.date(2026, 8, 31))):
                begin = period_start(period, day)
                label = period_label(period, begin)
                whole = participation.participation_frames(con, ALL_BYS, period, shift_period(period, begin, -1))
                retained = participation.participation_frames(con, ALL_BYS, period, begin, retained=True)
                alone = participation.participation_frames(con, ALL_BYS, period, begin)
                for by in ALL_BYS:
                    assert_frame_equal(retained[by], whole[by].filter(pl.col("period") >= label), check_exact=True)
                # the data begins in August: by quarter no period before the third one holds anyone
                first = retained["organisation"].filter(pl.col("period") == label)
                assert first.height == 1 and first["retention"].is_null().all() == (period == "quarter")
                assert alone["organisation"].filter(pl.col("period") == label)["retention"].is_null().all()
                with pytest.raises(ValueError):
                    participation.participation_frames(con, ALL_BYS, period, begin + dt.timedelta(days=1), retained=True)
    finally:
        con.close()


def test_days_moving_the_week_the_rules_compare_with_read_the_participation_held(exports, october, tmp_path):
    """Days up to a Monday after a day ending on a Thursday: the teams flagged as of the end of
    the week before last (the Teams at risk page compares with them, :func:`metrics.results.previous_as_of`:
    a day after the week's end moves it) read the participation the inactivity rules read from
    the frames the load holds, the previous load's kept before the first period touched and this
    load's, not from a query over their thirteen weeks. The stored results are a refresh from
    scratch's."""
    from metrics import results, teams

    db = tmp_path / "s.duckdb"
    shutil.copy(october, db)
    load(db, [day(exports, 1)])
    calls: list = []
    with pytest.MonkeyPatch.context() as mp:
        real = teams.lookback_frame

        def lookback_frame(con, by, period, as_of, start=None):
            calls.append((by, period, as_of, start))
            return real(con, by, period, as_of, start=start)

        mp.setattr(teams, "lookback_frame", lookback_frame)
        done = load(db, [day(exports, d) for d in (2, 3, 4, 5)])
    assert (done["results"]["mode"], done["results"]["from"]) == ("periods", dt.date(2026, 10, 1))
    as_of = dt.date(2026, 10, 5)  # a Monday: the week before last ends on 27 September, no longer the 20th
    assert (results.previous_as_of("week", dt.date(2026, 10, 1)), results.previous_as_of("week", as_of)) == (
        dt.date(2026, 9, 20), dt.date(2026, 9, 27))
    # each grain's from the first period touched, as of the last day; none as of 27 September
    assert sorted(calls) == [("team", "month", as_of, dt.date(2026, 10, 1)),
                             ("team", "quarter", as_of, dt.date(2026, 10, 1)),
                             ("team", "week", as_of, dt.date(2026, 9, 28))]
    assert_same_derived(db, tmp_path)
