"""The attribution the load did not store ("Groups as" today's organisation, or as it was when the
setting is today's): on a store where nobody's groups were ever other than their groups now, the
stored attribution's results said of the other, exactly the figures computed live
(docs/dashboard.md, "Groups as"); on a store with movers, computed live.

Two stores of the hand-built company of tests/test_metrics_attribution.py: its four directory
snapshots (a move, a split, a rename, a new manager: 42 people restated), and its first snapshot
alone (the same people and activity, nobody restated), each refreshed as a load leaves it.
"""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import ingest
from metrics import bases, registry, results
from metrics.measure import MetricParams
from ruche.config import Settings
from tests.test_metrics_attribution import KEY, ROOT, add_activities, csv_text, directory_rows, load_snapshots

TARGETS = [{"metric": "participation", "group": "*", "value": 0.8, "start": date(2026, 1, 1), "due": date(2026, 12, 31)},
           {"metric": "contribution", "group": "*", "value": 0.15, "start": date(2026, 1, 1), "due": date(2026, 12, 31)}]


def refreshed(db) -> None:
    from metrics.refresh import refresh_metrics
    from ruche.store import connect

    con = connect(str(db))
    try:
        refresh_metrics(con, Settings(values={}))
    finally:
        con.close()


@pytest.fixture(scope="module")
def steady(tmp_path_factory):
    """The company as its first directory said it (2026-01-01) and nothing since: one version per
    person, their attributes now."""
    tmp_path = tmp_path_factory.mktemp("steady")
    db = tmp_path / "s.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RUCHE_KEY", KEY)
        path = tmp_path / "hr.csv"
        path.write_text(csv_text(directory_rows(date(2026, 1, 1))))
        ingest.load(path, db=db, settings=Settings(values={}), as_of=date(2026, 1, 1), refresh=False)
        add_activities(db)
        refreshed(db)
    return db


@pytest.fixture(scope="module")
def moving(tmp_path_factory):
    """The company with its four snapshots: S01 moves, R&D splits, Ops is renamed, S03 has a new manager."""
    tmp_path = tmp_path_factory.mktemp("moving")
    db = tmp_path / "m.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RUCHE_KEY", KEY)
        load_snapshots(tmp_path, db)
        add_activities(db)
        refreshed(db)
    return db


def test_every_measure_that_follows_the_attribution_is_one_read_either_way():
    """A measure added to those that follow the attribution is served under the other one only once
    shown here to read no attribute but those :func:`metrics.bases.attributes_read` names."""
    assert bases.RESTATABLE == bases.ATTRIBUTED


def test_the_attributes_restated_are_those_some_person_held_otherwise(steady, moving):
    with duckdb.connect(str(steady), read_only=True) as con:
        assert bases.restated_attributes(con) == frozenset()
    with duckdb.connect(str(moving), read_only=True) as con:
        # S01's move (department, team, manager), R&D's split, Ops renamed, S03's new manager; the
        # site, country, level and frontline of everybody never changed (S20 left with theirs)
        assert bases.restated_attributes(con) == {"department", "team", "manager_key"}


def test_one_version_unlike_the_attributes_now_restates_its_attribute(steady, tmp_path):
    import shutil

    db = tmp_path / "copy.duckdb"
    shutil.copy(steady, db)
    with duckdb.connect(str(db)) as con:
        con.execute("update people_history set level = 'lead' where person_key = (select min(person_key) from people)")
        assert bases.restated_attributes(con) == {"level"}
        con.execute("update people_history set level = null where person_key = (select min(person_key) from people)")
        assert bases.restated_attributes(con) == {"level"}  # a null against a value differs too
        con.execute("update people_history set level = p.level from people p "
                    "where p.person_key = people_history.person_key")
        con.execute("update people set frontline = true where person_key = (select max(person_key) from people)")
        assert bases.restated_attributes(con) == {"frontline"}


def params_of(name: str, period: str, by: str, k: int, start: date | None, end: date | None,
              attribution: str) -> MetricParams:
    extra = {"targets": TARGETS} if name == "targets" else {}
    if name == "silos":  # per period (the Overview's), or over the range with its graph (the Network page's)
        extra = {"silo_threshold": -0.5, **({"graph_top": 40} if period == "quarter" else {"per_period": True})}
    return MetricParams(by=by, period=period, start=start, end=end, min_group_size=k,
                        extra={**extra, **bases.attribution_extra(attribution)})


def assert_equal(a, b, where: str) -> None:
    """``a`` and ``b`` the same, frames and nested values included (a float to its last bits but
    one: the person graph's NMI sums its terms in the order people are read)."""
    if isinstance(a, pl.DataFrame):
        assert_frame_equal(a, b)
    elif isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), where
        for key in a:
            if not (where.endswith("betweenness") and key == "seconds"):  # how long each run took
                assert_equal(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_equal(x, y, f"{where}[{i}]")
    elif isinstance(a, float):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-15), where
    else:
        assert a == b, where


def assert_same(a, b) -> None:
    assert_frame_equal(a.rows, b.rows)
    assert a.suppressed_groups == b.suppressed_groups
    assert_equal(a.extra, b.extra, "extra")


CASES = [("month", "department", 5, None, None), ("week", "team", 5, None, None),
         ("quarter", "department", 10, None, None), ("month", "level", 2, date(2026, 2, 1), date(2026, 3, 31)),
         ("week", "department", 10, date(2026, 1, 12), date(2026, 3, 1))]


@pytest.mark.parametrize("name", sorted(bases.RESTATABLE))
def test_with_nobody_restated_either_attribution_s_result_is_the_other_s_said_of_it(steady, name):
    """Every measure that follows the attribution, by several grains, groups, ranges and minimum
    sizes (a sponsor's floor of 10 among them): computed live under one attribution and said of
    the other, exactly what the other computes live."""
    with duckdb.connect(str(steady), read_only=True) as con:
        for period, by, k, start, end in CASES:
            was, today = (registry.get(name)(con, params_of(name, period, by, k, start, end, a))
                          for a in (bases.AS_IT_WAS, bases.TODAY))
            assert_same(bases.restated_as(was, bases.TODAY), today)
            if bases.restatable(name, bases.AS_IT_WAS):
                assert_same(bases.restated_as(today, bases.AS_IT_WAS), was)
            if "attribution" in today.extra:
                assert (today.extra["attribution"], was.extra["attribution"]) == ("today", "as-it-was")


@pytest.mark.parametrize("name", sorted(bases.RESTATABLE))
def test_with_movers_a_measure_by_an_attribute_nobody_changed_is_the_same_under_both(moving, name):
    """The moving company: by the organisation, site, country, level or frontline (none of which
    anybody's history changed, though S01 moved in the middle of February and S03's manager
    changed: versions inside a period), each measure's figures are the same under both
    attributions; by department, not (Ops renamed, R&D split)."""
    with duckdb.connect(str(moving), read_only=True) as con:
        for by in ("organisation", "site", "country", "level", "frontline", "department"):
            agree = not bases.attributes_read(name, by) & bases.restated_attributes(con)
            assert agree == (by != "department"), by
            for period, _, k, start, end in CASES:
                was, today = (registry.get(name)(con, params_of(name, period, by, k, start, end, a))
                              for a in (bases.AS_IT_WAS, bases.TODAY))
                if agree:
                    assert_same(bases.restated_as(was, bases.TODAY), today)
        if name == "participation":  # by month over the whole range
            was, today = (registry.get(name)(con, params_of(name, "month", "department", 5, None, None, a))
                          for a in (bases.AS_IT_WAS, bases.TODAY))
            assert set(was.rows["department"]) == {"Sales", "Ops", "Operations", "R&D", "Research", "Development"}
            assert set(today.rows["department"]) == {"Sales", "Operations", "Research", "Development"}


def served(monkeypatch, db, attribution: str | None = None):
    """The Overview of ``db`` (whole range, by department), the live computations it asked for
    counted when ``attribution`` is chosen in the sidebar after the first view."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_data.clear()
    st.cache_resource.clear()
    monkeypatch.setenv("RUCHE_DB", str(db))
    monkeypatch.setenv("RUCHE_CONFIG", str(ROOT / "dashboard" / "demo.toml"))
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=180)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    live = []
    get = registry.get

    def counted(name):
        measure = get(name)
        return lambda con, params: live.append((name, params.by)) or measure(con, params)

    monkeypatch.setattr(registry, "get", counted)
    if attribution is not None:
        at.sidebar.radio(key="attribution").set_value(attribution).run()
        assert not at.exception, [e.value for e in at.exception]
    return at, live


def shown(at) -> dict:
    return {m.label: (m.value, m.delta) for m in at.metric}


def covers(at) -> list[str]:
    return [c.value.replace("\\", "") for c in at.caption if "Covers" in c.value]


def test_the_overview_under_today_s_organisation_reads_the_stored_results_when_nobody_moved(steady, monkeypatch):
    """The steady company: the first view of today's organisation computes nothing (the stored
    results, said of it); its headlines are those of the stored organisation, its covers line
    says today's; computed live (every cache emptied, every attribute taken as restated: the
    departments' measures computed again), the same headlines."""
    at, _ = served(monkeypatch, steady)
    stored_figures = shown(at)
    at, live = served(monkeypatch, steady, bases.TODAY)
    assert live == []
    assert shown(at) == stored_figures
    assert covers(at) and all("today's organisation" in c for c in covers(at))
    from dashboard import data

    monkeypatch.setattr(data, "_restated", lambda published: frozenset(bases.VERSIONED))
    at, live = served(monkeypatch, steady, bases.TODAY)
    assert ("participation", "department") in live and shown(at) == stored_figures
    assert covers(at) and all("today's organisation" in c for c in covers(at))


def stored_as_it_was_only(monkeypatch) -> None:
    """The dashboard reading none of the results the load stored under today's organisation (as a
    load before they were stored left them): those measures computed live."""
    from dashboard import data

    def keys(path, published):
        return frozenset(k for k in results.current_keys(data.cursor()) if '"attribution": "today"' not in k)

    monkeypatch.setattr(data, "_stored_keys", keys)


def test_the_overview_under_today_s_organisation_reads_what_the_load_stored(moving, monkeypatch):
    """The moving company by department: the first view of today's organisation computes nothing,
    the departments' results read as the load stored them under it, the organisation's and the
    levels' (the leaders') as stored and said of it; the same headlines as the departments'
    computed live, and as every measure computed live."""
    at, live = served(monkeypatch, moving, bases.TODAY)
    assert live == []
    assert covers(at) and all("today's organisation" in c for c in covers(at))
    restated = shown(at)
    stored_as_it_was_only(monkeypatch)
    at, live = served(monkeypatch, moving, bases.TODAY)
    assert ("participation", "department") in live
    assert not [(name, by) for name, by in live if by in ("organisation", "level")], live
    assert shown(at) == restated
    from dashboard import data

    monkeypatch.setattr(data, "_restated", lambda published: frozenset(bases.VERSIONED))
    at, live = served(monkeypatch, moving, bases.TODAY)
    assert ("participation", "level") in live
    assert shown(at) == restated


def test_a_store_whose_setting_is_today_serves_as_it_was_from_the_stored_results(steady, monkeypatch, tmp_path):
    """The reverse setting: results stored under today's organisation, "as it was" asked."""
    import shutil

    from metrics.refresh import refresh_metrics
    from ruche.store import connect

    db = tmp_path / "today.duckdb"
    shutil.copy(steady, db)
    settings = Settings(values={"attribution": "today"})
    con = connect(str(db))
    try:
        refresh_metrics(con, settings)
        keys = results.current_keys(con)
    finally:
        con.close()
    assert results.key("participation", "department", "month", 5, {"attribution": "today"}) in keys
    config = tmp_path / "today.toml"
    config.write_text('attribution = "today"\n' + (ROOT / "dashboard" / "demo.toml").read_text(encoding="utf-8"),
                      encoding="utf-8")
    from dashboard import data

    monkeypatch.setattr(data, "settings", lambda: Settings.load(path=str(config)))
    at, _ = served(monkeypatch, db)
    assert at.sidebar.radio(key="attribution").value == "today"
    today_figures = shown(at)
    at, live = served(monkeypatch, db, bases.AS_IT_WAS)
    assert "participation" not in live, live
    assert shown(at) == today_figures
    assert covers(at) and all("organisation as it was on each day" in c for c in covers(at))


SAMPLE_CASES = [("month", 5, None, None), ("quarter", 10, None, None), ("week", 5, date(2026, 3, 2), date(2026, 5, 31))]


@pytest.mark.parametrize("name", sorted(bases.RESTATABLE))
def test_the_sample_s_measures_by_team_are_the_same_under_both(sample_store, name):
    """The sample company: its split moved people between departments, never between teams,
    sites, countries, levels or frontline; by team and by the whole organisation, each measure's
    figures are the same under both attributions, by grain, range and minimum size (a sponsor's 10)."""
    with duckdb.connect(str(sample_store), read_only=True) as con:
        assert bases.restated_attributes(con) == {"department"}
        for by in ("organisation", "team"):
            assert not bases.attributes_read(name, by) & {"department"}
            for period, k, start, end in SAMPLE_CASES:
                was, today = (registry.get(name)(con, params_of(name, period, by, k, start, end, a))
                              for a in (bases.AS_IT_WAS, bases.TODAY))
                assert_same(bases.restated_as(was, bases.TODAY), today)


def test_the_sample_s_overview_under_today_s_organisation(sample_store, monkeypatch):
    """By department, the Overview under today's organisation reads the departments' measures the
    load stored under it and the organisation's stored as it was: the same headlines as the
    departments' computed live, and as all computed live."""
    at, live = served(monkeypatch, sample_store, bases.TODAY)
    assert live == []
    restated = shown(at)
    stored_as_it_was_only(monkeypatch)
    at, live = served(monkeypatch, sample_store, bases.TODAY)
    assert ("participation", "department") in live
    assert not [(name, by) for name, by in live if by == "organisation"], live
    assert shown(at) == restated
    from dashboard import data

    monkeypatch.setattr(data, "_restated", lambda published: frozenset(bases.VERSIONED))
    at, live = served(monkeypatch, sample_store, bases.TODAY)
    assert ("participation", "level") in live
    assert shown(at) == restated
    at.sidebar.selectbox(key="by").set_value("team").run()
    by_team = shown(at)
    monkeypatch.setattr(data, "_restated", lambda published: frozenset({"department"}))
    at, live = served(monkeypatch, sample_store, bases.TODAY)
    at.sidebar.selectbox(key="by").set_value("team").run()
    assert shown(at) == by_team



def test_with_movers_the_load_stores_today_s_organisation_where_it_differs(moving):
    """The moving company: beside its results as it was, the load stores those of today's
    organisation of every measure whose groups read an attribute someone held otherwise than now
    (by department and by team: the move, the split, the rename), each exactly the measure
    computed live under today's organisation (a sponsor's floor too); by any other attribute,
    none (the stored results said of today's are its figures)."""
    settings = Settings(values={})
    k, sponsor_k = settings.min_group_size, settings.sponsor_min_group_size
    with duckdb.connect(str(moving), read_only=True) as con:
        restated = bases.restated_attributes(con)
        keys = results.current_keys(con)
        calls = results.default_calls(settings, restated)
        others = [call for call in calls if call[3].get("attribution") == bases.TODAY]
        assert {by for _, by, _, _ in others} == {"department", "team"}
        assert len(others) == 2 * (5 + 3 * 7)  # per attribute: 5 over the whole range, 7 per grain
        assert others == results.other_calls(results.default_calls(settings), bases.AS_IT_WAS, restated)
        for name, by, period, extra in others:
            for floor in (k, sponsor_k) if results.sponsored(name, extra) else (k,):
                params = MetricParams(by=by, period=period, min_group_size=floor, extra=extra)
                stored = results.lookup(con, name, params, keys)
                assert stored is not None, (name, by, period, floor)
                live = registry.get(name)(con, params)
                assert_same(stored, live) if name not in results.WHOLE_HISTORY else assert_frame_equal(
                    stored.rows, live.rows)
        # the sidebar's groups are those of the organisation as it was
        groups = results.stored(con, "groups", "department", "month", k, {}, keys=keys).rows["department"]
        assert set(groups) == {"Sales", "Ops", "Operations", "R&D", "Research", "Development"}
